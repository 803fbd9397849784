// Flowtables against a real kernel that has them (the Debian kernel under
// qemu: the host kernel here is built without CONFIG_NF_FLOW_TABLE), each
// test in a fresh netns with veth devices, `nft` as the oracle both ways.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { release } from 'node:os';

import { FakeNftables, NftCommitError, Nftables, type Flowtable, type NftEvent, type Transaction } from '../../src/index.js';
import { makeNetns } from '../helpers.js';
import { nftIn, nftList, RULESET, rulesetTx, T, nftablesWithVeths, veths, withFile } from '../fixtures/nft/flowtable-ruleset.js';

function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = release().split('.').map(Number) as [number, number];
  return a > major || (a === major && b >= minor);
}

describe('flowtables on a kernel with flowtables (VM)', () => {
  let nft: Nftables;
  const ns = nftablesWithVeths((h) => { nft = h; });

  it('what we write reads back through nft as the same ruleset, in text and JSON', async function () {
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
    await nft.commit(rulesetTx(nft.transaction()));
    await nft.commit(nft.transaction().addFlowtable({ ...T, name: 'f2', priority: 5, devices: ['veth2', 'veth3'] }));
    assert.match(nftList(ns.name), /flowtable f2 \{\n\t\thook ingress priority filter \+ 5\n\t\tdevices = \{ veth2, veth3 \}\n/);
    await nft.commit(nft.transaction().deleteFlowtable({ ...T, name: 'f2', devices: ['veth2'] }));
    assert.deepEqual((await nft.listFlowtables({ family: 'ip', table: 't' })).find((f) => f.name === 'f2')!.devices, ['veth3']);
    const busy = nft.transaction().addChain({ ...T, name: 'unrelated' }).deleteFlowtable({ ...T, name: 'ft' });
    await assert.rejects(nft.commit(busy), (e: unknown) => e instanceof NftCommitError && e.code === 'EBUSY' && e.operationIndex === 1 && /delete flowtable ip t ft/.test(e.message));
    // DESTROY (no error if absent) came in 6.3; older kernels refuse the message type.
    const destroy = nft.commit(nft.transaction().destroyFlowtable({ ...T, name: 'never-was' }));
    if (kernelAtLeast(6, 3)) await destroy;
    else await assert.rejects(destroy, (e: unknown) => e instanceof NftCommitError && e.code === 'EINVAL' && /destroy flowtable ip t never-was/.test(e.message));
    const listed = await nft.list({ family: 'ip', table: 't' });
    const tx = nft.transaction();
    for (const r of listed.rules) tx.deleteRule({ ...T, chain: r.chain, handle: r.handle! });
    for (const f of listed.flowtables) tx.deleteFlowtable({ ...T, handle: f.handle! });
    await nft.commit(tx);
    assert.deepEqual(await nft.listFlowtables({ family: 'ip' }), []);
  });

  it('the kernel and FakeNftables agree: same dump, same refusals', async function () {
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
    this.timeout(120000);  // nft under qemu TCG takes seconds per run
    const events: NftEvent[] = [];
    const it = nft.monitor();
    const first = it.next();  // subscribed when monitor() returned: no wait needed
    // nft in another process; its failure fails the test at once rather than leaving it waiting for events.
    // (The script goes to nft on stdin: a temporary file would be gone before the child opens it.)
    const run = (text: string) => new Promise<void>((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f exited ${code}: ${err} (events so far: ${JSON.stringify(events.map((e) => e.type + ('kind' in e ? ` ${e.kind}` : '')))})`))));
      p.stdin.end(text);
    });
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

