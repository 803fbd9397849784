// IPVS mode on this host's kernel, which has no IPVS (and no dummy links):
// setup fails saying so before anything is written, and --cleanup still
// removes our tables and succeeds, so `dataplane-proxy --cleanup` (every
// mode's cleanup) works on any node. Each test in a fresh netns.
import assert from 'node:assert/strict';

import { Nftables } from '../../src/index.js';
import { IpvsBackend } from '../../src/proxy/backend/ipvs/index.js';
import { rebuildTable } from '../../src/proxy/backend/ipvs/nft-table.js';
import { freshNetnsPerTest, sh } from '../helpers.js';
import { backendOptions } from '../fixtures/proxy-ipvs/state.js';

describe('proxy IPVS mode on a kernel without IPVS', () => {
  const ns = freshNetnsPerTest();
  const written: string[] = [];
  const sysctl = { read: async () => '6.18.0', write: async (name: string) => { written.push(name); } };

  it('setup fails with a clear error and writes no sysctl', async () => {
    const b = new IpvsBackend(backendOptions({ netns: ns.name }), { scheduler: 'rr' }, { sysctl });
    try {
      await assert.rejects(b.setup(), /IPVS is not available in the node's kernel \(module ip_vs\)/);
      assert.deepEqual(written, []);
    } finally {
      await b.close();
    }
  });

  it('a backend pointed at another namespace refuses to set up: /proc/sys is the process\'s own', async () => {
    const b = new IpvsBackend(backendOptions({ netns: ns.name }), { scheduler: 'rr' });
    try {
      await assert.rejects(b.setup(), /run dataplane-proxy inside the node's network namespace/);
    } finally {
      await b.close();
    }
  });

  it('cleanup removes both tables and succeeds', async () => {
    const nft = await Nftables.open({ netns: ns.name });
    try {
      const tx = nft.transaction();
      for (const f of [4, 6] as const) rebuildTable(tx, f, backendOptions(), []);
      await nft.commit(tx);
      assert.match(sh('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'tables']), /table ip dataplane-ipvs\ntable ip6 dataplane-ipvs/);
      const b = new IpvsBackend(backendOptions({ netns: ns.name }), { scheduler: 'rr' });
      await b.cleanup();
      await b.cleanup();
      await b.close();
      assert.equal(sh('ip', ['netns', 'exec', ns.name, 'nft', 'list', 'tables']), '');
    } finally {
      await nft.close();
    }
  });
});
