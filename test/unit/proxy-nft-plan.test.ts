// The nftables backend's pure parts: the plan of each Service shape (with
// kube-proxy's decisions: which chains, which elements, what is rejected or
// dropped), shard placement, names, firewall ranges, element ownership, and
// the typeof user data nft writes.
import assert from 'node:assert/strict';

import { printRule, type Rule } from '../../src/nft/index.js';
import { numgenMapUserdata } from '../../src/proxy/backend/nftables/exprs.js';
import { familyNames } from '../../src/proxy/backend/nftables/family.js';
import { affinitySet, parseTableName, servicePortBase, shardOf, shardTable } from '../../src/proxy/backend/nftables/names.js';
import { planService, sharedItems, type PlanContext, type ServicePlan } from '../../src/proxy/backend/nftables/plan.js';
import { cidrContains, mergeRanges } from '../../src/proxy/backend/nftables/ranges.js';
import { ElementRegistry, noChanges } from '../../src/proxy/backend/nftables/registry.js';
import { localTraffic } from '../../src/proxy/backend/nftables/base.js';
import { endpoint, nodeInfo, servicePort, terminating } from '../fixtures/proxy-nft/model.js';

function ctx(o: Partial<PlanContext> & { family?: 4 | 6 } = {}): PlanContext {
  const fam = familyNames(o.family ?? 4);
  return {
    fam, table: 'dataplane-proxy-0', masqueradeMark: 0x4000, masqueradeAll: false, node: nodeInfo(),
    local: localTraffic(fam, { mode: 'ClusterCIDR', cidrs: ['10.0.0.0/8', 'fd00:10::/64'] }).match, ...o,
  };
}

const rules = (p: ServicePlan, chain: string): string[] => (p.chains.get(chain) ?? []).map((r: Rule) => printRule(r));
const entries = (p: ServicePlan['shared']): string[] => p.flatMap((e) => e.items.map((i) => `${i.set} ${JSON.stringify(i.element)}`));

describe('nftables plan: ClusterIP', () => {
  const svc = servicePort({ name: 'svc1', clusterIP: '172.30.0.41', port: 80, portName: 'p80' });

  it('with endpoints: a service chain that masquerades outside sources and picks from its endpoint map', () => {
    const p = planService(svc, [endpoint('10.180.0.2', 80), endpoint('10.180.0.1', 80)], ctx());
    assert.deepEqual([...p.chains.keys()], ['service-default/svc1/tcp/p80']);
    assert.deepEqual(rules(p, 'service-default/svc1/tcp/p80'), [
      'ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 meta mark set meta mark | 0x00004000',
      'meta l4proto tcp dnat ip to numgen random mod 2 map @service-default/svc1/tcp/p80',
    ]);
    const map = p.sets.get('service-default/svc1/tcp/p80')!;
    assert.equal(map.map, 'ipv4_addr . inet_service');
    assert.deepEqual(map.elements, [{ key: 0, value: ['10.180.0.1', 80] }, { key: 1, value: ['10.180.0.2', 80] }]);
    assert.deepEqual(entries(p.shard), ['service-ips {"key":["172.30.0.41","tcp",80],"verdict":{"kind":"goto","chain":"service-default/svc1/tcp/p80"}}']);
    assert.deepEqual(entries(p.shared), [
      'cluster-ips {"key":"172.30.0.41"}', 'hairpin {"key":["10.180.0.2","10.180.0.2"]}', 'hairpin {"key":["10.180.0.1","10.180.0.1"]}',
    ]);
    assert.deepEqual(p.noLocal, { internal: 0, external: 0 });
  });

  it('without endpoints: nothing in the shard, the cluster IP rejected', () => {
    const p = planService(svc, [], ctx());
    assert.equal(p.chains.size + p.sets.size + p.shard.length, 0);
    assert.deepEqual(entries(p.shared), ['cluster-ips {"key":"172.30.0.41"}', 'no-endpoint-reject {"key":["172.30.0.41","tcp",80]}']);
  });

  it('internalTrafficPolicy Local without local endpoints: dropped, counted', () => {
    const p = planService({ ...svc, internalPolicyLocal: true }, [endpoint('10.180.0.1', 80)], ctx());
    assert.equal(p.chains.size, 0);
    assert.deepEqual(entries(p.shared), ['cluster-ips {"key":"172.30.0.41"}', 'no-endpoint-drop {"key":["172.30.0.41","tcp",80]}']);
    assert.deepEqual(p.noLocal, { internal: 1, external: 0 });
  });

  it('internalTrafficPolicy Local: the local chain is the internal one, with the masquerade rule', () => {
    const p = planService({ ...svc, internalPolicyLocal: true }, [endpoint('10.180.0.1', 80, { local: true }), endpoint('10.180.0.2', 80)], ctx());
    assert.deepEqual([...p.chains.keys()], ['local-default/svc1/tcp/p80']);
    assert.equal(rules(p, 'local-default/svc1/tcp/p80')[0], 'ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 meta mark set meta mark | 0x00004000');
    assert.deepEqual(p.sets.get('local-default/svc1/tcp/p80')!.elements, [{ key: 0, value: ['10.180.0.1', 80] }]);
  });

  it('masqueradeAll masquerades every source; no local detection masquerades none', () => {
    const eps = [endpoint('10.180.0.1', 80)];
    assert.equal(rules(planService(svc, eps, ctx({ masqueradeAll: true })), 'service-default/svc1/tcp/p80')[0],
      'ip daddr 172.30.0.41 tcp dport 80 meta mark set meta mark | 0x00004000');
    assert.deepEqual(rules(planService(svc, eps, ctx({ local: undefined })), 'service-default/svc1/tcp/p80'),
      ['meta l4proto tcp dnat ip to numgen random mod 1 map @service-default/svc1/tcp/p80']);
  });

  it('only terminating endpoints: used as the fallback (kube-proxy CategorizeEndpoints)', () => {
    const p = planService(svc, [terminating('10.180.0.1', 80), endpoint('10.180.0.2', 80, { ready: false, serving: false, terminating: true })], ctx());
    assert.deepEqual(p.sets.get('service-default/svc1/tcp/p80')!.elements, [{ key: 0, value: ['10.180.0.1', 80] }]);
  });

  it('IPv6: ip6 fields, ipv6 endpoint maps and names without colons', () => {
    const v6 = servicePort({ name: 'svc1', clusterIP: 'fd00:172:30::41', port: 80, stickyMaxAgeSeconds: 60 });
    const ep = endpoint('fd00:10:180::1', 80);
    const p = planService(v6, [ep], ctx({ family: 6 }));
    assert.equal(affinitySet(v6, ep), 'affinity-default/svc1/tcp/__fd00.10.180..1/80');
    assert.deepEqual(rules(p, 'service-default/svc1/tcp/'), [
      'ip6 daddr fd00:172:30::41 tcp dport 80 ip6 saddr != fd00:10::/64 meta mark set meta mark | 0x00004000',
      `ip6 saddr @${affinitySet(v6, ep)} meta l4proto tcp update @${affinitySet(v6, ep)} { ip6 saddr } dnat to [fd00:10:180::1]:80`,
      `meta l4proto tcp update @${affinitySet(v6, ep)} { ip6 saddr } dnat to [fd00:10:180::1]:80`,
    ]);
    const v6plain = planService({ ...v6, stickyMaxAgeSeconds: 0 }, [ep], ctx({ family: 6 }));
    assert.equal(v6plain.sets.get('service-default/svc1/tcp/')!.map, 'ipv6_addr . inet_service');
  });
});

describe('nftables plan: external traffic', () => {
  const base = { name: 'svc1', clusterIP: '172.30.0.41', port: 80, nodePort: 3001, externalIPs: ['192.168.99.11'], loadBalancerVIPs: ['1.2.3.4'] };

  it('Cluster policy: NodePort, external IP and LB IP go to the service chain, which masquerades all that is not for the cluster IP', () => {
    const p = planService(servicePort(base), [endpoint('10.180.0.1', 80)], ctx());
    assert.deepEqual([...p.chains.keys()], ['service-default/svc1/tcp/']);
    assert.deepEqual(rules(p, 'service-default/svc1/tcp/').slice(0, 2), [
      'ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 meta mark set meta mark | 0x00004000',
      'ip daddr != 172.30.0.41 meta mark set meta mark | 0x00004000',
    ]);
    assert.deepEqual(entries(p.shard).map((e) => e.replace(/^(\S+) \{"key":(\[[^\]]*\]).*"chain":"([^"]*)".*/, '$1 $2 $3')), [
      'service-ips ["172.30.0.41","tcp",80] service-default/svc1/tcp/', 'service-ips ["192.168.99.11","tcp",80] service-default/svc1/tcp/',
      'service-ips ["1.2.3.4","tcp",80] service-default/svc1/tcp/', 'service-nodeports ["tcp",3001] service-default/svc1/tcp/',
    ]);
  });

  it('Local policy: pods and the node short-circuit to the cluster chain, the rest goes to local endpoints', () => {
    const p = planService(servicePort({ ...base, externalPolicyLocal: true }), [endpoint('10.180.0.1', 80, { local: true }), endpoint('10.180.0.2', 80)], ctx());
    assert.deepEqual(rules(p, 'external-default/svc1/tcp/'), [
      'ip saddr 10.0.0.0/8 goto service-default/svc1/tcp/ comment "short-circuit pod traffic"',
      'fib saddr type local meta mark set meta mark | 0x00004000 goto service-default/svc1/tcp/ comment "masquerade and short-circuit local traffic"',
      'goto local-default/svc1/tcp/',
    ]);
    assert.deepEqual(p.sets.get('local-default/svc1/tcp/')!.elements, [{ key: 0, value: ['10.180.0.1', 80] }]);
    assert.deepEqual(p.sets.get('service-default/svc1/tcp/')!.elements!.length, 2);
  });

  it('Local policy without local endpoints: outside traffic dropped (not rejected), short-circuits kept, counted', () => {
    const p = planService(servicePort({ ...base, externalPolicyLocal: true }), [endpoint('10.180.0.2', 80)], ctx());
    assert.equal(rules(p, 'external-default/svc1/tcp/').length, 2);
    assert.deepEqual(entries(p.shared).filter((e) => e.includes('drop') || e.includes('reject')), [
      'no-endpoint-drop {"key":["192.168.99.11","tcp",80]}', 'no-endpoint-drop {"key":["1.2.3.4","tcp",80]}', 'nodeport-drop {"key":["tcp",3001]}',
    ]);
    assert.deepEqual(p.noLocal, { internal: 0, external: 1 });
  });

  it('no endpoints: the external IP, LB IP and NodePort are rejected', () => {
    const p = planService(servicePort(base), [], ctx());
    assert.deepEqual(entries(p.shared).filter((e) => e.includes('reject')), [
      'no-endpoint-reject {"key":["172.30.0.41","tcp",80]}', 'no-endpoint-reject {"key":["192.168.99.11","tcp",80]}',
      'no-endpoint-reject {"key":["1.2.3.4","tcp",80]}', 'nodeport-reject {"key":["tcp",3001]}',
    ]);
  });

  it('loadBalancerSourceRanges: firewall elements per VIP, ranges merged, the VIP allowed when the node is in a range', () => {
    const svc = servicePort({ ...base, loadBalancerVIPs: ['1.2.3.4', '5.6.7.8'], loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25', '192.168.0.128/25'] });
    const fw = entries(planService(svc, [endpoint('10.180.0.1', 80)], ctx()).shared).filter((e) => e.startsWith('firewall'));
    assert.deepEqual(fw.filter((e) => e.includes('"key":["1.2.3.4"')), [
      'firewall-ips {"key":["1.2.3.4","tcp",80]}',
      'firewall-allow {"key":["1.2.3.4","tcp",80,"1.2.3.4"],"keyEnd":["1.2.3.4","tcp",80,"1.2.3.4"]}',
      'firewall-allow {"key":["1.2.3.4","tcp",80,"5.6.7.8"],"keyEnd":["1.2.3.4","tcp",80,"5.6.7.8"]}',
      'firewall-allow {"key":["1.2.3.4","tcp",80,"192.168.0.0"],"keyEnd":["1.2.3.4","tcp",80,"192.168.0.255"]}',
      'firewall-allow {"key":["1.2.3.4","tcp",80,"203.0.113.0"],"keyEnd":["1.2.3.4","tcp",80,"203.0.113.127"]}',
    ]);
    const far = entries(planService(svc, [endpoint('10.180.0.1', 80)], ctx({ node: nodeInfo({ primaryIPs: { 4: '10.9.9.9' } }) })).shared);
    assert.ok(!far.some((e) => e.includes('80,"1.2.3.4"]')), 'the VIP is not a source when the node is outside every range');
  });

  it('ClientIP affinity: per-endpoint affinity sets with the timeout in ms, a sticky rule per endpoint, then each endpoint with chance 1/(left)', () => {
    const svc = servicePort({ ...base, stickyMaxAgeSeconds: 10800 });
    const eps = [endpoint('10.180.0.1', 80), endpoint('10.180.0.2', 80), endpoint('10.180.0.3', 80)];
    const p = planService(svc, eps, ctx());
    const a = eps.map((ep) => affinitySet(svc, ep));
    assert.deepEqual(rules(p, 'service-default/svc1/tcp/').slice(2), [
      ...eps.map((ep, i) => `ip saddr @${a[i]} meta l4proto tcp update @${a[i]} { ip saddr } dnat to ${ep.ip}:80`),
      // (the numgen match as nft prints it: `0`)
      `numgen random mod 3 0 meta l4proto tcp update @${a[0]} { ip saddr } dnat to 10.180.0.1:80`,
      `numgen random mod 2 0 meta l4proto tcp update @${a[1]} { ip saddr } dnat to 10.180.0.2:80`,
      `meta l4proto tcp update @${a[2]} { ip saddr } dnat to 10.180.0.3:80`,
    ]);
    assert.deepEqual(p.sets.get(a[0]!), {
      family: 'ip', table: 'dataplane-proxy-0', name: a[0], type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 10_800_000,
    });
    assert.equal(p.sets.has('service-default/svc1/tcp/'), false, 'no endpoint map');
  });
});

describe('nftables plan: shards and names', () => {
  it('places a service by namespace/name: stable, the same for every port and family, spread evenly', () => {
    assert.equal(shardOf({ namespace: 'default', name: 'kubernetes' }, 64), shardOf({ namespace: 'default', name: 'kubernetes' }, 64));
    // Pinned: a different hash would move every service to another shard at an upgrade (FNV-1a of "ns/name").
    assert.deepEqual([shardOf({ namespace: 'default', name: 'kubernetes' }, 64), shardOf({ namespace: 'kube-system', name: 'kube-dns' }, 64)], [55, 56]);
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf({ namespace: `ns-${i % 200}`, name: `svc-${i}` }, 64)]!++;
    assert.ok(Math.min(...counts) > 120 && Math.max(...counts) < 200, `uneven: ${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  it('names objects after the service port and tells our tables from others', () => {
    const svc = servicePort({ name: 'web', namespace: 'prod', portName: 'https', clusterIP: '10.96.0.1', port: 443 });
    assert.equal(servicePortBase(svc), 'prod/web/tcp/https');
    assert.equal(affinitySet(svc, { ip: '10.1.2.3', port: 8443 }), 'affinity-prod/web/tcp/https__10.1.2.3/8443');
    assert.equal(shardTable(7), 'dataplane-proxy-7');
    assert.deepEqual([parseTableName('dataplane-proxy'), parseTableName('dataplane-proxy-12'), parseTableName('dataplane-proxy-012'),
      parseTableName('kube-proxy'), parseTableName('dataplane-proxy-probe')], [{ kind: 'shared' }, { kind: 'shard', index: 12 }, undefined, undefined, undefined]);
  });
});

describe('nftables plan: ranges and element ownership', () => {
  it('merges overlapping and adjacent ranges, per family', () => {
    assert.deepEqual(mergeRanges(['10.0.0.0/8', '10.1.0.0/16', '11.0.0.0/8', '1.2.3.4']), [
      { first: '1.2.3.4', last: '1.2.3.4' }, { first: '10.0.0.0', last: '11.255.255.255' }]);
    assert.deepEqual(mergeRanges(['2600:5200::/113']), [{ first: '2600:5200::', last: '2600:5200::7fff' }]);
    assert.ok(cidrContains('203.0.113.0/25', '203.0.113.127') && !cidrContains('203.0.113.0/25', '203.0.113.128') && !cidrContains('::/0', '1.2.3.4'));
  });

  it('keeps an element while any owner asks for it, and the first owner\'s value when owners disagree', () => {
    const r = new ElementRegistry(sharedItems);
    const cip = { id: 'cluster-ip|172.30.0.1', items: sharedItems('cluster-ip|172.30.0.1'), counted: true as const };
    const to = (chain: string) => ({ id: 'ip|1.2.3.4|tcp|80', items: [{ set: 'service-ips', element: { key: ['1.2.3.4', 'tcp', 80], verdict: { kind: 'goto' as const, chain } } }] });
    let c = noChanges();
    r.replace('b/svc:http', [], [cip, to('svc-b')], c);
    assert.deepEqual([...c.add.keys()], ['cluster-ips', 'service-ips']);
    c = noChanges();
    r.replace('a/svc:http', [], [cip, to('svc-a')], c);
    assert.deepEqual(c.remove.get('service-ips'), [to('svc-b').items[0]!.element]);
    assert.deepEqual(c.add.get('service-ips'), [to('svc-a').items[0]!.element]);
    assert.equal(c.add.has('cluster-ips'), false);
    c = noChanges();
    r.replace('a/svc:http', [cip, to('svc-a')], [], c);
    assert.deepEqual(c.add.get('service-ips'), [to('svc-b').items[0]!.element]);
    assert.equal(c.remove.has('cluster-ips'), false);
    c = noChanges();
    r.replace('b/svc:http', [cip, to('svc-b')], [], c);
    assert.deepEqual([...c.remove.keys()], ['cluster-ips', 'service-ips']);
    assert.equal(r.all().size, 0);
  });
});

describe('nftables plan: typeof user data', () => {
  // What nft 1.0.6 stores for `typeof numgen random mod 1 : ip daddr . tcp dport` and friends
  // (read back from the kernel after `nft -f`), so nft lists and reloads our maps.
  const nft106 = {
    ip4tcp: '000401000000010400000000031a0004170000000112000401000000010401000000020400000000043400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c000408000000010402000000060400000000',
    ip6tcp: '000401000000010400000000031a0004170000000112000401000000010401000000020400000000043400040d000000012c0014000407000000010c00040d0000000104090000000114000407000000010c000408000000010402000000060400000000',
    ip4udp: '000401000000010400000000031a0004170000000112000401000000010401000000020400000000043400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c000406000000010402000000060400000000',
    ip4sctp: '000401000000010400000000031a0004170000000112000401000000010401000000020400000000043400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c00040a000000010402000000060400000000',
  };
  it('is byte for byte what nft writes', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    assert.equal(hex(numgenMapUserdata(familyNames(4), 'tcp')), nft106.ip4tcp);
    assert.equal(hex(numgenMapUserdata(familyNames(6), 'tcp')), nft106.ip6tcp);
    assert.equal(hex(numgenMapUserdata(familyNames(4), 'udp')), nft106.ip4udp);
    assert.equal(hex(numgenMapUserdata(familyNames(4), 'sctp')), nft106.ip4sctp);
  });
});
