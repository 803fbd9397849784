// Flowtables without privilege: validation, FakeNftables checks, monitor
// events, printing, commit planning. The encoding byte for byte is in
// nft-encode.test.ts, the listing path in nft-list.test.ts, the real kernel
// in test/host/nft-flowtable.test.ts.
import assert from 'node:assert/strict';

import { ExpressionError, FakeNftables, NftCommitError, NftValidationError, Ruleset, Transaction, nft, type Flowtable } from '../../src/index.js';
import { decodeEvents } from '../../src/nft/monitor.js';
import { commitOrder, planLimits } from '../../src/nft/plan.js';
import { priorityText } from '../../src/nft/print.js';
import * as U from '../../src/nft/uapi.js';
import { Writer } from '../../src/nft/wire.js';

const T = { family: 'ip' as const, table: 't' };
const FT: Flowtable = { ...T, name: 'ft', hook: 'ingress', priority: 0, devices: ['veth0', 'veth1'], flags: ['counter'] };

describe('flowtable validation: typed errors, nothing sent', () => {
  const refused = (tx: Transaction, pattern: RegExp, kind: new (...a: never[]) => Error = NftValidationError) => {
    assert.ok(tx.error instanceof kind, `expected ${kind.name}, got ${String(tx.error)}`);
    assert.match(tx.error!.message, pattern);
    assert.throws(() => tx.encode(), kind);
  };
  const add = (f: Partial<Flowtable>) => new Transaction().addFlowtable({ ...FT, ...f } as Flowtable);

  it('names, families and the hook', () => {
    refused(add({ name: 'bad name' }), /operation 0 \(add flowtable\): flowtable: invalid name/);
    refused(add({ name: 'x'.repeat(256) }), /longer than 255/);
    refused(add({ table: '' }), /table: name must be a non-empty string/);
    refused(add({ family: 'netdev' }), /flowtables exist in ip, ip6 and inet tables, not netdev/);
    refused(add({ family: 'bridge' }), /not bridge/);
    refused(add({ family: 'ipx' as never }), /unknown family/);
    refused(add({ hook: 'egress' as never }), /hook is ingress, not "egress"/);
    for (const ok of ['ip', 'ip6', 'inet'] as const) assert.equal(add({ family: ok }).error, undefined);
  });

  it('priority, devices and flags', () => {
    refused(add({ priority: 1.5 }), /32-bit signed integer/);
    refused(add({ priority: 2 ** 31 }), /32-bit signed integer/);
    assert.equal(add({ priority: -(2 ** 31) }).error, undefined);
    refused(add({ devices: 'veth0' as never }), /devices must be an array/);
    refused(add({ devices: ['a-name-longer-than-15'] }), /bad device name "a-name-longer-than-15"/);
    refused(add({ devices: [''] }), /bad device name ""/);
    refused(add({ devices: ['a*b'] }), /bad device name "a\*b"/);
    refused(add({ devices: ['*'] }), /bad device name/);
    refused(add({ devices: ['veth0', 'veth0'] }), /"veth0" is listed twice/);
    refused(add({ devices: Array.from({ length: 257 }, (_, i) => `d${i}`) }), /at most 256 devices/);
    assert.equal(add({ devices: ['veth*', 'lo'] }).error, undefined);
    refused(add({ flags: ['fast' as never] }), /unknown flowtable flag "fast" \(offload, counter\)/);
    refused(add({ flags: ['toString' as never] }), /unknown flowtable flag/);
    refused(add({ flags: ['counter', 'counter'] }), /given twice/);
  });

  it('delete and destroy take a name or a handle, and devices only with a name', () => {
    refused(new Transaction().deleteFlowtable({ ...T }), /a flowtable name or handle is needed/);
    refused(new Transaction().deleteFlowtable({ ...T, handle: -1 }), /handle: expected an integer/);
    refused(new Transaction().deleteFlowtable({ ...T, handle: 7, devices: ['veth0'] }), /removing devices names the flowtable by name/);
    refused(new Transaction().destroyFlowtable({ ...T, name: 'ft', devices: ['veth0'] } as never), /destroy removes whole flowtables/);
    refused(new Transaction().deleteFlowtable({ ...T, name: 'ft', devices: [] }), /no devices to remove/);
    refused(new Transaction().deleteFlowtable({ family: 'arp', table: 't', name: 'ft' }), /not arp/);
    assert.equal(new Transaction().deleteFlowtable({ ...T, handle: 7 }).error, undefined);
    assert.equal(new Transaction().deleteFlowtable({ ...T, name: 'ft', devices: ['veth1'] }).error, undefined);
  });

  it('flow add names its flowtable with a string', () => {
    const rule = (e: object) => new Transaction().addRule({ ...T, chain: 'fw', expressions: [e as never] });
    refused(rule({ type: 'flow_offload' }), /flow_offload.flowtable: missing/, ExpressionError as never);
    refused(rule({ type: 'flow_offload', flowtable: '' }), /flow_offload.flowtable: expected a string/, ExpressionError as never);
    assert.equal(rule({ type: 'flow_offload', flowtable: 'ft' }).error, undefined);
  });
});

describe('flowtable transactions as nft scripts', () => {
  it('print every verb the way nft reads it', () => {
    const tx = new Transaction()
      .addFlowtable(FT)
      .createFlowtable({ family: 'inet', table: 'x', name: 'f', priority: -150, flags: ['offload'] })
      .deleteFlowtable({ ...T, name: 'ft', devices: ['veth1'] })
      .destroyFlowtable({ ...T, name: 'ft' })
      .deleteFlowtable({ ...T, handle: 12 })
      .addFlowtable({ ...T, name: 'g', devices: ['veth9', 'veth1'] })
      .addRule(nft.rule('ip', 't', 'fw', nft.match('meta l4proto', 'tcp'), nft.flowAdd('ft')));
    assert.equal(tx.toString(), [
      'add flowtable ip t ft { hook ingress priority filter; devices = { veth0, veth1 }; counter; }',
      // -150 is mangle's number, but mangle does not apply at netdev ingress.
      'create flowtable inet x f { hook ingress priority -150; flags offload; }',
      'delete flowtable ip t ft { devices = { veth1 }; }',
      'destroy flowtable ip t ft',
      'delete flowtable ip t handle 12',
      // In the order given, so that nft sends them in ours (a listing sorts them, as nft does).
      'add flowtable ip t g { hook ingress priority filter; devices = { veth9, veth1 }; }',
      'add rule ip t fw meta l4proto tcp flow add @ft',
      '',
    ].join('\n'));
  });

  it('destroy is NFT_MSG_DESTROYFLOWTABLE (32) with the body delete has', () => {
    const del = new Transaction().deleteFlowtable({ ...T, name: 'ft' }).encode().bytes;
    const destroy = new Transaction().destroyFlowtable({ ...T, name: 'ft' }).encode().bytes;
    assert.equal(del.readUInt16LE(4), (U.NFNL_SUBSYS_NFTABLES << 8) | U.NFT_MSG_DELFLOWTABLE);
    assert.equal(destroy.readUInt16LE(4), (U.NFNL_SUBSYS_NFTABLES << 8) | 32);
    assert.deepEqual(destroy.subarray(6), del.subarray(6));
  });
});

describe('FakeNftables with flowtables: the kernel\'s checks', () => {
  const setup = () => new Transaction()
    .addTable({ family: 'ip', name: 't' })
    .addFlowtable(FT)
    .addChain({ ...T, name: 'fw', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' });
  const refusal = async (fake: FakeNftables, tx: Transaction, code: string, index: number, pattern: RegExp) => {
    await assert.rejects(fake.commit(tx), (e: unknown) => {
      assert.ok(e instanceof NftCommitError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.operationIndex, index);
      assert.match(e.message, pattern);
      return true;
    });
  };

  it('needs the table, refuses a second create, and lists what it holds', async () => {
    const fake = new FakeNftables();
    await refusal(fake, new Transaction().addFlowtable(FT), 'ENOENT', 0, /add flowtable ip t ft/);
    await fake.commit(setup());
    await refusal(fake, new Transaction().createFlowtable(FT), 'EEXIST', 0, /create flowtable ip t ft/);
    const [f] = (await fake.list()).flowtables;
    assert.deepEqual({ ...f, handle: 0 }, { ...FT, handle: 0 });
    assert.equal((await fake.list({ family: 'ip6' })).flowtables.length, 0);
    assert.match(fake.dump(), /\tflowtable ft \{\n\t\thook ingress priority filter\n\t\tdevices = \{ veth0, veth1 \}\n\t\tcounter\n\t\}\n\n\tchain fw \{/);
  });

  it('add on one that exists hooks the new devices; priority and offload cannot change', async () => {
    const fake = new FakeNftables();
    await fake.commit(setup());
    await fake.commit(new Transaction().addFlowtable({ ...T, name: 'ft', devices: ['veth2', 'veth0'], flags: [] }));
    const [f] = (await fake.list()).flowtables;
    assert.deepEqual(f!.devices, ['veth2', 'veth0', 'veth1']);
    assert.deepEqual(f!.flags, []);
    await refusal(fake, new Transaction().addFlowtable({ ...T, name: 'ft', priority: 5 }), 'EOPNOTSUPP', 0, /priority/);
    await refusal(fake, new Transaction().addFlowtable({ ...T, name: 'ft', flags: ['offload'] }), 'EOPNOTSUPP', 0, /offload/);
  });

  it('a device belongs to one flowtable of a table', async () => {
    const fake = new FakeNftables();
    await fake.commit(setup());
    await refusal(fake, new Transaction().addFlowtable({ ...T, name: 'other', devices: ['veth3', 'veth1'] }), 'EEXIST', 0, /veth1 is already in flowtable ft/);
    await fake.commit(new Transaction().addTable({ family: 'ip', name: 'u' }).addFlowtable({ ...FT, table: 'u' }));
  });

  it('delete: missing is ENOENT (destroy passes), in use is EBUSY, by handle, and devices alone', async () => {
    const fake = new FakeNftables();
    await fake.commit(setup());
    await refusal(fake, new Transaction().deleteFlowtable({ ...T, name: 'nope' }), 'ENOENT', 0, /delete flowtable ip t nope/);
    await fake.commit(new Transaction().destroyFlowtable({ ...T, name: 'nope' }));
    await fake.commit(new Transaction().addRule(nft.rule('ip', 't', 'fw', nft.match('meta l4proto', 'tcp'), nft.flowAdd('ft'))));
    await refusal(fake, new Transaction().deleteFlowtable({ ...T, name: 'ft' }), 'EBUSY', 0, /in use/);
    await refusal(fake, new Transaction().deleteFlowtable({ ...T, name: 'ft', devices: ['veth9'] }), 'ENOENT', 0, /no device veth9/);
    await fake.commit(new Transaction().deleteFlowtable({ ...T, name: 'ft', devices: ['veth0'] }));
    assert.deepEqual((await fake.list()).flowtables[0]!.devices, ['veth1']);
    // The rule goes first, then the flowtable, by its handle, in one batch.
    const listed = await fake.list();
    const tx = new Transaction().deleteRule({ ...T, chain: 'fw', handle: listed.rules[0]!.handle! }).deleteFlowtable({ ...T, handle: listed.flowtables[0]!.handle! });
    await fake.commit(tx);
    assert.equal((await fake.list()).flowtables.length, 0);
    // Deleting the table takes its flowtables along.
    await fake.commit(new Transaction().addFlowtable(FT).deleteTable({ family: 'ip', name: 't' }));
    assert.deepEqual(await fake.list(), new Ruleset({ generation: await fake.generation(), tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] }));
  });

  it('flow add needs the flowtable, and a forward chain', async () => {
    const fake = new FakeNftables();
    await fake.commit(setup().addChain({ ...T, name: 'in', type: 'filter', hook: 'input', priority: 0 }).addChain({ ...T, name: 'plain' }));
    await refusal(fake, new Transaction().addChain({ ...T, name: 'x' }).addRule(nft.rule('ip', 't', 'fw', nft.flowAdd('nope'))), 'ENOENT', 1, /flowtable nope does not exist/);
    await refusal(fake, new Transaction().addRule(nft.rule('ip', 't', 'in', nft.flowAdd('ft'))), 'EOPNOTSUPP', 0, /forward chains/);
    // A regular chain is checked where it is jumped to, not here.
    await fake.commit(new Transaction().addRule(nft.rule('ip', 't', 'plain', nft.flowAdd('ft'))));
    // A flowtable created later in the same batch is found.
    await fake.commit(new Transaction().addRule(nft.rule('ip', 't', 'fw', nft.flowAdd('late'))).addFlowtable({ ...T, name: 'late', devices: ['veth5'] }));
  });

  it('a listed ruleset recreates itself, flowtables before the rules that use them', async () => {
    const fake = new FakeNftables();
    await fake.commit(setup().addRule(nft.rule('ip', 't', 'fw', nft.flowAdd('ft'))));
    const copy = new FakeNftables();
    const tx = (await fake.list()).toTransaction();
    assert.deepEqual(tx.operations.map((o) => o.kind), ['table', 'chain', 'flowtable', 'rule']);
    await copy.commit(tx);
    assert.equal(copy.dump(), fake.dump());
  });
});

describe('flowtable monitor events', () => {
  function event(type: number, body: (w: Writer) => void): Buffer {
    const w = new Writer(64);
    const m = w.beginMessage((U.NFNL_SUBSYS_NFTABLES << 8) | type, 0, 2);
    body(w);
    w.endMessage(m);
    return Buffer.from(w.bytes());
  }

  it('new with the hook, delete with or without it', () => {
    const head = (w: Writer) => {
      w.strz(U.NFTA_FLOWTABLE_TABLE, 't');
      w.strz(U.NFTA_FLOWTABLE_NAME, 'ft');
      w.be64(U.NFTA_FLOWTABLE_HANDLE, 5n);
    };
    const hook = (w: Writer, devices: string[]) => {
      w.be32(U.NFTA_FLOWTABLE_USE, 0);
      w.be32(U.NFTA_FLOWTABLE_FLAGS, 2);
      const h = w.nest(U.NFTA_FLOWTABLE_HOOK);
      w.be32(U.NFTA_FLOWTABLE_HOOK_NUM, 0);
      w.be32(U.NFTA_FLOWTABLE_HOOK_PRIORITY, 0);
      const d = w.nest(U.NFTA_FLOWTABLE_HOOK_DEVS);
      for (const dev of devices) w.strz(U.NFTA_DEVICE_NAME, dev);
      w.end(d);
      w.end(h);
    };
    const events = decodeEvents(Buffer.concat([
      event(U.NFT_MSG_NEWFLOWTABLE, (w) => { head(w); hook(w, ['veth1', 'veth0']); }),
      event(U.NFT_MSG_DELFLOWTABLE, (w) => { head(w); hook(w, ['veth1']); }),
      event(U.NFT_MSG_DELFLOWTABLE, head),
    ]));
    assert.deepEqual(events, [
      { type: 'new', kind: 'flowtable', flowtable: { family: 'ip', table: 't', name: 'ft', hook: 'ingress', priority: 0, devices: ['veth0', 'veth1'], flags: ['counter'], handle: 5, use: 0 } },
      { type: 'delete', kind: 'flowtable', flowtable: { family: 'ip', table: 't', name: 'ft', hook: 'ingress', priority: 0, devices: ['veth1'], flags: ['counter'], handle: 5, use: 0 } },
      { type: 'delete', kind: 'flowtable', flowtable: { family: 'ip', table: 't', name: 'ft', handle: 5 } },
    ]);
  });
});

describe('flowtable printing and planning', () => {
  it('priorities print as nft prints them at netdev ingress (only filter has a name there)', () => {
    const at = (p: number) => priorityText('netdev', 'ingress', p);
    assert.deepEqual([0, 7, -10, 11, -11, -150, -100, 50, 100, -300].map(at),
      ['filter', 'filter + 7', 'filter - 10', '11', '-11', '-150', '-100', '50', '100', '-300']);
    // Chains: a name applies only where nft allows it.
    assert.equal(priorityText('ip', 'prerouting', -100), 'dstnat');
    assert.equal(priorityText('ip', 'output', -100), '-100');
    assert.equal(priorityText('ip', 'postrouting', 105), 'srcnat + 5');
    assert.equal(priorityText('ip', 'forward', -150), 'mangle');
    assert.equal(priorityText('netdev', 'ingress', -145), '-145');
    assert.equal(priorityText('bridge', 'forward', -200), 'filter');
    assert.equal(priorityText('bridge', 'forward', -300), '-300');
    assert.equal(priorityText('bridge', 'prerouting', -300), 'dstnat');
    assert.equal(priorityText('arp', 'input', 0), 'filter');
  });

  it('devices print sorted, prefixes quoted', () => {
    const rs = new Ruleset({
      generation: 1, tables: [{ family: 'inet', name: 'x' }], chains: [], rules: [], sets: [], objects: [],
      flowtables: [{ family: 'inet', table: 'x', name: 'f', hook: 'ingress', priority: 10, devices: ['wan0', 'lan*', 'eth1', 'eth0'], flags: ['offload', 'counter'] }],
    });
    assert.equal(rs.toString(), 'table inet x {\n\tflowtable f {\n\t\thook ingress priority filter + 10\n\t\tdevices = { eth0, eth1, "lan*", wan0 }\n\t\tflags offload\n\t\tcounter\n\t}\n}\n');
  });

  it('commit() may still reorder around flowtables, keeping each before the rules that use it', () => {
    const saved = planLimits.minBinders;
    planLimits.minBinders = 2;
    try {
      const tx = new Transaction().addTable({ family: 'ip', name: 't' });
      for (const c of ['a', 'b', 's1', 's2', 'fw']) tx.addChain({ ...T, name: c });
      tx.addFlowtable(FT);
      tx.addRule(nft.rule('ip', 't', 'fw', nft.flowAdd('ft')));
      tx.addRule(nft.rule('ip', 't', 's1', nft.numgenVmap([{ kind: 'goto', chain: 'a' }, { kind: 'goto', chain: 'b' }])));
      tx.addRule(nft.rule('ip', 't', 's2', nft.numgenVmap([{ kind: 'goto', chain: 'a' }, { kind: 'goto', chain: 'b' }])));
      const order = commitOrder(tx.operations);
      assert.ok(order !== undefined);
      assert.ok(order.indexOf(6) < order.indexOf(7), 'the flowtable before its rule');
      // A delete anywhere makes the planner send the transaction as it is.
      assert.equal(commitOrder(tx.deleteFlowtable({ ...T, name: 'gone' }).operations), undefined);
    } finally {
      planLimits.minBinders = saved;
    }
  });
});
