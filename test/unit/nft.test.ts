// nftables without privilege: validation, FakeNftables, and decoders fed
// mutated kernel bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { DecodeError, ExpressionError, FakeNftables, HandleClosedError, NftCommitError, NftValidationError, Transaction, nft } from '../../src/index.js';
import { decodeChain, encodeChain } from '../../src/nft/chain.js';
import { recreateExpr } from '../../src/nft/expr/spec.js';
import { dataType, decodeKey, splitType } from '../../src/nft/datatypes.js';
import { decodeFlowtable } from '../../src/nft/flowtable.js';
import { decodeObject } from '../../src/nft/object.js';
import { printElements, printRule } from '../../src/nft/print.js';
import { decodeRule, encodeRule, type Rule } from '../../src/nft/rule.js';
import { Ruleset } from '../../src/nft/ruleset.js';
import { decodeElement, decodeElements, decodeSet, encodeElement, encodeSet, setShape, validateElement } from '../../src/nft/set.js';
import { decodeTable } from '../../src/nft/table.js';
import * as U from '../../src/nft/uapi.js';
import { attrList, messages, Writer } from '../../src/nft/wire.js';
import { kubeProxySample } from '../fixtures/nft/kube-proxy-sample.js';

const T = { family: 'ip' as const, table: 't' };

describe('nft validation: typed errors, nothing sent', () => {
  const latched = (tx: Transaction, kind: new (...a: never[]) => Error, pattern: RegExp) => {
    assert.ok(tx.error instanceof kind, `expected ${kind.name}, got ${String(tx.error)}`);
    assert.match(tx.error!.message, pattern);
    assert.throws(() => tx.encode(), kind);
  };

  it('names too long or with bad characters', () => {
    latched(new Transaction().addTable({ family: 'ip', name: 'x'.repeat(256) }), NftValidationError, /longer than 255/);
    latched(new Transaction().addChain({ ...T, name: 'bad name' }), NftValidationError, /invalid name/);
    latched(new Transaction().addSet({ ...T, name: '1abc', type: 'ipv4_addr' }), NftValidationError, /invalid name/);
  });

  it('unknown families, hooks, chain types and data types', () => {
    latched(new Transaction().addTable({ family: 'ipx' as never, name: 't' }), NftValidationError, /unknown family/);
    latched(new Transaction().addChain({ ...T, name: 'c', type: 'nat', hook: 'sideways' as never, priority: 0 }), NftValidationError, /unknown hook/);
    latched(new Transaction().addChain({ ...T, name: 'c', type: 'mangle' as never, hook: 'input', priority: 0 }), NftValidationError, /unknown chain type/);
    latched(new Transaction().addChain({ family: 'netdev', table: 't', name: 'c', type: 'filter', hook: 'ingress', priority: 0 }), NftValidationError, /need a device/);
    assert.throws(() => new Transaction().addSet({ ...T, name: 's', type: 'ipv5_addr' }).encode(), /unknown data type/);
  });

  it('element keys of the wrong width or type', () => {
    const tx = new Transaction().addSet({ ...T, name: 's', type: 'ipv4_addr . inet_service' });
    tx.addElements({ ...T, name: 's' }, [{ key: ['10.0.0.1', 80] }, { key: ['10.0.0.1'] }]);
    latched(tx, NftValidationError, /element 1.*expected 2 value/);
    const raw = new Transaction().addSet({ ...T, name: 's', type: 'ipv4_addr' });
    raw.addElements({ ...T, name: 's' }, [{ key: new Uint8Array(6) }]);
    latched(raw, NftValidationError, /6 bytes, the set's keys are 4/);
    const v6 = new Transaction().addSet({ ...T, name: 's', type: 'ipv4_addr', elements: [{ key: '::1' }] });
    latched(v6, NftValidationError, /not an IPv4 address/);
    const vmap = new Transaction().addSet({ ...T, name: 'm', type: 'inet_service', map: 'verdict', elements: [{ key: 80 }] });
    latched(vmap, NftValidationError, /need a verdict/);
  });

  it('register misuse in raw and typed expressions', () => {
    const rule = (e: object) => new Transaction().addRule({ ...T, chain: 'c', expressions: [e as never] });
    latched(rule({ type: 'payload', base: 'network_header', offset: 0, len: 4, dreg: 5 }), ExpressionError, /register 5 does not exist/);
    latched(rule({ type: 'payload', base: 'network_header', offset: 0, len: 16, dreg: 4 * 0 + 23 }), ExpressionError, /run past the last register/);
    latched(rule({ type: 'cmp', sreg: 4, op: 'eq', data: new Uint8Array(20) }), ExpressionError, /run past/);
    latched(rule({ type: 'meta', key: 'nosuchkey', dreg: 1 }), TypeError, /unknown meta key/);
    latched(rule({ type: 'frobnicate' }), ExpressionError, /unknown expression type/);
    // A raw payload whose DREG attribute names a register that does not exist.
    const data = Buffer.from('0800010000000063', 'hex');
    latched(rule({ type: 'raw', name: 'payload', data }), ExpressionError, /register 99/);
  });

  it('the first error latches: later operations are ignored', () => {
    const tx = new Transaction().addTable({ family: 'ip', name: 'bad name' }).addTable({ family: 'ip', name: 'good' });
    assert.equal(tx.operations.length, 0);
    assert.match(tx.error!.message, /operation 0/);
  });
});

describe('FakeNftables', () => {
  it('accepts the kube-proxy sample and dumps it in nft syntax', async () => {
    const fake = new FakeNftables();
    await fake.commit(kubeProxySample());
    const dump = fake.dump();
    assert.match(dump, /ip daddr \. meta l4proto \. th dport vmap @service-ips/);
    assert.match(dump, /numgen random mod 2 vmap \{ 0 : goto ep1, 1 : goto ep2 \}/);
    assert.match(dump, /meta l4proto tcp dnat to 10\.0\.1\.1:8080/);
    assert.equal(await fake.generation(), 2);
  });

  it('fails a jump to a missing chain like the kernel, leaving the state as it was', async () => {
    const fake = new FakeNftables();
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }).addChain({ ...T, name: 'c' }));
    const before = fake.dump();
    const tx = new Transaction().addChain({ ...T, name: 'd' }).addRule(nft.rule('ip', 't', 'c', nft.jump('missing')));
    await assert.rejects(fake.commit(tx), (e: unknown) => e instanceof NftCommitError && e.code === 'ENOENT' && e.operationIndex === 1);
    assert.equal(fake.dump(), before);
  });

  it('refuses a rule in a chain that does not exist, and deleting a chain in use', async () => {
    const fake = new FakeNftables();
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }).addChain({ ...T, name: 'a' }).addChain({ ...T, name: 'b' })
      .addRule(nft.rule('ip', 't', 'a', nft.jump('b'))));
    await assert.rejects(fake.commit(new Transaction().addRule(nft.rule('ip', 't', 'nope', nft.accept()))), (e: unknown) => e instanceof NftCommitError && e.code === 'ENOENT');
    await assert.rejects(fake.commit(new Transaction().deleteChain({ ...T, name: 'b' })), (e: unknown) => e instanceof NftCommitError && e.code === 'EBUSY');
    await fake.commit(new Transaction().destroyChain({ ...T, name: 'zzz' }));
  });

  it('keeps elements, replaces and deletes them', async () => {
    const fake = new FakeNftables();
    const set = { ...T, name: 's' };
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }).addSet({ ...set, type: 'ipv4_addr . inet_service' }));
    await fake.commit(new Transaction().addElements(set, [{ key: ['10.0.0.1', 80] }, { key: ['10.0.0.2', 80] }]));
    await fake.commit(new Transaction().deleteElements(set, [{ key: ['10.0.0.1', 80] }]));
    const [s] = (await fake.list({ table: 't' })).sets;
    assert.deepEqual(s!.elements, [{ key: ['10.0.0.2', 80] }]);
    await assert.rejects(fake.commit(new Transaction().deleteElements(set, [{ key: ['10.0.0.9', 80] }])), /ENOENT/);
  });

  it('commits 100,000 elements in one transaction, and deletes half, in linear time', async function () {
    this.timeout(60000);
    const fake = new FakeNftables();
    const set = { ...T, name: 's' };
    const els = Array.from({ length: 100000 }, (_, i) => ({ key: [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 1 + (i % 60000)] }));
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }).addSet({ ...set, type: 'ipv4_addr . inet_service' }).addElements(set, els));
    await fake.commit(new Transaction().deleteElements(set, els.filter((_, i) => i % 2 === 0)));
    const [s] = (await fake.list({ table: 't' })).sets;
    assert.equal(s!.elements!.length, 50000);
    assert.deepEqual(s!.elements![0], { key: ['10.0.0.1', 2] });
    // Deleting one key twice in one operation is ENOENT, as in the kernel.
    await assert.rejects(fake.commit(new Transaction().deleteElements(set, [els[1]!, els[1]!])), /ENOENT/);
  });

  it('a field holding a function or a symbol is a typed error (the transaction latches it), never a DataCloneError', async () => {
    const fake = new FakeNftables();
    await assert.rejects(fake.commit(fake.transaction().addTable({ family: 'ip', name: 't', extra: () => 1 } as never)), NftValidationError);
    await assert.rejects(fake.commit(fake.transaction().addTable({ family: 'ip', name: 't' })
      .addSet({ ...T, name: 's', type: 'ipv4_addr', tag: Symbol('x') } as never)), NftValidationError);
    assert.equal(fake.dump(), '');
  });

  it('after close(), commit, list and generation fail with ERR_HANDLE_CLOSED', async () => {
    const fake = new FakeNftables();
    await fake.close();
    const closed = (op: string) => (e: unknown) => e instanceof HandleClosedError && e.code === 'ERR_HANDLE_CLOSED' && e.operation === op;
    await assert.rejects(fake.commit(new Transaction().addTable({ family: 'ip', name: 't' })), closed('nft.commit'));
    await assert.rejects(fake.list(), closed('nft.list'));
    await assert.rejects(fake.generation(), closed('nft.generation'));
  });

  it('refuses what the kernel refuses (host test nft-fake-agreement checks each against the kernel)', async () => {
    const fake = new FakeNftables();
    const map = { ...T, name: 'm' };
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }).addChain({ ...T, name: 'c' })
      .addSet({ ...map, type: 'inet_service', map: 'ipv4_addr', elements: [{ key: 80, value: '10.0.0.1' }] }));
    const code = (tx: Transaction) => fake.commit(tx).then(() => 'ok', (e: unknown) => (e as NftCommitError).code);
    assert.equal(await code(new Transaction().addElements(map, [{ key: 80, value: '10.0.0.2' }])), 'EEXIST');   // other data
    assert.equal(await code(new Transaction().addElements(map, [{ key: 80, value: '10.0.0.1' }])), 'ok');       // the same data
    assert.equal(await code(new Transaction().addElements(map, [{ key: 443 } as never])), 'EINVAL');           // no data
    assert.equal(await code(new Transaction().addElements(map, [{ key: new Uint8Array(3), value: '10.0.0.3' }])), 'EINVAL');
    assert.equal(await code(new Transaction().addElements(map, []).deleteElements(map, [])), 'ok');
    assert.equal(await code(new Transaction().addRule(nft.rule('ip', 't', 'c', { type: 'payload', base: 'network_header', offset: 12, len: 4 } as never))), 'EINVAL');
    assert.equal(await code(new Transaction().addRule(nft.rule('ip', 't', 'c', { type: 'cmp', sreg: 1, op: 'eq', data: new Uint8Array(4) } as never))), 'ENODATA');
    // A chain is deleted with its rules; a jump to it (even its own) keeps it.
    await fake.commit(new Transaction().addRule(nft.rule('ip', 't', 'c', nft.accept())));
    assert.equal(await code(new Transaction().deleteChain({ ...T, name: 'c' })), 'ok');
    await fake.commit(new Transaction().addChain({ ...T, name: 'c' }).addRule(nft.rule('ip', 't', 'c', nft.jump('c'))));
    assert.equal(await code(new Transaction().deleteChain({ ...T, name: 'c' })), 'EBUSY');
    // The loop is refused once a base chain reaches it, as are 16 jumps in a row.
    const base = { ...T, name: 'in', type: 'filter', hook: 'input', priority: 0 } as const;
    assert.equal(await code(new Transaction().addChain(base).addRule(nft.rule('ip', 't', 'in', nft.jump('c')))), 'EMLINK');
    const deep = new Transaction().addChain(base);
    for (let i = 0; i < 16; i++) deep.addChain({ ...T, name: `d${i}` }).addRule(nft.rule('ip', 't', i === 0 ? 'in' : `d${i - 1}`, nft.jump(`d${i}`)));
    assert.equal(await code(deep), 'EMLINK');
    // 15 jumps are fine.
    const fine = new Transaction().addChain(base);
    for (let i = 0; i < 15; i++) fine.addChain({ ...T, name: `d${i}` }).addRule(nft.rule('ip', 't', i === 0 ? 'in' : `d${i - 1}`, nft.jump(`d${i}`)));
    assert.equal(await code(fine), 'ok');
  });

  it('honours the generation guard', async () => {
    const fake = new FakeNftables();
    const gen = await fake.generation();
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }));
    await assert.rejects(fake.commit(new Transaction().addTable({ family: 'ip', name: 'u' }), { generation: gen }), /ERESTART/);
  });
});

describe('nft decoders on mutated bytes', () => {
  // Kernel-format messages: the captured batches nft sent are in the same format the kernel dumps;
  // the *.list.json fixtures are what the kernel sent for a listing (scripts/capture-nft-listing.mjs).
  const decoders: Record<number, (m: ReturnType<typeof messages>[number]) => unknown> = {
    0: decodeTable, 3: decodeChain, 6: decodeRule, 9: decodeSet, 12: (m) => decodeElements(m, () => undefined), 18: decodeObject,
    22: decodeFlowtable, 24: decodeFlowtable,
  };
  const captured = ['kube-proxy.batch.json', 'flowtable.batch.json', 'link-layer.batch.json', 'kube-proxy.list.json', 'expressions.list.json', 'stateful.list.json']
    .flatMap((f) => JSON.parse(readFileSync(new URL(`../fixtures/nft/${f}`, import.meta.url), 'utf8')) as { type: number; body: string }[])
    .filter((c) => decoders[c.type & 0xff] !== undefined);
  function message(type: number, body: Buffer): Buffer {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(16 + body.length);
    h.writeUInt16LE(type, 4);
    return Buffer.concat([h, body]);
  }

  it('decode every captured message', () => {
    for (const c of captured) {
      const [m] = messages(message(c.type, Buffer.from(c.body, 'hex')));
      assert.doesNotThrow(() => decoders[c.type & 0xff]!(m!));
    }
  });

  it('throw only DecodeError (or succeed) on 20,000 random mutations', () => {
    let seed = 12345;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    let failures = 0;
    for (let i = 0; i < 20000; i++) {
      const c = captured[rand(captured.length)]!;
      const body = Buffer.from(c.body, 'hex');
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) {
        const at = rand(body.length);
        body[at] = rand(3) === 0 ? 0 : rand(3) === 0 ? 0xff : body[at]! ^ (1 << rand(8));
      }
      const cut = rand(5) === 0 ? body.subarray(0, rand(body.length)) : body;
      try {
        const [m] = messages(message(c.type, cut));
        if (m !== undefined) decoders[c.type & 0xff]!(m);
      } catch (e) {
        if (!(e instanceof DecodeError)) {
          failures++;
          if (failures < 3) console.error(`non-DecodeError on ${c.body}: ${(e as Error).stack}`);
        }
      }
    }
    assert.equal(failures, 0);
  });
});

// Each found by the libFuzzer target for these decoders (native/fuzz/js/fuzz_nft.mjs,
// scripts/fuzz.sh) or while writing its round-trip checks.
describe('nft decoders: bugs found by fuzzing', () => {
  it('printing a set whose listed key length is absurd, or whose interval ends make no ranges, neither hangs nor throws', () => {
    const t0 = Date.now();
    const huge = { family: 'ip' as const, table: 't', name: 's', type: 'string', flagBits: 0, keyTypeId: 5, keyLen: 738197508, elements: [{ key: Uint8Array.of(10, 96, 0, 10) }] };
    assert.equal(typeof printElements(huge), 'string');
    // An end of no length below a start: no range to make; the elements print one by one.
    const odd = { family: 'ip' as const, table: 't', name: 's', type: 'ipv4_addr', flagBits: U.NFT_SET_INTERVAL, keyTypeId: 7, keyLen: 4,
      elements: [{ key: '192.168.1.2', intervalEnd: true }, { key: '192.168.1.1' }, { key: Uint8Array.of() }] };
    assert.equal(typeof printElements(odd), 'string');
    assert.ok(Date.now() - t0 < 1000);
  });

  it('flags with the top bit set stay unsigned through encoding and recreation (chain flags, NAT flags, element flags)', () => {
    const w = new Writer(256);
    const m = w.beginMessage((U.NFNL_SUBSYS_NFTABLES << 8) | U.NFT_MSG_NEWCHAIN, 0, 2);
    encodeChain(w, { family: 'ip', table: 't', name: 'c', flags: 0xfb040000 });
    w.endMessage(m);
    assert.equal(decodeChain(messages(Buffer.from(w.bytes()))[0]!).flags, 0xfb040000);
    const nat = recreateExpr({ type: 'nat', nat: 'dnat', family: 'ip6', regAddrMin: 1, regProtoMin: 2, flags: 0xf8000003 } as never) as unknown as { flags: number };
    assert.equal(nat.flags, 0xf8000002);
    const e = decodeElement(elementBytes((x) => encodeElement(x, { key: Uint8Array.of(1, 2, 3, 4), flags: 0x80000000 }, undefined)), undefined);
    assert.equal(e.flags, 0x80000000);
  });

  it('element counters past 2^53 are refused, not sent as something else', () => {
    assert.throws(() => validateElement({ key: '10.0.0.1', counter: { packets: 1, bytes: 2 ** 64 } }, setShape({ type: 'ipv4_addr' }), 'x'), NftValidationError);
  });

  it('a chain whose device and devices disagree is refused (a listing has them agree)', () => {
    assert.throws(() => new Transaction().addChain({ family: 'netdev', table: 't', name: 'c', type: 'filter', hook: 'ingress', priority: 0, device: 'l*', devices: ['lo'] }).encode(), NftValidationError);
  });

  const MSG = (cmd: number) => (U.NFNL_SUBSYS_NFTABLES << 8) | cmd;
  const only = (w: Writer) => messages(Buffer.from(w.bytes()))[0]!;
  const ruleWith = (body: (w: Writer) => void): Buffer => {
    const w = new Writer();
    const m = w.beginMessage(MSG(U.NFT_MSG_NEWRULE), 0, 2);
    w.strz(U.NFTA_RULE_TABLE, 't');
    w.strz(U.NFTA_RULE_CHAIN, 'c');
    const ex = w.nest(U.NFTA_RULE_EXPRESSIONS);
    body(w);
    w.end(ex);
    w.endMessage(m);
    return Buffer.from(w.bytes());
  };
  const reencoded = (r: Rule) => {
    const w = new Writer();
    const m = w.beginMessage(MSG(U.NFT_MSG_NEWRULE), 0, 2);
    encodeRule(w, r, true);
    w.endMessage(m);
    return decodeRule(only(w));
  };

  it('a hook priority shorter than 4 bytes is a DecodeError, not a RangeError', () => {
    const w = new Writer();
    const m = w.beginMessage(MSG(U.NFT_MSG_NEWCHAIN), 0, 2);
    w.strz(U.NFTA_CHAIN_TABLE, 't');
    w.strz(U.NFTA_CHAIN_NAME, 'c');
    const h = w.nest(U.NFTA_CHAIN_HOOK);
    w.be32(U.NFTA_HOOK_HOOKNUM, 0);
    w.be16(U.NFTA_HOOK_PRIORITY, 1);
    w.end(h);
    w.endMessage(m);
    assert.throws(() => decodeChain(only(w)), DecodeError);
  });

  it('quota flags shorter than 4 bytes are a DecodeError, not a RangeError', () => {
    const w = new Writer();
    const m = w.beginMessage(MSG(U.NFT_MSG_NEWOBJ), 0, 2);
    w.strz(U.NFTA_OBJ_TABLE, 't');
    w.strz(U.NFTA_OBJ_NAME, 'q');
    w.be32(U.NFTA_OBJ_TYPE, U.NFT_OBJECT_QUOTA);
    const d = w.nest(U.NFTA_OBJ_DATA);
    w.be64(U.NFTA_QUOTA_BYTES, 100n);
    w.be16(U.NFTA_QUOTA_FLAGS, 1);
    w.end(d);
    w.endMessage(m);
    assert.throws(() => decodeObject(only(w)), DecodeError);
  });

  it('a known expression without NFTA_EXPR_DATA decodes as with an empty one, so it re-encodes to itself', () => {
    const bytes = ruleWith((w) => {
      const e = w.nest(U.NFTA_LIST_ELEM);
      w.strz(U.NFTA_EXPR_NAME, 'immediate');
      w.end(e);
    });
    const r = decodeRule(messages(bytes)[0]!);
    assert.deepEqual(r.expressions, [{ type: 'immediate' }]);
    assert.deepEqual(reencoded(r), r);
  });

  it('keys whose bytes a type would not write back are kept raw: concatenation padding, ifnames', () => {
    const parts = splitType('ipv4_addr . inet_proto . inet_service');
    const key = Uint8Array.of(10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0);
    assert.deepEqual(decodeKey(parts, key), ['10.96.0.10', 'tcp', 80]);
    const padded = Uint8Array.from(key);
    padded[10] = 1;
    assert.equal(decodeKey(parts, padded), undefined);
    const ifname = [dataType('ifname')];
    const name = (s: Buffer) => { const b = new Uint8Array(16); b.set(s); return b; };
    assert.equal(decodeKey(ifname, name(Buffer.from('eth0'))), 'eth0');
    assert.equal(decodeKey(ifname, name(Buffer.from([0x65, 0xff]))), undefined);
    assert.equal(decodeKey(ifname, new Uint8Array(16).fill(0x61)), undefined);
    // Such an element re-encodes to the same bytes.
    const shape = setShape({ type: 'ipv4_addr . inet_proto . inet_service' });
    const e = decodeElement(elementBytes((w) => encodeElement(w, { key: padded }, undefined)), shape);
    assert.deepEqual(e, { key: padded });
    assert.deepEqual(decodeElement(elementBytes((w) => encodeElement(w, e, shape)), shape), e);
  });

  it('one per-element or per-set expression (NFTA_SET_ELEM_EXPR, NFTA_SET_EXPR) other than a counter is kept, as the list exprs are sent back as', () => {
    const quota = (w: Writer) => {
      w.strz(U.NFTA_EXPR_NAME, 'quota');
      const d = w.nest(U.NFTA_EXPR_DATA);
      w.be64(U.NFTA_QUOTA_BYTES, 1000n);
      w.be32(U.NFTA_QUOTA_FLAGS, 0);
      w.end(d);
    };
    const e = decodeElement(elementBytes((w) => {
      const t = w.nest(U.NFTA_LIST_ELEM);
      const k = w.nest(U.NFTA_SET_ELEM_KEY);
      w.attr(U.NFTA_DATA_VALUE, Uint8Array.of(10, 0, 0, 1));
      w.end(k);
      const x = w.nest(U.NFTA_SET_ELEM_EXPR);
      quota(w);
      w.end(x);
      w.end(t);
    }), undefined);
    const list = attrList(Buffer.from(e.exprs ?? []));
    assert.equal(list.length, 1);
    assert.equal(list[0]!.type, U.NFTA_LIST_ELEM);
    assert.deepEqual(decodeElement(elementBytes((w) => encodeElement(w, e, undefined)), undefined), e);

    const w = new Writer();
    const m = w.beginMessage(MSG(U.NFT_MSG_NEWSET), 0, 2);
    w.strz(U.NFTA_SET_TABLE, 't');
    w.strz(U.NFTA_SET_NAME, 's');
    w.be32(U.NFTA_SET_KEY_TYPE, 7);
    w.be32(U.NFTA_SET_KEY_LEN, 4);
    const x = w.nest(U.NFTA_SET_EXPR);
    quota(w);
    w.end(x);
    w.endMessage(m);
    const s = decodeSet(only(w));
    assert.deepEqual(s.exprs, e.exprs);
    // Without NFT_SET_EXPR in the set's flags the kernel takes one expression only as
    // NFTA_SET_EXPR (EINVAL for NFTA_SET_EXPRESSIONS); with it, the list goes as it is.
    const sent = (set: typeof s) => {
      const again = new Writer();
      const n = again.beginMessage(MSG(U.NFT_MSG_NEWSET), 0, 2);
      encodeSet(again, set);
      again.endMessage(n);
      const m = only(again);
      return { types: attrList(m.raw, m.attrs).map((a) => a.type), decoded: decodeSet(m) };
    };
    const one = sent(s);
    const forms = (types: number[]) => ({ expr: types.includes(U.NFTA_SET_EXPR), expressions: types.includes(U.NFTA_SET_EXPRESSIONS) });
    assert.deepEqual(forms(one.types), { expr: true, expressions: false });
    assert.deepEqual(one.decoded.exprs, s.exprs);
    const flagged = sent({ ...s, flagBits: U.NFT_SET_EXPR });
    assert.deepEqual(forms(flagged.types), { expr: false, expressions: true });
    assert.deepEqual(flagged.decoded.exprs, s.exprs);
  });

  it('toTransaction() leaves out a dynset timeout of 0, which the kernel lists but refuses for a set without timeouts', () => {
    const listed = (timeout: number) => new Ruleset({
      generation: 1,
      tables: [{ family: 'ip', name: 't' }],
      chains: [{ family: 'ip', table: 't', name: 'c' }],
      sets: [{ family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flagBits: 32, keyTypeId: 7, keyLen: 4, flags: ['dynamic'] }],
      rules: [{ family: 'ip', table: 't', chain: 'c', expressions: [
        { type: 'payload', base: 'network_header', offset: 12, len: 4, dreg: 1 },
        { type: 'dynset', op: 'add', set: 's', sregKey: 1, timeout, flags: 0 },
      ] }],
      objects: [],
    });
    const dynset = (timeout: number) => messages(listed(timeout).toTransaction().encode().bytes)
      .filter((m) => (m.type & 0xff) === U.NFT_MSG_NEWRULE).map(decodeRule)[0]!.expressions[1]!;
    const without = dynset(0) as { timeout?: number; set?: string };
    assert.equal(without.set, 's');
    assert.equal('timeout' in without, false);
    assert.equal((dynset(60000) as { timeout?: number }).timeout, 60000);
  });

  it('printing never throws or hangs on expressions with fields missing or of odd sizes', () => {
    const rule = (...expressions: object[]) => ({ family: 'ip' as const, table: 't', chain: 'c', expressions: expressions as Rule['expressions'] });
    assert.equal(printRule(rule({ type: 'immediate', dreg: 1 }, { type: 'counter' })), '[ immediate dreg 1 ] counter packets 0 bytes 0');
    // A 1-byte port for masquerade, a 2-byte address for dnat.
    assert.match(printRule(rule({ type: 'immediate', dreg: 1, data: Uint8Array.of(1) }, { type: 'masq', regProtoMin: 1 })), /\[ masq regProtoMin 1 \]/);
    assert.match(printRule(rule({ type: 'immediate', dreg: 1, data: Uint8Array.of(1, 2) }, { type: 'nat', nat: 'dnat', family: 'ip', regAddrMin: 1 })), /\[ nat /);
    // No registers at all, and a zero-length value: the register walks used to loop for ever.
    assert.equal(typeof printRule(rule({ type: 'hash' }, { type: 'lookup', set: 's' })), 'string');
    assert.equal(typeof printRule(rule({ type: 'immediate', dreg: 1, data: new Uint8Array(0) }, { type: 'lookup', sreg: 1, set: 's' })), 'string');
    // An interval end that is no address: read as the number it holds, it
    // sorts before the start (nft's interval_map_decompose drops an end
    // without a start), so the start runs to the top of the range.
    const s = { family: 'ip' as const, table: 't', name: 's', type: 'ipv4_addr', flags: ['interval' as const],
      elements: [{ key: '10.0.0.0' }, { key: Uint8Array.of(1, 2), intervalEnd: true }] };
    assert.equal(printElements(s), '10.0.0.0-255.255.255.255');
  });

  it('a listed ruleset whose anonymous set has a type without a name (0x..) recreates it', () => {
    const listed = new Ruleset({
      generation: 1,
      tables: [{ family: 'ip', name: 't' }],
      chains: [{ family: 'ip', table: 't', name: 'c' }],
      sets: [{ family: 'ip', table: 't', name: '__set0', type: '0x30', flagBits: 3, keyTypeId: 0x30, keyLen: 2, flags: ['anonymous', 'constant'],
        elements: [{ key: Uint8Array.of(0, 1) }, { key: Uint8Array.of(0, 2) }] }],
      rules: [{ family: 'ip', table: 't', chain: 'c', expressions: [{ type: 'payload', base: 'transport_header', offset: 0, len: 2, dreg: 1 }, { type: 'lookup', sreg: 1, set: '__set0' }] }],
      objects: [],
    });
    const set = messages(listed.toTransaction().encode().bytes).filter((m) => (m.type & 0xff) === U.NFT_MSG_NEWSET).map(decodeSet);
    assert.equal(set.length, 1);
    assert.equal(set[0]!.keyTypeId, 0x30);
    assert.equal(set[0]!.keyLen, 2);
  });
});

function elementBytes(write: (w: Writer) => void): Buffer {
  const w = new Writer();
  write(w);
  const b = Buffer.from(w.bytes());
  return b.subarray(4, b.readUInt16LE(0));  // the inside of the element's nest
}

describe('nft printer on made-up loads', () => {
  it('prints a payload load longer than the register file in the low-level form, at once (fuzzer: it took len^2 steps)', async () => {
    const { printRule } = await import('../../src/nft/print.js');
    const text = printRule({
      family: 'inet', table: 't', chain: 'c', expressions: [
        { type: 'payload', dreg: 1, base: 'network_header', offset: 16, len: 553648132 },
        { type: 'cmp', sreg: 1, op: 'eq', data: Uint8Array.of(10, 9, 9, 9) },
      ],
    } as never);
    assert.match(text, /^\[ payload dreg 1 base network_header offset 16 len 553648132 \] \[ cmp /);
  });
});
