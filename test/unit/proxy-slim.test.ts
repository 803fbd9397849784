// What the informers keep of each object (src/proxy/watch/slim.ts): the
// model must come out the same from the slim object as from the whole one
// (Services of every kind, slices with conditions, hints, zones and trigger
// times, Nodes), and the rest must be gone.
import assert from 'node:assert/strict';

import { EndpointSliceCache } from '../../src/proxy/model/endpointslices.js';
import type { EndpointSlice, Service } from '../../src/proxy/model/k8s.js';
import { nodeInfo, nodeEligible, podCIDRs } from '../../src/proxy/model/node.js';
import { servicePorts } from '../../src/proxy/model/service.js';
import { interner, sliceStub, slimEndpointSlice, slimNode, slimService } from '../../src/proxy/watch/slim.js';
import { k8sNode, service, slice, sliceEndpoint } from '../fixtures/proxy/model.js';

// What the API server adds that the proxy never reads.
const noise = { uid: '6b1c1a3e-5f6e-4c0e-9a57-7d0f1f0e2a11', creationTimestamp: '2026-12-01T00:00:00Z', generation: 3,
  managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:ports': {} } } }], ownerReferences: [{ kind: 'Service', name: 'x', uid: 'u' }] };
const withNoise = <T extends { metadata?: object }>(o: T): T => ({ ...o, metadata: { ...o.metadata, ...noise } });

const SERVICES: Service[] = [
  service('plain', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
  service('sticky', { ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } }),
  service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }], externalIPs: ['192.0.2.7'] }),
  service('lb', { type: 'LoadBalancer', ports: [{ port: 443, nodePort: 30443 }], loadBalancerSourceRanges: ['203.0.113.0/24', '198.51.100.0/24'],
    externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, internalTrafficPolicy: 'Local', trafficDistribution: 'PreferClose' },
  { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { ip: '192.0.2.11', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } } }),
  service('dual', { ports: [{ port: 80 }], clusterIPs: ['10.96.0.20', 'fd00:96::20'], ipFamilies: ['IPv4', 'IPv6'] }),
  service('ext', { type: 'ExternalName', externalName: 'db.example', ports: [{ port: 5432 }] }),
  service('other', { ports: [{ port: 80 }] }, { metadata: { labels: { 'service.kubernetes.io/service-proxy-name': 'someone-else' } } }),
];

describe('proxy: what the informers keep of each object', () => {
  it('Services: the same ServicePorts from the slim object as from the whole one, for every kind', () => {
    const intern = interner();
    for (const family of [4, 6] as const) {
      for (const svc of SERVICES) {
        const slim = slimService(withNoise(svc) as any, intern);
        assert.deepEqual(servicePorts(slim, { families: [family], serviceProxyName: '' }), servicePorts(svc, { families: [family], serviceProxyName: '' }),
          `${svc.metadata!.name} (IPv${family})`);
      }
    }
  });

  it('drops what the proxy does not read (uid, managedFields, owners, timestamps, other annotations)', () => {
    const slim = slimService({ ...withNoise(SERVICES[0]!), metadata: { ...withNoise(SERVICES[0]!).metadata, annotations: { big: 'x'.repeat(1000) } } } as any, interner());
    const text = JSON.stringify(slim);
    for (const gone of ['uid', 'managedFields', 'ownerReferences', 'creationTimestamp', 'generation', 'big']) assert.ok(!text.includes(gone), gone);
    assert.equal(slim.metadata?.name, 'plain');
    assert.equal(slim.metadata?.resourceVersion, '1');
  });

  it('EndpointSlices: the same endpoints (conditions, hints, node, zone) and trigger time; the stub keeps no endpoints', () => {
    const eps = [
      sliceEndpoint('10.1.0.1', { nodeName: 'node-a', zone: 'z1', hints: { forZones: [{ name: 'z1' }], forNodes: [{ name: 'node-a' }] } }),
      sliceEndpoint('10.1.0.2', { conditions: { ready: false, serving: true, terminating: true }, nodeName: 'node-b', zone: 'z2' }),
      sliceEndpoint('10.1.0.3', { conditions: { ready: null, serving: null, terminating: null } }),
      { addresses: ['10.1.0.4'] },
    ];
    const trigger = '2026-12-05T00:00:00Z';
    const whole = withNoise(slice('web-abc', 'web', [{ name: 'http', port: 8080 }, { name: 'm', port: 9090, protocol: 'UDP' }], eps,
      { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger, 'endpoints.kubernetes.io/other': 'x' } }));
    const slim = slimEndpointSlice(whole as any, interner());
    const endpointsOf = (s: EndpointSlice) => {
      const cache = new EndpointSliceCache('node-a', [4]);
      cache.updatePending(s, false);
      return cache.checkoutChanges().get('ns/web')!.current;
    };
    assert.deepEqual(endpointsOf(slim), endpointsOf(whole));
    assert.equal(endpointsOf(slim).size, 2);
    assert.deepEqual(slim.metadata?.annotations, { 'endpoints.kubernetes.io/last-change-trigger-time': trigger });
    const stub = sliceStub(slim);
    assert.equal(stub.endpoints, undefined);
    assert.deepEqual(stub.metadata, { name: slim.metadata!.name, namespace: 'ns', resourceVersion: slim.metadata!.resourceVersion,
      labels: { 'kubernetes.io/service-name': 'web' }, annotations: undefined, deletionTimestamp: undefined });
    // The stub is enough to delete the slice.
    const cache = new EndpointSliceCache('node-a', [4]);
    cache.updatePending(slim, false);
    cache.checkoutChanges();
    assert.equal(cache.updatePending(stub, true), true);
    assert.equal(cache.checkoutChanges().get('ns/web')!.current.size, 0);
  });

  it('Nodes: the same NodeInfo, pod CIDRs and eligibility', () => {
    const nodes = [
      k8sNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z1' }, addresses: [{ type: 'InternalIP', address: '192.168.0.2' },
        { type: 'InternalIP', address: 'fd00::2' }, { type: 'Hostname', address: 'node-a' }], podCIDRs: ['10.244.1.0/24'] }),
      k8sNode('node-b', { deleting: true, taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] }),
    ];
    for (const n of nodes) {
      const slim = slimNode(withNoise(n) as any, interner());
      assert.deepEqual(nodeInfo(n.metadata!.name!, slim), nodeInfo(n.metadata!.name!, n));
      assert.deepEqual(podCIDRs(slim), podCIDRs(n));
      assert.equal(nodeEligible(slim), nodeEligible(n));
    }
  });
});
