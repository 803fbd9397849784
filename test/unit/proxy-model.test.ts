// The proxy's pure model: Service -> ServicePorts (kube-proxy's
// servicechangetracker_test.go TestServiceToServiceMap, the facts restated),
// EndpointSlices -> endpoints, and the Node -> NodeInfo mapping.
import assert from 'node:assert/strict';

import { canonicalCidr, cidrContains } from '../../src/proxy/model/cidr.js';
import { EndpointSliceCache } from '../../src/proxy/model/endpointslices.js';
import { nodeEligible, nodeInfo, nodeNeedsFullSync, podCIDRs } from '../../src/proxy/model/node.js';
import { clusterIPOf, servicePorts, skipReason } from '../../src/proxy/model/service.js';
import { k8sNode, service, slice, sliceEndpoint } from '../fixtures/proxy/model.js';

const v4 = { families: [4] as const };
const dual = { families: [4, 6] as const };

describe('proxy model: Service -> ServicePorts', () => {
  it('a ClusterIP service: one ServicePort per port, keyed ns/name:port/proto', () => {
    const m = servicePorts(service('cluster-ip', {
      clusterIP: '172.16.55.4', ports: [{ name: 'p1', protocol: 'UDP', port: 1234 }, { name: 'p2', protocol: 'UDP', port: 1235 }],
    }), v4);
    assert.deepEqual([...m.keys()], ['ns/cluster-ip:p1/udp', 'ns/cluster-ip:p2/udp']);
    const p1 = m.get('ns/cluster-ip:p1/udp')!;
    assert.equal(p1.clusterIP, '172.16.55.4');
    assert.equal(p1.port, 1234);
    assert.equal(p1.protocol, 'udp');
    assert.equal(p1.nodePort, 0);
    assert.equal(p1.family, 4);
  });

  it('an unnamed port has no :name in its key; protocol defaults to TCP', () => {
    const m = servicePorts(service('web', { ports: [{ port: 80 }] }), v4);
    assert.deepEqual([...m.keys()], ['ns/web/tcp']);
  });

  it('a NodePort service keeps each port\'s nodePort', () => {
    const m = servicePorts(service('node-port', {
      type: 'NodePort', clusterIP: '172.16.55.10', ports: [{ name: 'port1', protocol: 'UDP', port: 345, nodePort: 678 }, { name: 'port2', protocol: 'TCP', port: 344, nodePort: 677 }],
    }), v4);
    assert.equal(m.get('ns/node-port:port1/udp')!.nodePort, 678);
    assert.equal(m.get('ns/node-port:port2/tcp')!.nodePort, 677);
  });

  it('LoadBalancer ingress IPs: ipMode VIP or unset are used, Proxy is not', () => {
    const lb = (ipMode?: string) => servicePorts(service('lb', {
      type: 'LoadBalancer', clusterIP: '172.16.55.11', ports: [{ name: 'port3', protocol: 'UDP', port: 8675, nodePort: 30061 }],
    }, { status: { loadBalancer: { ingress: [{ ip: '10.1.2.4', ...(ipMode !== undefined ? { ipMode } : {}) }] } } }), v4).get('ns/lb:port3/udp')!;
    assert.deepEqual(lb().loadBalancerVIPs, ['10.1.2.4']);
    assert.deepEqual(lb('VIP').loadBalancerVIPs, ['10.1.2.4']);
    assert.deepEqual(lb('Proxy').loadBalancerVIPs, []);
  });

  it('externalTrafficPolicy Local on a LoadBalancer: healthCheckNodePort and Local policy', () => {
    const sp = servicePorts(service('only-local', {
      type: 'LoadBalancer', clusterIP: '172.16.55.12', externalTrafficPolicy: 'Local', healthCheckNodePort: 345,
      ports: [{ name: 'portx', protocol: 'UDP', port: 8677, nodePort: 30063 }],
    }), v4).get('ns/only-local:portx/udp')!;
    assert.equal(sp.healthCheckNodePort, 345);
    assert.equal(sp.externalPolicyLocal, true);
  });

  it('externalTrafficPolicy Local counts only for externally accessible services; healthCheckNodePort only for LoadBalancers', () => {
    const clusterIP = servicePorts(service('c', { externalTrafficPolicy: 'Local', healthCheckNodePort: 9, ports: [{ port: 80 }] }), v4).get('ns/c/tcp')!;
    assert.equal(clusterIP.externalPolicyLocal, false);
    assert.equal(clusterIP.healthCheckNodePort, 0);
    const withExternalIP = servicePorts(service('e', { externalTrafficPolicy: 'Local', externalIPs: ['1.2.3.4'], ports: [{ port: 80 }] }), v4).get('ns/e/tcp')!;
    assert.equal(withExternalIP.externalPolicyLocal, true);
    assert.equal(withExternalIP.healthCheckNodePort, 0);
    const nodePort = servicePorts(service('n', { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 9, ports: [{ port: 80, nodePort: 30080 }] }), v4).get('ns/n/tcp')!;
    assert.equal(nodePort.externalPolicyLocal, true);
    assert.equal(nodePort.healthCheckNodePort, 0);
  });

  it('internalTrafficPolicy Local', () => {
    assert.equal(servicePorts(service('i', { internalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), v4).get('ns/i/tcp')!.internalPolicyLocal, true);
    assert.equal(servicePorts(service('i', { internalTrafficPolicy: 'Cluster', ports: [{ port: 80 }] }), v4).get('ns/i/tcp')!.internalPolicyLocal, false);
  });

  it('skips ExternalName, headless (clusterIP None) and port-less services', () => {
    assert.equal(servicePorts(service('external-name', { type: 'ExternalName', clusterIP: '172.16.55.4', externalName: 'foo2.bar.com', ports: [{ port: 1235 }] }), v4).size, 0);
    assert.equal(servicePorts(service('headless', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'rpc', protocol: 'UDP', port: 1234 }] }), v4).size, 0);
    assert.equal(servicePorts(service('headless-sctp', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ protocol: 'SCTP', port: 7777 }] }), v4).size, 0);
    assert.equal(servicePorts(service('no-ports', {}), v4).size, 0);
    assert.equal(servicePorts(undefined, v4).size, 0);
  });

  it('skips services labelled service-proxy-name (unless it names this proxy) or headless', () => {
    const other = service('s', { ports: [{ port: 80 }] }, { metadata: { labels: { 'service.kubernetes.io/service-proxy-name': 'cilium' } } });
    assert.match(skipReason(other)!, /service-proxy-name=cilium/);
    assert.equal(servicePorts(other, v4).size, 0);
    assert.equal(servicePorts(other, { ...v4, serviceProxyName: 'cilium' }).size, 1);
    assert.equal(servicePorts(other, { ...v4, serviceProxyName: 'dataplane' }).size, 0);
    const headless = service('h', { ports: [{ port: 80 }] }, { metadata: { labels: { 'service.kubernetes.io/headless': '' } } });
    assert.equal(servicePorts(headless, v4).size, 0);
  });

  it('a cluster IP of the wrong family is filtered out (IPv6 service under IPv4 and the reverse)', () => {
    const v6svc = service('v6', { clusterIP: '2001:db8:85a3:0:0:8a2e:370:7334', clusterIPs: ['2001:db8:85a3:0:0:8a2e:370:7334'], ports: [{ port: 12345 }] });
    assert.equal(servicePorts(v6svc, v4).size, 0);
    const m = servicePorts(v6svc, { families: [6] });
    assert.equal(m.get('v6 ns/v6/tcp')!.clusterIP, '2001:db8:85a3::8a2e:370:7334');
    assert.equal(servicePorts(service('v4', { clusterIP: '10.0.0.1', ports: [{ port: 1 }] }), { families: [6] }).size, 0);
  });

  it('IPv4 config under IPv4: external IPs, source ranges and LB IPs of that family only', () => {
    const sp = servicePorts(service('valid', {
      clusterIP: '10.0.0.1', externalIPs: ['8.8.8.8', '2001:db8:85a3::8a2e:370:7335'], loadBalancerSourceRanges: ['0.0.0.0/1', '2001:db8::/32'],
      ports: [{ name: 'testPort', port: 12345 }],
    }, { status: { loadBalancer: { ingress: [{ ip: '8.8.8.8' }, { ip: '2001:db8:85a3::8a2e:370:7335' }] } } }), v4).get('ns/valid:testPort/tcp')!;
    assert.deepEqual(sp.externalIPs, ['8.8.8.8']);
    assert.deepEqual(sp.loadBalancerSourceRanges, ['0.0.0.0/1']);
    assert.deepEqual(sp.loadBalancerVIPs, ['8.8.8.8']);
  });

  it('dual stack: one ServicePort per family, each with its own cluster IP and addresses', () => {
    const m = servicePorts(service('ds', {
      clusterIPs: ['10.96.0.20', 'fd00:96::20'], ipFamilies: ['IPv4', 'IPv6'], externalIPs: ['203.0.113.9', '2001:db8::9'], ports: [{ name: 'http', port: 80 }],
    }), dual);
    assert.deepEqual([...m.keys()].sort(), ['ns/ds:http/tcp', 'v6 ns/ds:http/tcp']);
    assert.equal(m.get('v6 ns/ds:http/tcp')!.clusterIP, 'fd00:96::20');
    assert.deepEqual(m.get('v6 ns/ds:http/tcp')!.externalIPs, ['2001:db8::9']);
    assert.deepEqual(m.get('ns/ds:http/tcp')!.externalIPs, ['203.0.113.9']);
    assert.equal(clusterIPOf(service('x', { clusterIPs: ['fd00::1', '10.0.0.1'] }), 4), '10.0.0.1');
  });

  it('source ranges: whitespace trimmed (validation allows it), network address kept, invalid ones dropped', () => {
    const sp = servicePorts(service('extra-space', { loadBalancerSourceRanges: [' 10.1.2.0/28', '10.9.9.9/8', 'garbage'], ports: [{ port: 1 }] }), v4).get('ns/extra-space/tcp')!;
    assert.deepEqual(sp.loadBalancerSourceRanges, ['10.1.2.0/28', '10.0.0.0/8']);
  });

  it('ClientIP affinity: timeoutSeconds, default 10800; None: 0', () => {
    const sticky = (cfg?: number) => servicePorts(service('a', {
      sessionAffinity: 'ClientIP', ...(cfg !== undefined ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: cfg } } } : {}), ports: [{ port: 1 }],
    }), v4).get('ns/a/tcp')!.stickyMaxAgeSeconds;
    assert.equal(sticky(50), 50);
    assert.equal(sticky(), 10800);
    assert.equal(servicePorts(service('n', { ports: [{ port: 1 }] }), v4).get('ns/n/tcp')!.stickyMaxAgeSeconds, 0);
  });

  it('trafficDistribution: the three known values kept, others ignored', () => {
    const td = (v: string) => servicePorts(service('t', { trafficDistribution: v, ports: [{ port: 1 }] }), v4).get('ns/t/tcp')!.trafficDistribution;
    assert.equal(td('PreferClose'), 'PreferClose');
    assert.equal(td('PreferSameNode'), 'PreferSameNode');
    assert.equal(td('Bogus'), undefined);
  });
});

describe('proxy model: EndpointSlices -> endpoints', () => {
  const ports = [{ name: 'port-0', port: 80 }, { name: 'port-1', port: 443 }];

  it('merges the slices of a service per port, sorted, with conditions and localness', () => {
    const cache = new EndpointSliceCache('host1', [4]);
    cache.updatePending(slice('svc1-1', 'svc1', ports, [
      sliceEndpoint('10.0.1.1', { nodeName: 'host2' }), sliceEndpoint('10.0.1.2', { nodeName: 'host1' }),
    ]), false);
    cache.updatePending(slice('svc1-2', 'svc1', ports, [
      sliceEndpoint('10.0.2.1', { nodeName: 'host2', conditions: { ready: false, serving: true, terminating: true } }),
    ]), false);
    const { current } = cache.checkoutChanges().get('ns/svc1')!;
    const eps = current.get('ns/svc1:port-0/tcp')!;
    assert.deepEqual(eps.map((e) => e.key), ['10.0.1.1:80', '10.0.1.2:80', '10.0.2.1:80']);
    assert.deepEqual(eps.map((e) => e.isLocal), [false, true, false]);
    assert.deepEqual(eps.map((e) => [e.ready, e.serving, e.terminating]), [[true, true, false], [true, true, false], [false, true, true]]);
    assert.deepEqual(current.get('ns/svc1:port-1/tcp')!.map((e) => e.key), ['10.0.1.1:443', '10.0.1.2:443', '10.0.2.1:443']);
  });

  it('missing conditions mean ready and serving; hints become sets', () => {
    const cache = new EndpointSliceCache('n', [4]);
    cache.updatePending(slice('s', 'svc', [{ port: 80 }], [{ addresses: ['10.0.0.1'], hints: { forZones: [{ name: 'zone-a' }], forNodes: [{ name: 'n' }] }, zone: 'zone-a' }]), false);
    const ep = cache.checkoutChanges().get('ns/svc')!.current.get('ns/svc/tcp')![0]!;
    assert.equal(ep.ready, true);
    assert.equal(ep.serving, true);
    assert.equal(ep.terminating, false);
    assert.deepEqual([...ep.zoneHints], ['zone-a']);
    assert.deepEqual([...ep.nodeHints], ['n']);
    assert.equal(ep.zone, 'zone-a');
  });

  it('an address in two slices: the non-terminating one wins (a pod IP reused before the old pod is gone)', () => {
    const cache = new EndpointSliceCache('n', [4]);
    cache.updatePending(slice('a', 'svc', [{ port: 80 }], [sliceEndpoint('10.0.0.1', { conditions: { ready: true } })]), false);
    cache.updatePending(slice('b', 'svc', [{ port: 80 }], [sliceEndpoint('10.0.0.1', { conditions: { ready: false, serving: true, terminating: true } })]), false);
    const ep = cache.checkoutChanges().get('ns/svc')!.current.get('ns/svc/tcp')![0]!;
    assert.equal(ep.terminating, false);
    assert.equal(ep.ready, true);
  });

  it('IPv6 slices key as v6 and [ip]:port; FQDN slices and unserved families are ignored', () => {
    const cache = new EndpointSliceCache('n', [4, 6]);
    assert.equal(cache.updatePending(slice('s6', 'svc', [{ port: 80 }], [sliceEndpoint('fd00::0:1')], { addressType: 'IPv6' }), false), true);
    assert.equal(cache.updatePending(slice('f', 'svc', [{ port: 80 }], [sliceEndpoint('example.com')], { addressType: 'FQDN' }), false), false);
    const ep = cache.checkoutChanges().get('ns/svc')!.current.get('v6 ns/svc/tcp')![0]!;
    assert.equal(ep.key, '[fd00::1]:80');
    const v4only = new EndpointSliceCache('n', [4]);
    assert.equal(v4only.updatePending(slice('s6', 'svc', [{ port: 80 }], [sliceEndpoint('fd00::1')], { addressType: 'IPv6' }), false), false);
  });

  it('ignores slices without the service-name label, ports without a number, endpoints without addresses', () => {
    const cache = new EndpointSliceCache('n', [4]);
    const unlabelled = slice('x', 'svc', [{ port: 80 }], [sliceEndpoint('10.0.0.1')]);
    delete unlabelled.metadata!.labels;
    assert.equal(cache.updatePending(unlabelled, false), false);
    cache.updatePending(slice('s', 'svc', [{ port: 0 }, { name: 'ok', port: 81 }], [{ addresses: [] }, sliceEndpoint('10.0.0.2')]), false);
    const current = cache.checkoutChanges().get('ns/svc')!.current;
    assert.deepEqual([...current.keys()], ['ns/svc:ok/tcp']);
    assert.deepEqual(current.get('ns/svc:ok/tcp')!.map((e) => e.key), ['10.0.0.2:81']);
  });
});

describe('proxy model: Node -> NodeInfo', () => {
  it('primary IPs: the first InternalIP per family, else ExternalIP; --bind-address overrides', () => {
    const n = k8sNode('a', { addresses: [{ type: 'Hostname', address: 'a' }, { type: 'ExternalIP', address: '203.0.113.1' }, { type: 'InternalIP', address: '192.168.0.2' },
      { type: 'ExternalIP', address: '2001:db8::1' }, { type: 'InternalIP', address: '192.168.0.3' }] });
    assert.deepEqual(nodeInfo('a', n).primaryIPs, { 4: '192.168.0.2', 6: '2001:db8::1' });
    assert.deepEqual(nodeInfo('a', n, ['10.9.9.9']).primaryIPs, { 4: '10.9.9.9', 6: '2001:db8::1' });
    assert.deepEqual(nodeInfo('a', undefined).primaryIPs, {});
  });

  it('labels and deletion', () => {
    const n = k8sNode('a', { labels: { 'topology.kubernetes.io/zone': 'z1' }, deleting: true });
    const info = nodeInfo('a', n);
    assert.deepEqual(info.labels, { 'topology.kubernetes.io/zone': 'z1' });
    assert.equal(info.deleting, true);
  });

  it('eligible unless deleted or tainted ToBeDeletedByClusterAutoscaler', () => {
    assert.equal(nodeEligible(k8sNode('a')), true);
    assert.equal(nodeEligible(k8sNode('a', { deleting: true })), false);
    assert.equal(nodeEligible(k8sNode('a', { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] })), false);
    assert.equal(nodeEligible(k8sNode('a', { taints: [{ key: 'other' }] })), true);
  });

  it('a label or primary IP change needs a full sync; nothing else does', () => {
    const a = nodeInfo('a', k8sNode('a', { labels: { x: '1' } }));
    assert.equal(nodeNeedsFullSync(a, nodeInfo('a', k8sNode('a', { labels: { x: '1' } }))), false);
    assert.equal(nodeNeedsFullSync(a, nodeInfo('a', k8sNode('a', { labels: { x: '2' } }))), true);
    assert.equal(nodeNeedsFullSync(a, nodeInfo('a', k8sNode('a', { labels: { x: '1' }, addresses: [{ type: 'InternalIP', address: '192.168.0.9' }] }))), true);
  });

  it('pod CIDRs, canonical', () => {
    assert.deepEqual(podCIDRs(k8sNode('a', { podCIDRs: ['10.244.1.7/24', 'fd00:244:1::/64'] })), ['10.244.1.0/24', 'fd00:244:1::/64']);
    assert.deepEqual(podCIDRs(undefined), []);
  });

  it('CIDR helpers', () => {
    assert.equal(canonicalCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
    assert.equal(canonicalCidr('fd00::1:2/112')?.text, 'fd00::1:0/112');
    assert.equal(canonicalCidr('10.1.2.3')?.text, '10.1.2.3/32');
    assert.equal(canonicalCidr('nope'), undefined);
    assert.equal(cidrContains('10.0.0.0/8', '10.200.1.1'), true);
    assert.equal(cidrContains('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(cidrContains('::/0', '10.0.0.1'), false);
  });
});
