// Flowtables (and netdev device lists) against the real host kernel, each
// test in a fresh netns with veth devices, `nft` as the oracle both ways.
//
// A kernel built without CONFIG_NF_FLOW_TABLE has no flowtables at all
// (NEWFLOWTABLE fails with ENOENT): the tests that need them are skipped
// there, with a note; the rest (what nft sends for our scripts, errors
// naming the operation, netdev device lists) run everywhere.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';

import { FakeNftables, NftCommitError, Nftables, nft as build, type Flowtable, type NftEvent, type Transaction } from '../../src/index.js';
import { freshNetnsPerTest, makeNetns, sh } from '../helpers.js';
import { messagesOf, withoutDeleteHookHeader, type Captured } from '../fixtures/nft/captured.js';
import { flowtableSample } from '../fixtures/nft/flowtable-sample.js';

const T = { family: 'ip' as const, table: 't' };
const nftIn = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, 'nft', ...args]);
const nftList = (ns: string) => nftIn(ns, 'list', 'ruleset');
const captureScript = new URL('../../scripts/nft-capture.mjs', import.meta.url).pathname;

/** veth0..veth(2n-1), in pairs, up. */
function veths(ns: string, pairs = 2): void {
  for (let i = 0; i < pairs; i++) {
    sh('ip', ['-n', ns, 'link', 'add', `veth${2 * i}`, 'type', 'veth', 'peer', 'name', `veth${2 * i + 1}`]);
    sh('ip', ['-n', ns, 'link', 'set', `veth${2 * i}`, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', `veth${2 * i + 1}`, 'up']);
  }
}

function withFile<R>(text: string, fn: (file: string) => R): R {
  const file = `/tmp/dp-ft-${process.pid}-${Math.random().toString(36).slice(2)}.nft`;
  writeFileSync(file, text);
  try {
    return fn(file);
  } finally {
    unlinkSync(file);
  }
}

// Whether this kernel has flowtables, found out once: a table and a
// flowtable committed in a scratch namespace.
let support: Promise<string | undefined> | undefined;
function flowtablesMissing(): Promise<string | undefined> {
  support ??= (async () => {
    const scratch = makeNetns();
    try {
      veths(scratch.name, 1);
      const h = await Nftables.open({ netns: scratch.name });
      try {
        await h.commit(h.transaction().addTable({ family: 'ip', name: 'probe' }).addFlowtable({ family: 'ip', table: 'probe', name: 'ft', devices: ['veth0'] }));
        return undefined;
      } catch (e) {
        // The refusal names the flowtable operation, like any other.
        if (e instanceof NftCommitError && e.code === 'ENOENT' && e.operationIndex === 1 && /add flowtable ip probe ft/.test(e.message)) {
          return 'this kernel has no flowtables (built without CONFIG_NF_FLOW_TABLE): NEWFLOWTABLE fails with ENOENT';
        }
        throw e;
      } finally {
        await h.close();
      }
    } finally {
      scratch.remove();
    }
  })();
  return support;
}

let noted = false;
async function needFlowtables(ctx: Mocha.Context): Promise<void> {
  const why = await flowtablesMissing();
  if (why === undefined) return;
  if (!noted) console.log(`      (skipping the flowtable round trips: ${why})`);
  noted = true;
  ctx.skip();
}

const RULESET = `table ip t {
	flowtable ft {
		hook ingress priority filter
		devices = { veth0, veth1 }
		counter
	}

	flowtable f2 {
		hook ingress priority filter + 5
		devices = { veth2 }
	}

	chain fw {
		type filter hook forward priority filter; policy accept;
		ip protocol tcp flow add @ft
		meta l4proto udp flow add @f2
		ct state established,related accept
	}
}
table inet x {
	flowtable f {
		hook ingress priority -100
		devices = { veth3 }
	}
}
`;

function rulesetTx(tx: Transaction): Transaction {
  tx.addTable({ family: 'ip', name: 't' });
  tx.addFlowtable({ ...T, name: 'ft', hook: 'ingress', priority: 0, devices: ['veth0', 'veth1'], flags: ['counter'] });
  tx.addFlowtable({ ...T, name: 'f2', priority: 5, devices: ['veth2'] });
  tx.addChain({ ...T, name: 'fw', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' });
  tx.addRule(build.rule('ip', 't', 'fw', build.match('ip protocol', 'tcp'), build.flowAdd('ft')));
  tx.addRule(build.rule('ip', 't', 'fw', build.match('meta l4proto', 'udp'), build.flowAdd('f2')));
  tx.addRule(build.rule('ip', 't', 'fw', build.ctState('established', 'related'), build.accept()));
  tx.addTable({ family: 'inet', name: 'x' });
  tx.addFlowtable({ family: 'inet', table: 'x', name: 'f', priority: -100, devices: ['veth3'] });
  return tx;
}

describe('flowtables on the host kernel', () => {
  const ns = freshNetnsPerTest();
  let nft: Nftables;
  beforeEach(async () => {
    veths(ns.name);
    nft = await Nftables.open({ netns: ns.name });
  });
  afterEach(async () => { await nft.close(); });

  it('nft -f of a transaction printed as a script sends the batch the transaction encodes to, byte for byte', function () {
    if (spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status !== 0) this.skip();
    const unsorted = nft.transaction().addTable({ family: 'netdev', name: 'n' }).addTable({ family: 'ip', name: 't' })
      .addChain({ family: 'netdev', table: 'n', name: 'c', type: 'filter', hook: 'ingress', devices: ['veth2', 'veth0', 'veth1'], priority: -150 })
      .addFlowtable({ ...T, name: 'ft', devices: ['veth1', 'veth3', 'veth0'] })
      .deleteFlowtable({ ...T, name: 'ft', devices: ['veth3', 'veth0'] });
    for (const tx of [flowtableSample(), rulesetTx(nft.transaction()), unsorted]) {
      const sent = withFile(tx.toString(), (file) => JSON.parse(spawnSync(process.execPath, [captureScript, file], { encoding: 'utf8' }).stdout) as Captured[]);
      // The one place we send less than nft 1.0.6: see withoutDeleteHookHeader.
      assert.deepEqual(messagesOf(tx.encode().bytes), sent.map((m) => ({ ...m, body: withoutDeleteHookHeader(m.type, m.body) })));
    }
  });

  it('a refused flowtable operation is named, and the batch changes nothing', async () => {
    nftIn(ns.name, 'add', 'table', 'ip', 'keep');
    const before = nftList(ns.name);
    const tx = nft.transaction().addTable({ family: 'ip', name: 'new' }).addFlowtable({ family: 'ip', table: 'nope', name: 'ft', devices: ['veth0'] });
    await assert.rejects(nft.commit(tx), (e: unknown) => {
      assert.ok(e instanceof NftCommitError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.operationIndex, 1);
      assert.match(e.message, /add flowtable ip nope ft/);
      return true;
    });
    await assert.rejects(nft.commit(nft.transaction().deleteFlowtable({ family: 'ip', table: 'keep', name: 'ft' })), (e: unknown) => e instanceof NftCommitError && e.code === 'ENOENT' && /delete flowtable ip keep ft/.test(e.message));
    assert.equal(nftList(ns.name), before);
    assert.deepEqual(await nft.listFlowtables(), []);
  });

  it('what we write reads back through nft as the same ruleset, in text and JSON', async function () {
    await needFlowtables(this);
    await nft.commit(rulesetTx(nft.transaction()));
    assert.equal(nftList(ns.name), RULESET);
    assert.equal((await nft.list()).toString(), RULESET);
    const json = JSON.parse(nftIn(ns.name, '-j', 'list', 'ruleset')) as { nftables: { flowtable?: Record<string, unknown> }[] };
    const fts = json.nftables.filter((o) => o.flowtable !== undefined).map((o) => o.flowtable!);
    assert.deepEqual(fts.map((f) => ({ ...f, handle: 0 })), [
      { family: 'ip', name: 'ft', table: 't', handle: 0, hook: 'ingress', prio: 0, dev: ['veth0', 'veth1'] },
      { family: 'ip', name: 'f2', table: 't', handle: 0, hook: 'ingress', prio: 5, dev: 'veth2' },
      { family: 'inet', name: 'f', table: 'x', handle: 0, hook: 'ingress', prio: -100, dev: 'veth3' },
    ]);
  });

  it('what nft -f writes decodes to the flowtables and rules it describes', async function () {
    await needFlowtables(this);
    withFile(RULESET, (file) => nftIn(ns.name, '-f', file));
    const listed = await nft.list();
    const strip = (f: Flowtable) => ({ ...f, handle: 0 });
    assert.deepEqual(listed.flowtables.map(strip), [
      { family: 'ip', table: 't', name: 'ft', hook: 'ingress', priority: 0, devices: ['veth0', 'veth1'], flags: ['counter'], handle: 0, use: 1 },
      { family: 'ip', table: 't', name: 'f2', hook: 'ingress', priority: 5, devices: ['veth2'], flags: [], handle: 0, use: 1 },
      { family: 'inet', table: 'x', name: 'f', hook: 'ingress', priority: -100, devices: ['veth3'], flags: [], handle: 0, use: 0 },
    ]);
    assert.deepEqual(listed.rules.filter((r) => r.chain === 'fw').map((r) => r.expressions.at(-1)), [
      { type: 'flow_offload', flowtable: 'ft' }, { type: 'flow_offload', flowtable: 'f2' }, { type: 'immediate', dreg: 0, data: { kind: 'accept' } },
    ]);
    assert.equal(listed.toString(), nftList(ns.name));
    assert.deepEqual((await nft.listFlowtables({ family: 'inet' })).map((f) => f.name), ['f']);
  });

  it('decode, re-encode into another namespace: the same ruleset', async function () {
    await needFlowtables(this);
    withFile(RULESET, (file) => nftIn(ns.name, '-f', file));
    const other = makeNetns();
    try {
      veths(other.name);
      const nft2 = await Nftables.open({ netns: other.name });
      await nft2.commit((await nft.list()).toTransaction());
      await nft2.close();
      assert.equal(nftList(other.name), nftList(ns.name));
    } finally {
      other.remove();
    }
  });

  it('add on an existing flowtable hooks more devices; devices come off alone; a used flowtable stays until its rule goes', async function () {
    await needFlowtables(this);
    await nft.commit(rulesetTx(nft.transaction()));
    await nft.commit(nft.transaction().addFlowtable({ ...T, name: 'f2', priority: 5, devices: ['veth2', 'veth3'] }));
    assert.match(nftList(ns.name), /flowtable f2 \{\n\t\thook ingress priority filter \+ 5\n\t\tdevices = \{ veth2, veth3 \}\n/);
    await nft.commit(nft.transaction().deleteFlowtable({ ...T, name: 'f2', devices: ['veth2'] }));
    assert.deepEqual((await nft.listFlowtables({ family: 'ip', table: 't' })).find((f) => f.name === 'f2')!.devices, ['veth3']);
    const busy = nft.transaction().addChain({ ...T, name: 'unrelated' }).deleteFlowtable({ ...T, name: 'ft' });
    await assert.rejects(nft.commit(busy), (e: unknown) => e instanceof NftCommitError && e.code === 'EBUSY' && e.operationIndex === 1 && /delete flowtable ip t ft/.test(e.message));
    await nft.commit(nft.transaction().destroyFlowtable({ ...T, name: 'never-was' }));
    const listed = await nft.list({ family: 'ip', table: 't' });
    const tx = nft.transaction();
    for (const r of listed.rules) tx.deleteRule({ ...T, chain: r.chain, handle: r.handle! });
    for (const f of listed.flowtables) tx.deleteFlowtable({ ...T, handle: f.handle! });
    await nft.commit(tx);
    assert.deepEqual(await nft.listFlowtables({ family: 'ip' }), []);
  });

  it('the kernel and FakeNftables agree: same dump, same refusals', async function () {
    await needFlowtables(this);
    const fake = new FakeNftables();
    await fake.commit(rulesetTx(fake.transaction()));
    await nft.commit(rulesetTx(nft.transaction()));
    assert.equal(fake.dump(), (await nft.list()).toString());
    const cases: ((tx: Transaction) => Transaction)[] = [
      (tx) => tx.createFlowtable({ ...T, name: 'ft', devices: ['veth0'] }),
      (tx) => tx.addChain({ ...T, name: 'more' }).addFlowtable({ ...T, name: 'other', devices: ['veth1'] }),
      (tx) => tx.addFlowtable({ ...T, name: 'f2', priority: 7 }),
      (tx) => tx.deleteFlowtable({ ...T, name: 'ft' }),
      (tx) => tx.deleteFlowtable({ ...T, name: 'f2', devices: ['veth0'] }),
      (tx) => tx.addFlowtable({ ...T, table: 'nope', name: 'ft' }),
    ];
    const outcome = (p: Promise<void>) => p.then(() => 'ok', (e: unknown) => (e instanceof NftCommitError ? `${e.code} at ${e.operationIndex}` : String(e)));
    for (const [i, make] of cases.entries()) {
      const kernel = await outcome(nft.commit(make(nft.transaction())));
      assert.notEqual(kernel, 'ok', `case ${i}`);
      assert.equal(await outcome(fake.commit(make(fake.transaction()))), kernel, `case ${i}`);
    }
    assert.equal(fake.dump(), (await nft.list()).toString());
  });

  it('monitor sees flowtables nft adds and deletes from another process', async function () {
    await needFlowtables(this);
    this.timeout(20000);
    const events: NftEvent[] = [];
    const it = nft.monitor({ pollMs: 50 });
    const first = it.next();  // subscribes
    await new Promise((r) => setTimeout(r, 300));
    const run = (text: string) => withFile(text, (file) => new Promise((r) => spawn('ip', ['netns', 'exec', ns.name, 'nft', '-f', file], { stdio: 'ignore' }).on('exit', r)));
    await run(RULESET);
    events.push((await first).value as NftEvent);
    const until = async (done: (e: NftEvent) => boolean) => {
      for (;;) {
        const next = (await it.next()).value as NftEvent;
        events.push(next);
        if (done(next)) return;
      }
    };
    await until((e) => e.type === 'generation');
    await run('flush chain ip t fw\ndelete flowtable ip t ft\n');
    await until((e) => e.type === 'delete' && 'kind' in e && e.kind === 'flowtable');
    await it.return();
    type FtEvent = Extract<NftEvent, { kind: 'flowtable' }>;
    const added = events.filter((e): e is FtEvent => e.type === 'new' && 'kind' in e && e.kind === 'flowtable');
    assert.deepEqual(added.map((e) => `${e.flowtable.family} ${e.flowtable.table} ${e.flowtable.name}`), ['ip t ft', 'ip t f2', 'inet x f']);
    assert.deepEqual(added[0]!.flowtable.devices, ['veth0', 'veth1']);
    const deleted = events.filter((e): e is FtEvent => e.type === 'delete' && 'kind' in e && e.kind === 'flowtable');
    assert.deepEqual(deleted.map((e) => `${e.flowtable.table} ${e.flowtable.name}`), ['t ft']);
  });
});

describe('netdev device lists on the host kernel', () => {
  const ns = freshNetnsPerTest();
  let nft: Nftables;
  beforeEach(async () => {
    veths(ns.name);
    nft = await Nftables.open({ netns: ns.name });
  });
  afterEach(async () => { await nft.close(); });

  const NETDEV = `table netdev n {
	chain c {
		type filter hook ingress devices = { veth0, veth1, veth2 } priority filter; policy accept;
	}

	chain d {
		type filter hook ingress device "veth3" priority -150; policy accept;
	}
}
`;

  it('a chain on several devices: ours and nft -f list the same, and decode in the order written', async () => {
    const tx = nft.transaction();
    tx.addTable({ family: 'netdev', name: 'n' });
    tx.addChain({ family: 'netdev', table: 'n', name: 'c', type: 'filter', hook: 'ingress', devices: ['veth2', 'veth0', 'veth1'], priority: 0, policy: 'accept' });
    tx.addChain({ family: 'netdev', table: 'n', name: 'd', type: 'filter', hook: 'ingress', device: 'veth3', priority: -150, policy: 'accept' });
    await nft.commit(tx);
    assert.equal(nftList(ns.name), NETDEV);
    assert.equal((await nft.list()).toString(), NETDEV);
    assert.deepEqual((await nft.listChains({ family: 'netdev' })).map((c) => c.devices), [['veth2', 'veth0', 'veth1'], ['veth3']]);
    const other = makeNetns();
    try {
      veths(other.name);
      withFile(NETDEV, (file) => nftIn(other.name, '-f', file));
      const theirs = await Nftables.open({ netns: other.name });
      assert.deepEqual((await theirs.listChains({ family: 'netdev' })).map((c) => c.devices), [['veth0', 'veth1', 'veth2'], ['veth3']]);
      await theirs.close();
    } finally {
      other.remove();
    }
  });

  it('a device prefix (veth*) round-trips through the kernel as NFTA_DEVICE_PREFIX', async () => {
    const tx = nft.transaction();
    tx.addTable({ family: 'netdev', name: 'w' });
    tx.addChain({ family: 'netdev', table: 'w', name: 'c', type: 'filter', hook: 'ingress', devices: ['veth*', 'lo'], priority: 0 });
    await nft.commit(tx);
    const [c] = await nft.listChains({ family: 'netdev', table: 'w' });
    assert.deepEqual(c!.devices, ['veth*', 'lo']);
    assert.match((await nft.list()).toString(), /type filter hook ingress devices = \{ lo, "veth\*" \} priority filter; policy accept;/);
  });
});
