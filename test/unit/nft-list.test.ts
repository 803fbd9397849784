// The listing's decode path: replies joined in one buffer (nfnlConcat),
// messages and attributes read in place, a set's elements split over
// several messages, and the name caches that let consecutive rules share
// their table and chain strings.
import assert from 'node:assert/strict';

import { DecodeError, NetlinkError, Nftables, nft, Transaction, type Flowtable } from '../../src/index.js';
import type { NativeHandle } from '../../src/binding.js';
import type { NativeErrorInfo } from '../../src/errors.js';
import { encodeChain, decodeChainAt, type Chain } from '../../src/nft/chain.js';
import { encodeRule, decodeRule, decodeRuleAt, type Rule } from '../../src/nft/rule.js';
import { encodeTable } from '../../src/nft/table.js';
import { encodeElement, encodeSet, fillElements, setShape, ShapeCache, type NftSet, type SetElement } from '../../src/nft/set.js';
import * as U from '../../src/nft/uapi.js';
import { attrTable, eachMessage, messages, NameCache, str, Writer, type ConcatReplies } from '../../src/nft/wire.js';

const MSG = (m: number): number => (U.NFNL_SUBSYS_NFTABLES << 8) | m;
const IP = 2;

function ruleMessage(w: Writer, r: Rule): void {
  const m = w.beginMessage(MSG(U.NFT_MSG_NEWRULE), 2, IP);
  encodeRule(w, r, true);
  w.endMessage(m);
}

// One NEWSETELEM message of a dump: the set's table and name, then elements.
function elementMessage(w: Writer, set: NftSet, elements: SetElement[]): void {
  const m = w.beginMessage(MSG(U.NFT_MSG_NEWSETELEM), 2, IP);
  w.strz(U.NFTA_SET_ELEM_LIST_TABLE, set.table);
  w.strz(U.NFTA_SET_ELEM_LIST_SET, set.name);
  const list = w.nest(U.NFTA_SET_ELEM_LIST_ELEMENTS);
  const shape = setShape(set);
  for (const e of elements) encodeElement(w, e, shape);
  w.end(list);
  w.endMessage(m);
}

// Replies written one after another into w, joined as nfnlConcat returns them.
function joined(parts: ((w: Writer) => void)[]): ConcatReplies {
  const w = new Writer(64);
  const ends: number[] = [];
  for (const write of parts) {
    write(w);
    ends.push(w.length);
  }
  return { data: Buffer.from(w.bytes()), ends: Uint32Array.from(ends) };
}

describe('nft listing decode path', () => {
  it('eachMessage walks joined messages and refuses a length past the end', () => {
    const r = joined([(w) => ruleMessage(w, nft.rule('ip', 't', 'a', nft.accept())), (w) => ruleMessage(w, nft.rule('ip', 't', 'b', nft.drop()))]);
    const seen: string[] = [];
    eachMessage(r.data, 0, r.data.length, (at, end, family) => seen.push(`${family} ${decodeRuleAt(r.data, at, end, family).chain}`));
    assert.deepEqual(seen, ['2 a', '2 b']);
    // Only the first reply's range.
    const first: string[] = [];
    eachMessage(r.data, 0, r.ends[0]!, (at, end, family) => first.push(decodeRuleAt(r.data, at, end, family).chain));
    assert.deepEqual(first, ['a']);
    const bad = Buffer.from(r.data);
    bad.writeUInt32LE(bad.length + 4, 0);
    assert.throws(() => eachMessage(bad, 0, bad.length, () => undefined), DecodeError);
    // A message too short for nfgenmsg: no attributes, family 0.
    const short = Buffer.alloc(16);
    short.writeUInt32LE(16, 0);
    eachMessage(short, 0, 16, (at, end, family) => assert.deepEqual([at, end, family], [16, 16, 0]));
  });

  it('decodeRuleAt gives what decodeRule gives, with or without the name caches', () => {
    const rules = [
      { ...nft.rule('ip', 'kube-proxy', 'svc-aaaa', nft.match('ip daddr', '10.96.0.1'), nft.match('tcp dport', 443), nft.jump('ep-aaaa')), handle: 7, comment: 'x' },
      { ...nft.rule('ip', 'kube-proxy', 'svc-aaaa', { type: 'numgen', dreg: 1, modulus: 2, mode: 'random', offset: 0 }, { type: 'lookup', set: '__map0', sreg: 1, dreg: 0 }), handle: 8 },
      // Same length as the chain before, different bytes: the cache must not return the old name.
      { ...nft.rule('ip', 'kube-proxy', 'svc-aaab', nft.dnat('10.0.0.1', 8080)), handle: 9 },
      { ...nft.rule('ip', 'kube-proxy2', 'svc-aaab', nft.masquerade()), handle: 10 },
    ];
    const r = joined(rules.map((rule) => (w: Writer) => ruleMessage(w, rule)));
    const names = { table: new NameCache(), chain: new NameCache() };
    const plain: Rule[] = [];
    const cached: Rule[] = [];
    eachMessage(r.data, 0, r.data.length, (at, end, family) => {
      plain.push(decodeRuleAt(r.data, at, end, family));
      cached.push(decodeRuleAt(r.data, at, end, family, names));
    });
    const viaMessages = messages(r.data).map(decodeRule);
    assert.deepEqual(cached, viaMessages);
    assert.deepEqual(plain, viaMessages);
    assert.deepEqual(cached.map((x) => `${x.table} ${x.chain} ${x.handle}`), ['kube-proxy svc-aaaa 7', 'kube-proxy svc-aaaa 8', 'kube-proxy svc-aaab 9', 'kube-proxy2 svc-aaab 10']);
    assert.equal(cached[0]!.comment, 'x');
    assert.deepEqual(cached[1]!.expressions, rules[1]!.expressions);
  });

  it('NameCache returns the same string for the same bytes and a new one for other bytes', () => {
    const buf = Buffer.from('abc\0abc\0abd\0\0\0', 'latin1');
    const c = new NameCache();
    const a = c.get(buf, 0, 4);
    assert.equal(a, 'abc');
    assert.equal(c.get(buf, 4, 4), 'abc');
    assert.equal(c.get(buf, 8, 6), 'abd');
    assert.equal(c.get(buf, 12, 2), '');
    assert.equal(c.get(buf, 0, 3), 'abc');
  });

  it('decodeChainAt reads chains the same way with a table name cache', () => {
    const chains: Chain[] = [
      { family: 'ip', table: 't', name: 'pre', type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' },
      { family: 'ip', table: 't', name: 'plain', comment: 'hello' },
      { family: 'ip', table: 'u', name: 'plain' },
    ];
    const r = joined(chains.map((c) => (w: Writer) => {
      const m = w.beginMessage(MSG(U.NFT_MSG_NEWCHAIN), 2, IP);
      encodeChain(w, c);
      w.endMessage(m);
    }));
    const tables = new NameCache();
    const got: Chain[] = [];
    eachMessage(r.data, 0, r.data.length, (at, end, family) => got.push(decodeChainAt(r.data, at, end, family, tables)));
    assert.deepEqual(got.map((c) => ({ ...c, userdata: undefined })), chains.map((c) => ({ ...c, userdata: undefined })));
  });

  it('fillElements gives each set its reply, joining elements the kernel split over several messages', () => {
    const vmap: NftSet = { family: 'ip', table: 't', name: '__map0', type: 'integer', map: 'verdict', flags: ['anonymous', 'constant'] };
    const empty: NftSet = { family: 'ip', table: 't', name: '__map1', type: 'integer', map: 'verdict', flags: ['anonymous', 'constant'] };
    const services: NftSet = { family: 'ip', table: 't', name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service', map: 'verdict' };
    const many: SetElement[] = [];
    for (let i = 0; i < 300; i++) many.push({ key: [`10.96.${i >> 8}.${i & 255}`, 'tcp', 80 + (i % 3)], verdict: { kind: 'goto', chain: `svc-${i}` } });
    const r = joined([
      (w) => elementMessage(w, vmap, [{ key: 0, verdict: { kind: 'goto', chain: 'ep-1' } }, { key: 1, verdict: { kind: 'goto', chain: 'ep-2' } }]),
      () => undefined,  // a set without elements: the dump has no message at all
      (w) => {
        // One dump answered in three messages, as when it runs past one skb.
        elementMessage(w, services, many.slice(0, 100));
        elementMessage(w, services, many.slice(100, 250));
        elementMessage(w, services, many.slice(250));
      },
    ]);
    const sets = [vmap, empty, services].map((s) => ({ ...s }));
    // Replies for sets[1..] only: the first slice was another exchange.
    const tail = joined([() => undefined, (w) => {
      elementMessage(w, services, many.slice(0, 10));
    }]);
    fillElements(sets, 0, r, new ShapeCache());
    assert.deepEqual(sets[0]!.elements, [{ key: 0, verdict: { kind: 'goto', chain: 'ep-1' } }, { key: 1, verdict: { kind: 'goto', chain: 'ep-2' } }]);
    assert.deepEqual(sets[1]!.elements, []);
    assert.deepEqual(sets[2]!.elements, many);
    fillElements(sets, 1, tail, new ShapeCache());
    assert.deepEqual(sets[1]!.elements, []);
    assert.deepEqual(sets[2]!.elements, many.slice(0, 10));
    assert.throws(() => fillElements(sets, 2, tail, new ShapeCache()), DecodeError);
  });

  it('ShapeCache works a shape out once per set type', () => {
    const shapes = new ShapeCache();
    const a: NftSet = { family: 'ip', table: 't', name: 'a', type: 'ipv4_addr', flags: ['interval'] };
    const b: NftSet = { family: 'ip', table: 't', name: 'b', type: 'ipv4_addr', flags: ['interval'] };
    const c: NftSet = { family: 'ip', table: 't', name: 'c', type: 'ipv4_addr' };
    assert.equal(shapes.of(a), shapes.of(b));
    assert.notEqual(shapes.of(a), shapes.of(c));
    assert.deepEqual(shapes.of(a), setShape(a));
    assert.deepEqual(shapes.of(c), setShape(c));
    assert.equal(shapes.of({ ...c, type: '0x12345' }), undefined);
  });
});

// A kernel stand-in behind the native handle: answers list()'s requests from
// a ruleset held here, in the kernel's message format, and counts exchanges.
class ScriptedNative {
  chains: Chain[] = [];
  rules: Rule[] = [];
  sets: { set: NftSet; elements: SetElement[] }[] = [];
  /** NEWFLOWTABLE messages as the kernel writes them (kernelFlowtable). */
  flowtables: ((w: Writer) => void)[] = [];
  generations = [7];
  failSet: string | undefined;
  concatCalls: number[] = [];

  asHandle(): NativeHandle {
    return this as unknown as NativeHandle;
  }

  #byChain: Map<string, Rule[]> | undefined;

  #rulesOf(chain: string): Rule[] {
    if (this.#byChain === undefined) {
      this.#byChain = new Map();
      for (const r of this.rules) this.#byChain.set(r.chain, [...(this.#byChain.get(r.chain) ?? []), r]);
    }
    return this.#byChain.get(chain) ?? [];
  }

  #answer(type: number, attrs: Buffer, w: Writer): NativeErrorInfo | undefined {
    const a = attrTable(attrs);
    const put = (t: number, body: () => void): void => {
      const m = w.beginMessage(MSG(t), 2, IP);
      body();
      w.endMessage(m);
    };
    switch (type) {
      case U.NFT_MSG_GETGEN: {
        const gen = this.generations.length > 1 ? this.generations.shift()! : this.generations[0]!;
        put(U.NFT_MSG_NEWGEN, () => w.be32(U.NFTA_GEN_ID, gen));
        return undefined;
      }
      case U.NFT_MSG_GETTABLE:
        put(U.NFT_MSG_NEWTABLE, () => encodeTable(w, { family: 'ip', name: 't' }));
        return undefined;
      case U.NFT_MSG_GETCHAIN:
        for (const c of this.chains) put(U.NFT_MSG_NEWCHAIN, () => encodeChain(w, c));
        return undefined;
      case U.NFT_MSG_GETSET:
        for (const { set } of this.sets) put(U.NFT_MSG_NEWSET, () => encodeSet(w, set));
        return undefined;
      case U.NFT_MSG_GETOBJ:
        return undefined;
      case U.NFT_MSG_GETFLOWTABLE: {
        const table = a[U.NFTA_FLOWTABLE_TABLE] === undefined ? undefined : str(a[U.NFTA_FLOWTABLE_TABLE]);
        for (const write of this.flowtables) {
          const one = new Writer(64);
          write(one);
          const m = messages(Buffer.from(one.bytes()))[0]!;
          if (table === undefined || str(attrTable(m.raw, m.attrs)[U.NFTA_FLOWTABLE_TABLE]!) === table) write(w);
        }
        return undefined;
      }
      case U.NFT_MSG_GETRULE: {
        const chain = a[U.NFTA_RULE_CHAIN] === undefined ? undefined : str(a[U.NFTA_RULE_CHAIN]);
        for (const r of chain === undefined ? this.rules : this.#rulesOf(chain)) put(U.NFT_MSG_NEWRULE, () => encodeRule(w, r, true));
        return undefined;
      }
      case U.NFT_MSG_GETSETELEM: {
        const name = str(a[U.NFTA_SET_ELEM_LIST_SET]!);
        if (name === this.failSet) return { errno: 2, code: 'ENOENT', message: 'No such file or directory', extack: 'no such set' };
        const entry = this.sets.find((x) => x.set.name === name)!;
        // Two elements a message, as a dump split over several skbs would come.
        for (let i = 0; i < entry.elements.length; i += 2) elementMessage(w, entry.set, entry.elements.slice(i, i + 2));
        return undefined;
      }
    }
    throw new Error(`unexpected request ${type}`);
  }

  #each(messages: Uint8Array, fn: (type: number, attrs: Buffer) => void): void {
    const buf = Buffer.from(messages.buffer, messages.byteOffset, messages.byteLength);
    for (let off = 0; off < buf.length;) {
      const len = buf.readUInt32LE(off);
      fn(buf.readUInt16LE(off + 4) & 0xff, buf.subarray(off + 20, off + len));
      off += len;
    }
  }

  async nfnl(messages: Uint8Array): Promise<{ error?: NativeErrorInfo; data: Buffer }[]> {
    const out: { error?: NativeErrorInfo; data: Buffer }[] = [];
    this.#each(messages, (type, attrs) => {
      const w = new Writer(64);
      const error = this.#answer(type, attrs, w);
      out.push({ ...(error !== undefined ? { error } : {}), data: Buffer.from(w.bytes()) });
    });
    return out;
  }

  async nfnlConcat(messages: Uint8Array): Promise<ConcatReplies & { errors: { index: number; error: NativeErrorInfo }[] }> {
    const w = new Writer(64);
    const ends: number[] = [];
    const errors: { index: number; error: NativeErrorInfo }[] = [];
    this.#each(messages, (type, attrs) => {
      const at = w.length;
      const error = this.#answer(type, attrs, w);
      if (error !== undefined) errors.push({ index: ends.length, error });
      if (error !== undefined && w.length !== at) throw new Error('error replies carry no messages');
      ends.push(w.length);
    });
    this.concatCalls.push(ends.length);
    return { data: Buffer.from(w.bytes()), ends: Uint32Array.from(ends), errors };
  }

  close(): void {}
}

function nftablesOver(native: ScriptedNative): Nftables {
  const Ctor = Nftables as unknown as new (n: NativeHandle, o: object) => Nftables;
  return new Ctor(native.asHandle(), {});
}

describe('Nftables.list over a scripted kernel', () => {
  function kubeLike(services: number): ScriptedNative {
    const k = new ScriptedNative();
    const T = { family: 'ip' as const, table: 't' };
    k.sets.push({ set: { ...T, name: 'service-ips', type: 'ipv4_addr . inet_proto . inet_service', map: 'verdict' }, elements: [] });
    for (let i = 0; i < services; i++) {
      const svc = `svc-${i}`;
      k.chains.push({ ...T, name: svc }, { ...T, name: `${svc}-ep` });
      k.rules.push({ ...nft.rule('ip', 't', svc, nft.match('ip daddr', `172.30.${i >> 8}.${i & 255}`), { type: 'numgen', dreg: 1, modulus: 2, mode: 'random', offset: 0 }, { type: 'lookup', set: `__map${i}`, sreg: 1, dreg: 0 }), handle: 2 * i + 1 });
      k.rules.push({ ...nft.rule('ip', 't', `${svc}-ep`, nft.dnat(`10.0.${i >> 8}.${i & 255}`, 8080)), handle: 2 * i + 2 });
      k.sets.push({
        set: { ...T, name: `__map${i}`, type: 'integer', map: 'verdict', flags: ['anonymous', 'constant'] },
        elements: [{ key: 0, verdict: { kind: 'goto', chain: `${svc}-ep` } }, { key: 1, verdict: { kind: 'goto', chain: `${svc}-ep` } }, { key: 2, verdict: { kind: 'drop' } }],
      });
      k.sets[0]!.elements.push({ key: [`172.30.${i >> 8}.${i & 255}`, 'tcp', 80], verdict: { kind: 'goto', chain: svc } });
    }
    return k;
  }

  it('reads rules chain by chain and elements set by set, in slices, each set getting its own elements', async () => {
    const k = kubeLike(1100);  // 2,200 chains and 1,101 sets: two slices of each
    const listed = await nftablesOver(k).list();
    assert.equal(listed.generation, 7);
    assert.deepEqual(k.concatCalls, [2048, 152, 1024, 77]);
    assert.equal(listed.chains.length, 2200);
    assert.deepEqual(listed.rules.map((r) => `${r.chain} ${r.handle}`), k.rules.map((r) => `${r.chain} ${r.handle}`));
    const again = joined([(w) => ruleMessage(w, k.rules[2199]!)]);
    assert.deepEqual(listed.rules[2199], decodeRule(messages(again.data)[0]!));
    assert.equal(listed.sets.length, 1101);
    for (const [i, { set, elements }] of k.sets.entries()) {
      assert.equal(listed.sets[i]!.name, set.name);
      assert.deepEqual(listed.sets[i]!.elements, elements);
    }
  });

  it('reads again when the generation moved while it read', async () => {
    const k = kubeLike(3);
    k.generations = [7, 8, 8, 8];
    const listed = await nftablesOver(k).list();
    assert.equal(listed.generation, 8);
    assert.equal(listed.sets[3]!.elements!.length, 3);
  });

  it('an element dump the kernel refuses fails the listing with its error', async () => {
    const k = kubeLike(1100);
    k.failSet = '__map1050';
    await assert.rejects(nftablesOver(k).list(), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.operation, 'nft.list');
      assert.equal(e.extack, 'no such set');
      return true;
    });
  });

  it('the narrower listings return what list() returns for their part, without the dumps they do not need', async () => {
    const k = kubeLike(1100);
    const h = nftablesOver(k);
    const all = await h.list();
    k.concatCalls = [];
    assert.deepEqual(await h.listElements({ family: 'ip', table: 't', name: '__map17' }), all.sets.find((x) => x.name === '__map17')!.elements);
    assert.deepEqual(k.concatCalls, [1]);
    k.concatCalls = [];
    assert.deepEqual(await h.listRules({ family: 'ip', table: 't' }), all.rules);
    assert.deepEqual(k.concatCalls, [2048, 152]);
    k.concatCalls = [];
    assert.deepEqual(await h.listSets(), all.sets);
    assert.deepEqual(k.concatCalls, [1024, 77]);
    k.concatCalls = [];
    assert.deepEqual(await h.listChains(), all.chains);
    assert.deepEqual(await h.listTables(), all.tables);
    assert.deepEqual(await h.listObjects(), all.objects);
    assert.deepEqual(k.concatCalls, []);
    await assert.rejects(h.listElements({ family: 'ip', table: 't', name: 'nope' }), (e: unknown) => e instanceof NetlinkError && e.code === 'ENOENT');
  });

  it('filters by family, table and chain as before', async () => {
    const k = kubeLike(300);
    const h = nftablesOver(k);
    const one = await h.list({ family: 'ip', table: 't', chain: 'svc-7' });
    assert.deepEqual(one.chains.map((c) => c.name), ['svc-7']);
    assert.deepEqual(one.rules.map((r) => r.chain), ['svc-7']);
    assert.equal((await h.list({ family: 'ip6' })).chains.length, 0);
    assert.equal((await h.list({ chain: 'svc-9-ep' })).rules.length, 1);
  });
});

// A NEWFLOWTABLE message laid out as nf_tables_fill_flowtable_info() writes
// it (not with our encoder): table, name, use, handle, flags, then the hook
// with its devices in the kernel's hook list order.
function kernelFlowtable(family: number, f: { table: string; name: string; use: number; handle: number; flags: number; priority: number; devices: string[] }, type = U.NFT_MSG_NEWFLOWTABLE, hook = true) {
  return (w: Writer): void => {
    const m = w.beginMessage(MSG(type), 2, family);
    w.strz(U.NFTA_FLOWTABLE_TABLE, f.table);
    w.strz(U.NFTA_FLOWTABLE_NAME, f.name);
    w.be64(U.NFTA_FLOWTABLE_HANDLE, BigInt(f.handle));
    if (hook) {
      w.be32(U.NFTA_FLOWTABLE_USE, f.use);
      w.be32(U.NFTA_FLOWTABLE_FLAGS, f.flags);
      const h = w.nest(U.NFTA_FLOWTABLE_HOOK);
      w.be32(U.NFTA_FLOWTABLE_HOOK_NUM, 0);
      w.be32(U.NFTA_FLOWTABLE_HOOK_PRIORITY, f.priority >>> 0);
      const d = w.nest(U.NFTA_FLOWTABLE_HOOK_DEVS);
      for (const dev of f.devices) {
        if (dev.endsWith('*')) w.strz(2, dev.slice(0, -1));  // NFTA_DEVICE_PREFIX
        else w.strz(U.NFTA_DEVICE_NAME, dev);
      }
      w.end(d);
      w.end(h);
    }
    w.endMessage(m);
  };
}

describe('flowtables in a listing', () => {
  function withFlowtables(): ScriptedNative {
    const k = new ScriptedNative();
    k.chains.push({ family: 'ip', table: 't', name: 'fw', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' });
    k.rules.push({ ...nft.rule('ip', 't', 'fw', nft.match('ip protocol', 'tcp'), nft.flowAdd('ft')), handle: 4 });
    // nft sent `devices = { veth0, veth1, veth2 }` as veth2, veth1, veth0: the kernel keeps that order.
    k.flowtables.push(kernelFlowtable(IP, { table: 't', name: 'ft', use: 1, handle: 3, flags: 3, priority: -5, devices: ['veth2', 'veth1', 'veth0'] }));
    k.flowtables.push(kernelFlowtable(IP, { table: 'u', name: 'other', use: 0, handle: 9, flags: 0, priority: 100, devices: ['lan*', 'wan0'] }));
    return k;
  }

  it('decodes what the kernel dumps, devices in the order they were written', async () => {
    const h = nftablesOver(withFlowtables());
    const listed = await h.list();
    assert.deepEqual(listed.flowtables, [
      { family: 'ip', table: 't', name: 'ft', hook: 'ingress', priority: -5, devices: ['veth0', 'veth1', 'veth2'], flags: ['offload', 'counter'], handle: 3, use: 1 },
      { family: 'ip', table: 'u', name: 'other', hook: 'ingress', priority: 100, devices: ['wan0', 'lan*'], flags: [], handle: 9, use: 0 },
    ]);
    assert.deepEqual(listed.rules[0]!.expressions.at(-1), { type: 'flow_offload', flowtable: 'ft' });
  });

  it('listFlowtables and list() filter by family and table', async () => {
    const h = nftablesOver(withFlowtables());
    assert.deepEqual((await h.listFlowtables()).map((f) => f.name), ['ft', 'other']);
    assert.deepEqual((await h.listFlowtables({ family: 'ip', table: 'u' })).map((f) => f.name), ['other']);
    assert.deepEqual((await h.listFlowtables({ family: 'ip6' })).map((f) => f.name), []);
    assert.deepEqual((await h.list({ family: 'ip', table: 't' })).flowtables.map((f) => f.name), ['ft']);
    assert.deepEqual((await h.listTables()).length, 1);
  });

  it('prints them as nft list ruleset does: after the sets, before the chains, devices sorted', async () => {
    const listed = await nftablesOver(withFlowtables()).list({ family: 'ip', table: 't' });
    assert.equal(listed.toString(), [
      'table ip t {',
      '\tflowtable ft {',
      '\t\thook ingress priority filter - 5',
      '\t\tdevices = { veth0, veth1, veth2 }',
      '\t\tflags offload',
      '\t\tcounter',
      '\t}',
      '',
      '\tchain fw {',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t\tip protocol tcp flow add @ft',
      '\t}',
      '}',
      '',
    ].join('\n'));
  });

  it('re-encodes a decoded flowtable into the message nft would send for it', async () => {
    const [f] = await nftablesOver(withFlowtables()).listFlowtables({ family: 'ip', table: 't' });
    const tx = listedTransaction(f!);
    const b = tx.encode().bytes;
    const a = attrTable(b, 20, b.readUInt32LE(0));
    assert.equal(str(a[U.NFTA_FLOWTABLE_NAME]!), 'ft');
    const hook = attrTable(a[U.NFTA_FLOWTABLE_HOOK]!);
    // Devices go out last first, as nft sends them: the kernel's order again.
    const names: string[] = [];
    eachAttr(hook[U.NFTA_FLOWTABLE_HOOK_DEVS]!, (d) => names.push(str(d)));
    assert.deepEqual(names, ['veth2', 'veth1', 'veth0']);
    assert.equal(hook[U.NFTA_FLOWTABLE_HOOK_PRIORITY]!.readInt32BE(0), -5);
    assert.equal(a[U.NFTA_FLOWTABLE_FLAGS]!.readUInt32BE(0), 3);
  });
});

function listedTransaction(f: Flowtable): Transaction {
  const copy = { ...f };
  delete copy.handle;
  delete copy.use;
  return new Transaction().addFlowtable(copy);
}

function eachAttr(buf: Buffer, fn: (data: Buffer) => void): void {
  for (let off = 0; off + 4 <= buf.length;) {
    const len = buf.readUInt16LE(off);
    fn(buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
}
