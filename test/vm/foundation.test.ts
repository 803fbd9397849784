// Runs inside the qemu guest (scripts/vm/run.sh), whose Debian kernel has
// IPVS and the dummy link type that the host kernel lacks.
import assert from 'node:assert/strict';

import { Genl, Rtnl } from '../../src/index.js';
import { freshNetnsPerTest, ipJson, sh } from '../helpers.js';

interface IpLink { ifname: string; flags: string[]; linkinfo?: { info_kind: string } }
interface IpAddr { addr_info: { family: string; local: string; prefixlen: number }[] }

describe('foundation under the guest kernel', () => {
  const ns = freshNetnsPerTest();

  it('runs on a kernel with IPVS (the path this suite exists for)', () => {
    assert.match(sh('uname', ['-r']), /^6\.1\./);
  });

  it('resolves the IPVS generic-netlink family inside a fresh netns', async () => {
    const genl = await Genl.open({ netns: ns.name });
    try {
      const ipvs = await genl.resolveFamily('IPVS');
      assert.equal(ipvs.name, 'IPVS');
      assert.ok(ipvs.id >= 16, `family id ${ipvs.id}`);
      assert.equal(ipvs.version, 1); // IPVS_GENL_VERSION
      assert.equal(ipvs.maxAttribute, 6); // IPVS_CMD_ATTR_MAX = IPVS_CMD_ATTR_TIMEOUT_UDP in linux/ip_vs.h
      assert.deepEqual(await genl.resolveFamily('IPVS'), ipvs); // cached, same answer
    } finally {
      await genl.close();
    }
  });

  it('creates a dummy link with a /32 address through Rtnl; `ip` sees both', async () => {
    const rtnl = await Rtnl.open({ netns: ns.name });
    try {
      await rtnl.addDummy('kube-ipvs0', { up: true });
      await rtnl.addAddress('kube-ipvs0', '10.96.0.10/32');
      await rtnl.addAddress('kube-ipvs0', 'fd00:96::a/128', { nodad: true });
      const link = ipJson<IpLink[]>(ns.name, '-d', 'link', 'show', 'kube-ipvs0')[0]!;
      assert.equal(link.linkinfo?.info_kind, 'dummy');
      assert.ok(link.flags.includes('UP'));
      const addrs = ipJson<IpAddr[]>(ns.name, 'addr', 'show', 'dev', 'kube-ipvs0')[0]!.addr_info;
      assert.ok(addrs.some((a) => a.family === 'inet' && a.local === '10.96.0.10' && a.prefixlen === 32));
      assert.ok(addrs.some((a) => a.family === 'inet6' && a.local === 'fd00:96::a' && a.prefixlen === 128));
      const ours = await rtnl.getLink('kube-ipvs0');
      assert.equal(ours.kind, 'dummy');
      assert.equal(ours.up, true);
    } finally {
      await rtnl.close();
    }
  });
});
