// Rulesets in the shape of the tools that make real users' rulesets
// (test/fixtures/nft-rulesets/README.md): Docker's nftables backend,
// firewalld, kube-proxy's nftables mode, and what iptables-nft makes of
// Docker's, kube-proxy's and flannel's iptables rules.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Nftables } from '../../src/index.js';
import { sh } from '../helpers.js';
import { list, netns, roundTrip } from '../fixtures/nft/roundtrip.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('real-world-shaped rulesets: list, print, reload and recreate as nft', () => {
  for (const name of ['nft-rulesets/docker.nft', 'nft-rulesets/firewalld.nft', 'nft/kube-proxy.nft']) {
    it(`${name}: prints as nft lists it, reloads and recreates identically, sends nft's batch`, async function () {
      this.timeout(60000);
      await roundTrip(fixture(name));
    });
  }

  // iptables-nft's rules hold compatibility expressions (`match`, `target`)
  // that nft prints through libxtables; those we print in the low-level form,
  // so only the recreation is checked here: through toTransaction(), the
  // ruleset must list the same with nft and save the same with iptables-nft.
  it('iptables-nft.rules (Docker, kube-proxy and flannel iptables rules via iptables-nft): recreated identically', async function () {
    this.timeout(60000);
    const a = netns(), c = netns();
    try {
      sh('sh', ['-c', `ip netns exec ${a.name} iptables-nft-restore < ${new URL('../fixtures/nft-rulesets/iptables-nft.rules', import.meta.url).pathname}`]);
      const nf = await Nftables.open({ netns: a.name });
      const listed = await nf.list();
      await nf.close();
      assert.ok(listed.rules.length > 40);
      const nc = await Nftables.open({ netns: c.name });
      await nc.commit(listed.toTransaction());
      await nc.close();
      assert.equal(list(c.name), list(a.name));
      const save = (ns: string) => sh('ip', ['netns', 'exec', ns, 'iptables-nft-save']).replace(/^#.*\n/gm, '');
      assert.equal(save(c.name), save(a.name));
    } finally {
      a.remove(); c.remove();
    }
  });
});
