// rtnetlink against the real host kernel, each test in a fresh netns, with
// iproute2's `ip` as the oracle both ways.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';

import { isExists, isNotFound, NetlinkError, Rtnl } from '../../src/index.js';
import { freshNetnsPerTest, ipJson, makeNetns, sh } from '../helpers.js';

interface IpLink { ifindex: number; ifname: string; flags: string[]; mtu: number; address?: string; operstate: string; linkinfo?: { info_kind: string } }
interface IpAddrInfo { family: 'inet' | 'inet6'; local: string; prefixlen: number; scope: string; label?: string }
interface IpAddr { ifindex: number; ifname: string; addr_info: IpAddrInfo[] }

describe('rtnl on the host kernel', () => {
  const ns = freshNetnsPerTest();
  let rtnl: Rtnl;
  beforeEach(async () => { rtnl = await Rtnl.open({ netns: ns.name }); });
  afterEach(async () => { await rtnl.close(); });

  it('lists the links `ip -d link` shows, field for field', async () => {
    sh('ip', ['-n', ns.name, 'link', 'add', 'v0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'v1']);
    sh('ip', ['-n', ns.name, 'link', 'set', 'v0', 'up']);
    const ours = await rtnl.listLinks();
    const theirs = ipJson<IpLink[]>(ns.name, '-d', 'link', 'show');
    assert.equal(ours.length, theirs.length);
    for (const t of theirs) {
      const o = ours.find((l) => l.index === t.ifindex);
      assert.ok(o, `link ${t.ifname} missing`);
      assert.equal(o.name, t.ifname);
      assert.equal(o.mtu, t.mtu);
      assert.equal(o.up, t.flags.includes('UP'));
      assert.equal(o.kind, t.linkinfo?.info_kind ?? '');
      assert.equal(o.operState, t.operstate.toLowerCase());
      if (t.address !== undefined) assert.equal(o.mac, t.address);
    }
    const v0 = ours.find((l) => l.name === 'v0')!;
    const v1 = ours.find((l) => l.name === 'v1')!;
    assert.equal(v0.parent, v1.index);
    assert.equal(v0.mtu, 1400);
  });

  it('creates a veth pair, sets it up and down, deletes it; `ip` agrees at each step', async () => {
    await rtnl.addVeth('ve0', 've1', { mtu: 1450 });
    let links = ipJson<IpLink[]>(ns.name, '-d', 'link', 'show');
    const ve0 = links.find((l) => l.ifname === 've0');
    assert.equal(ve0?.linkinfo?.info_kind, 'veth');
    assert.equal(ve0?.mtu, 1450);
    assert.ok(!ve0?.flags.includes('UP'));
    await rtnl.setLinkUp('ve0');
    await rtnl.setLinkUp((await rtnl.getLink('ve1')).index);
    links = ipJson<IpLink[]>(ns.name, 'link', 'show');
    assert.ok(links.find((l) => l.ifname === 've0')!.flags.includes('UP'));
    assert.ok(links.find((l) => l.ifname === 've1')!.flags.includes('UP'));
    await rtnl.setLinkMtu('ve0', 1300);
    assert.equal((await rtnl.getLink('ve0')).mtu, 1300);
    await rtnl.setLinkDown('ve0');
    assert.equal((await rtnl.getLink('ve0')).up, false);
    await rtnl.deleteLink('ve0');
    links = ipJson<IpLink[]>(ns.name, 'link', 'show');
    assert.deepEqual(links.map((l) => l.ifname), ['lo']);
  });

  it('puts a veth peer into another namespace (as `ip link add ... netns`)', async () => {
    const other = makeNetns();
    try {
      await rtnl.addVeth('out0', 'in0', { peerNetns: other.name, up: true });
      const inside = ipJson<IpLink[]>(other.name, 'link', 'show');
      assert.ok(inside.some((l) => l.ifname === 'in0'));
      const out0 = await rtnl.getLink('out0');
      assert.ok(out0.parentNetnsId !== undefined && out0.parentNetnsId >= 0);
      await assert.rejects(rtnl.getLink('in0'), isNotFound);
    } finally {
      other.remove();
    }
  });

  it('adds and deletes IPv4 and IPv6 addresses; `ip addr` agrees; and reads back what `ip` added', async () => {
    sh('ip', ['-n', ns.name, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1']);
    sh('ip', ['-n', ns.name, 'link', 'set', 'a0', 'up']);
    await rtnl.addAddress('a0', '10.20.0.1/24', { label: 'a0:vip' });
    await rtnl.addAddress('a0', '10.96.0.10/32');
    await rtnl.addAddress('a0', 'fd00:10::1/64', { nodad: true });
    sh('ip', ['-n', ns.name, 'addr', 'add', '192.0.2.7/28', 'dev', 'a0', 'scope', 'link']);
    const theirs = ipJson<IpAddr[]>(ns.name, 'addr', 'show', 'dev', 'a0')[0]!.addr_info;
    const ours = await rtnl.listAddresses({ link: 'a0' });
    assert.equal(ours.length, theirs.length);
    for (const t of theirs) {
      const o = ours.find((a) => a.address === t.local);
      assert.ok(o, `address ${t.local} missing from ours`);
      assert.equal(o.prefixLength, t.prefixlen);
      assert.equal(o.family, t.family === 'inet' ? 4 : 6);
      assert.equal(o.scope, t.scope);
      if (t.label !== undefined) assert.equal(o.label, t.label);
    }
    assert.ok(theirs.some((t) => t.local === '10.20.0.1' && t.label === 'a0:vip'));
    assert.ok(theirs.some((t) => t.local === 'fd00:10::1' && t.prefixlen === 64));
    await rtnl.deleteAddress('a0', '10.96.0.10/32');
    await rtnl.deleteAddress('a0', 'fd00:10::1/64');
    const after = ipJson<IpAddr[]>(ns.name, 'addr', 'show', 'dev', 'a0')[0]!.addr_info.map((a) => a.local);
    assert.ok(!after.includes('10.96.0.10') && !after.includes('fd00:10::1'));
    assert.ok(after.includes('10.20.0.1'));
    const v6 = await rtnl.listAddresses({ family: 6 });
    assert.ok(v6.every((a) => a.family === 6));
  });

  it('kernel refusals are NetlinkErrors naming the operation, with the extended ACK', async () => {
    await rtnl.addAddress('lo', '10.1.1.1/32');
    await assert.rejects(rtnl.addAddress('lo', '10.1.1.1/32'), (e: unknown) =>
      isExists(e) && e.operation === 'rtnl.addAddress' && e.errno === 17 && typeof e.extack === 'string' && e.extack.length > 0);
    await assert.rejects(rtnl.deleteAddress('lo', '10.9.9.9/32'), (e: unknown) =>
      isNotFound(e) && e.operation === 'rtnl.deleteAddress' && e.code === 'EADDRNOTAVAIL');
    await assert.rejects(rtnl.deleteLink('nosuch0'), (e: unknown) => isNotFound(e) && e.operation === 'rtnl.deleteLink');
    await assert.rejects(rtnl.getLink(999999), (e: unknown) => e instanceof NetlinkError && e.code === 'ENODEV');
    await rtnl.addVeth('dup0', 'dup1');
    await assert.rejects(rtnl.addVeth('dup0', 'dup2'), isExists);
  });

  it('pipelines 2,000 addresses in one call; a duplicate fails alone at its index', async () => {
    const cidrs = Array.from({ length: 2000 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
    cidrs[1234] = cidrs[1000]!;
    const results = await rtnl.addAddresses('lo', cidrs);
    assert.equal(results.length, 2000);
    results.forEach((r, i) => {
      if (i === 1234) assert.ok(isExists(r.error), 'the duplicate fails with EEXIST');
      else assert.equal(r.error, undefined, `address ${i} ${r.address}: ${r.error?.message}`);
    });
    const count = ipJson<IpAddr[]>(ns.name, '-4', 'addr', 'show', 'dev', 'lo')[0]!.addr_info.length;
    assert.equal(count, 1999);
    const removed = await rtnl.deleteAddresses('lo', cidrs.filter((_, i) => i !== 1234));
    assert.ok(removed.every((r) => r.error === undefined));
    assert.equal(ipJson<IpAddr[]>(ns.name, '-4', 'addr', 'show', 'dev', 'lo').length, 0);
  });

  it('serialises concurrent calls on one handle', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    await Promise.all(names.map((n) => rtnl.addVeth(n, `${n}p`)));
    const links = await rtnl.listLinks();
    for (const n of names) assert.ok(links.some((l) => l.name === n));
  });

  it('opening a handle elsewhere leaves the caller thread in its own namespace', async () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const h = await Rtnl.open({ netns: ns.name });
    const h2 = await Rtnl.open({ netns: `/run/netns/${ns.name}` });
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), before);
    const a = (await h.listLinks()).map((l) => l.name);
    const b = (await h2.listLinks()).map((l) => l.name);
    assert.deepEqual(a, ['lo']);
    assert.deepEqual(b, ['lo']);
    await h.close();
    await h2.close();
  });

  it('a veth created by us in a netns does not appear in the caller namespace', async () => {
    await rtnl.addVeth('iso0', 'iso1');
    const own = await Rtnl.open();
    try {
      await assert.rejects(own.getLink('iso0'), isNotFound);
    } finally {
      await own.close();
    }
  });
});
