// nftables without privilege: validation, FakeNftables, and decoders fed
// mutated kernel bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { DecodeError, ExpressionError, FakeNftables, NftCommitError, NftValidationError, Transaction, nft } from '../../src/index.js';
import { decodeChain } from '../../src/nft/chain.js';
import { decodeFlowtable } from '../../src/nft/flowtable.js';
import { decodeObject } from '../../src/nft/object.js';
import { decodeRule } from '../../src/nft/rule.js';
import { decodeElements, decodeSet } from '../../src/nft/set.js';
import { decodeTable } from '../../src/nft/table.js';
import { messages } from '../../src/nft/wire.js';
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

  it('honours the generation guard', async () => {
    const fake = new FakeNftables();
    const gen = await fake.generation();
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 't' }));
    await assert.rejects(fake.commit(new Transaction().addTable({ family: 'ip', name: 'u' }), { generation: gen }), /ERESTART/);
  });
});

describe('nft decoders on mutated bytes', () => {
  // Kernel-format messages: the captured batch nft sent is in the same format the kernel dumps.
  const captured = ['kube-proxy.batch.json', 'flowtable.batch.json', 'link-layer.batch.json']
    .flatMap((f) => JSON.parse(readFileSync(new URL(`../fixtures/nft/${f}`, import.meta.url), 'utf8')) as { type: number; body: string }[]);
  const decoders: Record<number, (m: ReturnType<typeof messages>[number]) => unknown> = {
    0: decodeTable, 3: decodeChain, 6: decodeRule, 9: decodeSet, 12: (m) => decodeElements(m, () => undefined), 18: decodeObject,
    22: decodeFlowtable, 24: decodeFlowtable,
  };
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
