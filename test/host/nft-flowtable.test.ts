// Flowtables (and netdev device lists) against the real host kernel, each
// test in a fresh netns with veth devices, `nft` as the oracle both ways.
//
// What runs on any kernel, even one built without CONFIG_NF_FLOW_TABLE (as
// this host's is): what nft sends for our scripts, errors naming the
// operation, netdev device lists. The round trips through a kernel's
// flowtables are in test/vm/nft-flowtable.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { NftCommitError, Nftables } from '../../src/index.js';
import { makeNetns } from '../helpers.js';
import { messagesOf, withoutDeleteHookHeader, type Captured } from '../fixtures/nft/captured.js';
import { flowtableSample } from '../fixtures/nft/flowtable-sample.js';
import { captureScript, nftIn, nftList, rulesetTx, T, nftablesWithVeths, veths, withFile } from '../fixtures/nft/flowtable-ruleset.js';

describe('flowtables on the host kernel (no flowtable needed)', () => {
  let nft: Nftables;
  const ns = nftablesWithVeths((h) => { nft = h; });

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
});

describe('netdev device lists on the host kernel', () => {
  let nft: Nftables;
  const ns = nftablesWithVeths((h) => { nft = h; });

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
