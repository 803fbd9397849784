// Issue 15's "validation that can be fooled", one case at a time: prototype
// names in enum fields, what a transaction sends after its caller changed
// the objects, builders that used to coerce, and bulk calls that must
// refuse everything before anything is sent or applied.
import assert from 'node:assert/strict';

import { FakeIpvs, FakeNftables, Ipvs, nft, Transaction } from '../../src/index.js';
import { CALLS } from '../fixtures/hostile/calls.js';
import { mutate, stubSends } from '../fixtures/hostile/sweep.js';
import { HOSTILE, PROTOTYPE_NAMES, SentError } from '../fixtures/hostile/values.js';

describe('prototype names in enum fields', () => {
  // Every enum-typed field the sweep knows (calls.ts), each fed every prototype name.
  const cases = CALLS.flatMap((call) => (call.enums ?? []).map((path) => ({ call, path: path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)) })));

  it(`${cases.length} fields x ${PROTOTYPE_NAMES.length} names: a TypeError naming the field, nothing sent`, async () => {
    const counter = { sends: 0 };
    const unstub = stubSends(counter);
    const handles = { nft: new FakeNftables(), ipvs: new FakeIpvs() };
    try {
      let n = 0;
      for (const { call, path } of cases) {
        if (call.target !== 'nft' && call.target !== 'ipvs' && call.target !== 'builder') continue;
        if (call.realOnly === true) continue;
        for (const value of HOSTILE.filter((x) => x.kind === 'prototype')) {
          const what = `${call.name} ${path.join('.')} = ${value.label}`;
          const args = mutate(call.args(), { path, how: 'set', value });
          const log = handles.ipvs.log.length;
          const dump = handles.nft.dump();
          const e = await Promise.resolve().then(() => call.run(handles, args)).then(() => undefined, (x: unknown) => x);
          assert.ok(e instanceof TypeError, `${what}: ${String(e)}`);
          // The field by its key (an element of a list by the list's name or index).
          const leaf = path[path.length - 1]!;
          const named = typeof leaf === 'string' ? e.message.includes(leaf) : e.message.includes(`[${leaf}]`) || e.message.includes(String(path[path.length - 2] ?? ''));
          assert.ok(named || e.message.includes(value.label === '__proto__' ? 'proto' : value.label), `${what}: does not name the field: ${e.message}`);
          assert.equal(handles.ipvs.log.length, log, `${what}: applied`);
          assert.equal(handles.nft.dump(), dump, `${what}: committed`);
          n++;
        }
      }
      assert.equal(counter.sends, 0);
      assert.ok(n > 300, `${n} cases`);
    } finally {
      unstub();
    }
  });

  it('the ones issue 15 found', async () => {
    assert.throws(() => nft.verdict({ kind: 'toString' as never }), /verdict\.kind: unknown verdict "toString"/);
    assert.throws(() => nft.ctState('constructor' as never), /states\[0\]: unknown ct state "constructor"/);
    const tx = new Transaction().addRule({ family: 'ip', table: 't', chain: 'c', expressions: [{ type: 'immediate', dreg: 0, data: { kind: 'toString' } } as never] });
    assert.match(String(tx.error), /data\.kind: unknown verdict "toString"/);
    const ipvs = new FakeIpvs();
    await assert.rejects(ipvs.addService({ protocol: 'valueOf' as never, address: '10.0.0.1', port: 80 }), /service\.protocol/);
    await assert.rejects(ipvs.addDest({ fwmark: 1 }, { address: '10.0.0.2', forward: 'constructor' as never }), /dest\.forward/);
    await assert.rejects(ipvs.addDest({ fwmark: 1 }, { address: '10.0.0.2', forward: 'tunnel', tunnel: { type: 'ipip', checksum: 'toString' as never } }), /tunnel\.checksum/);
    await assert.rejects(ipvs.startDaemon({ role: '__proto__' as never, interface: 'lo' }), /daemon role/);
    await assert.rejects(ipvs.apply([{ op: 'hasOwnProperty' as never, service: { fwmark: 1 } }]), /operations\[0\]\.op/);
    assert.equal(ipvs.log.length, 0);
  });
});

describe('a transaction sends what it validated', () => {
  it('changing the objects after queueing changes nothing encoded; operations cannot be changed', () => {
    const table = { family: 'ip' as const, name: 'good' };
    const rule = { family: 'ip' as const, table: 'good', chain: 'c', expressions: [nft.counter(), nft.accept()] };
    const tx = new Transaction().addTable(table).addChain({ family: 'ip', table: 'good', name: 'c' }).addRule(rule);
    const before = tx.encode().bytes;
    table.name = 'evil\0suffix';
    rule.expressions.push({ type: 'immediate', dreg: 0, data: { kind: 'toString' } } as never);
    (rule.expressions[1] as { data: { kind: string } }).data.kind = 'drop';
    assert.equal(tx.error, undefined);
    assert.deepEqual(tx.encode().bytes, before);
    assert.match(tx.toString(), /add table ip good\n/);
    assert.throws(() => (tx.operations as unknown[]).push({ verb: 'add', kind: 'table', table: { family: 'ip', name: 'evil\0' } }), TypeError);
    // Frozen all the way down (an assignment throws in strict code, and is ignored in sloppy code).
    const t = tx.operations[0] as { table: { name: string } };
    try { t.table.name = 'evil\0suffix'; } catch { /* strict mode */ }
    const r = tx.operations[2] as { rule: { expressions: unknown[] } };
    try { r.rule.expressions.length = 0; } catch { /* strict mode */ }
    assert.ok(Object.isFrozen(t.table) && Object.isFrozen(r.rule.expressions));
    assert.equal(t.table.name, 'good');
    assert.equal(tx.operations.length, 3);
    assert.deepEqual(tx.encode().bytes, before);
  });

  it('only plain data is queued: functions, Dates, Maps, holes and cycles are refused when queued', () => {
    const cyc: Record<string, unknown> = { family: 'ip', name: 't' };
    cyc.self = cyc;
    for (const [bad, re] of [
      [{ family: 'ip', name: 't', comment: () => 'x' }, /comment: a function/],
      [{ family: 'ip', name: 't', when: new Date() }, /when: expected a plain object, got Date/],
      [new Map([['family', 'ip']]), /expected a plain object, got Map/],
      [cyc, /nested more than/],
    ] as [unknown, RegExp][]) {
      assert.match(String(new Transaction().addTable(bad as never).error), re);
    }
    // eslint-disable-next-line no-sparse-arrays
    const holes = new Transaction().addRule({ family: 'ip', table: 't', chain: 'c', expressions: [nft.counter(), , nft.accept()] as never });
    assert.match(String(holes.error), /expressions\[1\]: missing/);
  });
});

describe('builders refuse what they used to coerce', () => {
  it('marks: NaN, strings, 2^32, fractions, negatives', () => {
    for (const bad of [NaN, 2 ** 32, 1.5, -1, Infinity]) {
      assert.throws(() => nft.setMark(bad), RangeError, String(bad));
      assert.throws(() => nft.orMark(bad), RangeError, String(bad));
      assert.throws(() => nft.markMasked(bad, 0), RangeError, String(bad));
      assert.throws(() => nft.markMasked(0xff, bad), RangeError, String(bad));
    }
    for (const bad of ['7', null, undefined, 1n]) {
      assert.throws(() => nft.setMark(bad as never), TypeError, String(bad));
      assert.throws(() => nft.orMark(bad as never), TypeError, String(bad));
    }
    assert.throws(() => nft.markMasked(1, 1, '<' as never), /op must be == or !=/);
    assert.deepEqual(nft.setMark(0xffffffff)[0], { type: 'immediate', dreg: 1, data: Buffer.from([0xff, 0xff, 0xff, 0xff]) });
  });

  it('reject kinds, masquerade flags, negate, limit units, numgen targets', () => {
    for (const k of ['tcp-reset', 'tcp_reset', 'TCP RESET', 'icmp', 'toString', '']) assert.throws(() => nft.reject(k as never), /reject: unknown kind/, k);
    assert.deepEqual(nft.reject(), { type: 'reject', rejectType: 'icmp', code: 3 });
    assert.deepEqual(nft.reject('tcp reset'), { type: 'reject', rejectType: 'tcp reset', code: 0 });
    assert.throws(() => nft.masquerade('random', 'sticky' as never), /flags\[1\]: unknown flag "sticky"/);
    assert.throws(() => nft.masquerade('constructor' as never), /unknown flag/);
    assert.throws(() => nft.inSet('ip saddr', 's', 1 as never), /negate: expected true or false/);
    assert.throws(() => nft.inSet('ip saddr', 's', 'false' as never), /negate/);
    assert.throws(() => nft.limit(10, 'week' as never), /limit: per/);
    assert.throws(() => nft.limit(10, 'valueOf' as never), /limit: per/);
    assert.throws(() => nft.numgenVmap([]), RangeError);
    assert.throws(() => nft.numgenVmap([{ kind: 'goto', chain: 'a\0b' }]), /targets\[0\]\.chain/);
    assert.throws(() => nft.dnat('10.0.0.1', 70000), /dnat: port/);
    assert.throws(() => nft.dnat('10.0.0.1', 80, { family: 'ip6' }), /does not match/);
  });
});

describe('bulk calls refuse everything before sending or applying anything', () => {
  it('Ipvs.apply with a hole or a bad op sends nothing', async () => {
    const counter = { sends: 0 };
    const unstub = stubSends(counter);
    const ipvs = await Ipvs.open();
    try {
      const good = { op: 'addService' as const, service: { protocol: 'tcp' as const, address: '10.0.0.1', port: 80 } };
      // eslint-disable-next-line no-sparse-arrays
      await assert.rejects(ipvs.apply([, good] as never), /operations\[0\]: missing/);
      await assert.rejects(ipvs.apply([good, { op: 'toString' } as never]), /operations\[1\]\.op/);
      await assert.rejects(ipvs.apply([good, undefined as never]), /operations\[1\]/);
      assert.equal(counter.sends, 0);
      await assert.rejects(ipvs.apply([good]), SentError);
      assert.equal(counter.sends, 1);
    } finally {
      await ipvs.close();
      unstub();
    }
  });

  it('FakeIpvs.apply([good, bad]) applies nothing', async () => {
    const ipvs = new FakeIpvs();
    const good = { op: 'addService' as const, service: { protocol: 'tcp' as const, address: '10.0.0.1', port: 80, scheduler: 'rr' } };
    for (const bad of [{ op: 'toString' }, { op: 'addDest', service: good.service, dest: { address: '10.0.0.2', forward: 'valueOf' } }, undefined]) {
      await assert.rejects(ipvs.apply([good, bad as never]), TypeError);
    }
    // eslint-disable-next-line no-sparse-arrays
    await assert.rejects(ipvs.apply([good, , good] as never), TypeError);
    assert.deepEqual(await ipvs.listServices(), []);
    assert.deepEqual(ipvs.log.filter((o) => o.op !== 'listServices'), []);
  });
});
