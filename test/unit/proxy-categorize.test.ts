// Endpoint choice (categorizeEndpoints) against the cases of kube-proxy's
// pkg/proxy/topology_test.go TestCategorizeEndpoints (the facts, restated),
// plus the same-node hints of trafficDistribution PreferSameNode.
import assert from 'node:assert/strict';

import { categorizeEndpoints, ZONE_LABEL } from '../../src/proxy/model/categorize.js';
import type { Endpoint, ServicePort } from '../../src/proxy/model/types.js';
import { endpoint as ep, node, servicePort } from '../fixtures/proxy/model.js';

interface Case {
  name: string;
  labels?: Record<string, string>;
  svc: Partial<ServicePort>;
  endpoints: Endpoint[];
  /** undefined: the service does not use this kind of endpoints (the result is empty). */
  cluster?: string[];
  local?: string[];
  all?: string[];
  onlyRemote?: boolean;
}

const zoneA = { [ZONE_LABEL]: 'zone-a' };
const np = { nodePort: 8080 };

const cases: Case[] = [
  {
    name: 'topology used: every endpoint has hints, the node has a zone and the zone has endpoints', labels: zoneA, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] }), ep('10.1.2.4:80', { zoneHints: ['zone-b'] }), ep('10.1.2.5:80', { zoneHints: ['zone-c'] }), ep('10.1.2.6:80', { zoneHints: ['zone-a'] })],
    cluster: ['10.1.2.3:80', '10.1.2.6:80'],
  },
  {
    name: 'externalTrafficPolicy Local: topology ignored for Local endpoints', labels: zoneA, svc: { externalPolicyLocal: true, ...np },
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'], isLocal: true }), ep('10.1.2.4:80', { zoneHints: ['zone-b'], isLocal: true }),
      ep('10.1.2.5:80', { zoneHints: ['zone-c'] }), ep('10.1.2.6:80', { zoneHints: ['zone-a'] })],
    cluster: ['10.1.2.3:80', '10.1.2.6:80'], local: ['10.1.2.3:80', '10.1.2.4:80'], all: ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.6:80'],
  },
  {
    name: 'internalTrafficPolicy Local: topology ignored for Local endpoints', labels: zoneA, svc: { internalPolicyLocal: true, ...np },
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'], isLocal: true }), ep('10.1.2.4:80', { zoneHints: ['zone-b'], isLocal: true }),
      ep('10.1.2.5:80', { zoneHints: ['zone-c'] }), ep('10.1.2.6:80', { zoneHints: ['zone-a'] })],
    cluster: ['10.1.2.3:80', '10.1.2.6:80'], local: ['10.1.2.3:80', '10.1.2.4:80'], all: ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.6:80'],
  },
  { name: 'empty node labels', labels: {}, svc: {}, endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] })], cluster: ['10.1.2.3:80'] },
  { name: 'empty zone label', labels: { [ZONE_LABEL]: '' }, svc: {}, endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] })], cluster: ['10.1.2.3:80'] },
  {
    name: 'node in a different zone: no filtering', labels: { [ZONE_LABEL]: 'zone-b' }, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] })], cluster: ['10.1.2.3:80'],
  },
  {
    name: 'unready endpoint', labels: zoneA, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] }), ep('10.1.2.4:80', { zoneHints: ['zone-b'] }), ep('10.1.2.5:80', { zoneHints: ['zone-c'] }),
      ep('10.1.2.6:80', { zoneHints: ['zone-a'], ready: false })],
    cluster: ['10.1.2.3:80'],
  },
  {
    name: 'only unready endpoints in the same zone: no filtering', labels: zoneA, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'], ready: false }), ep('10.1.2.4:80', { zoneHints: ['zone-b'] }), ep('10.1.2.5:80', { zoneHints: ['zone-c'] }),
      ep('10.1.2.6:80', { zoneHints: ['zone-a'], ready: false })],
    cluster: ['10.1.2.4:80', '10.1.2.5:80'],
  },
  {
    name: 'an endpoint without hints: no filtering', labels: zoneA, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a'] }), ep('10.1.2.4:80', { zoneHints: ['zone-b'] }), ep('10.1.2.5:80'), ep('10.1.2.6:80', { zoneHints: ['zone-a'] })],
    cluster: ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.5:80', '10.1.2.6:80'],
  },
  {
    name: 'several hints per endpoint: any endpoint hinted for the zone', labels: { [ZONE_LABEL]: 'zone-c' }, svc: {},
    endpoints: [ep('10.1.2.3:80', { zoneHints: ['zone-a', 'zone-b', 'zone-c'] }), ep('10.1.2.4:80', { zoneHints: ['zone-b', 'zone-c'] }),
      ep('10.1.2.5:80', { zoneHints: ['zone-b', 'zone-d'] }), ep('10.1.2.6:80', { zoneHints: ['zone-c'] })],
    cluster: ['10.1.2.3:80', '10.1.2.4:80', '10.1.2.6:80'],
  },
  {
    name: 'conflicting topology and localness: allEndpoints is the union', labels: zoneA, svc: { externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80', { zoneHints: ['zone-a'], isLocal: true }), ep('10.0.0.1:80', { zoneHints: ['zone-b'], isLocal: true }),
      ep('10.0.0.2:80', { zoneHints: ['zone-a'] }), ep('10.0.0.3:80', { zoneHints: ['zone-b'] })],
    cluster: ['10.0.0.0:80', '10.0.0.2:80'], local: ['10.0.0.0:80', '10.0.0.1:80'], all: ['10.0.0.0:80', '10.0.0.1:80', '10.0.0.2:80'],
  },
  { name: 'internalTrafficPolicy Local, no endpoints', svc: { internalPolicyLocal: true }, endpoints: [], local: [] },
  {
    name: 'internalTrafficPolicy Local, every endpoint remote', svc: { internalPolicyLocal: true },
    endpoints: [ep('10.0.0.0:80'), ep('10.0.0.1:80')], local: [], onlyRemote: true,
  },
  {
    name: 'internalTrafficPolicy Local, every endpoint local', svc: { internalPolicyLocal: true },
    endpoints: [ep('10.0.0.0:80', { isLocal: true }), ep('10.0.0.1:80', { isLocal: true })], local: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'internalTrafficPolicy Local, some endpoints local', svc: { internalPolicyLocal: true },
    endpoints: [ep('10.0.0.0:80', { isLocal: true }), ep('10.0.0.1:80')], local: ['10.0.0.0:80'],
  },
  { name: 'Cluster policy, no endpoint ready', svc: {}, endpoints: [ep('10.0.0.0:80', { ready: false }), ep('10.0.0.1:80', { ready: false })], cluster: [] },
  { name: 'Cluster policy, some endpoints ready', svc: {}, endpoints: [ep('10.0.0.0:80', { ready: false }), ep('10.0.0.1:80')], cluster: ['10.0.0.1:80'] },
  {
    name: 'Cluster policy, every endpoint terminating (serving): they are used', svc: {},
    endpoints: [ep('10.0.0.0:80', { ready: false, serving: true, terminating: true, isLocal: true }), ep('10.0.0.1:80', { ready: false, serving: true, terminating: true })],
    cluster: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'iTP Local, eTP Cluster, some endpoints local', svc: { internalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80', { isLocal: true }), ep('10.0.0.1:80')],
    cluster: ['10.0.0.0:80', '10.0.0.1:80'], local: ['10.0.0.0:80'], all: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'iTP Cluster, eTP Local, some endpoints local', svc: { externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80', { isLocal: true }), ep('10.0.0.1:80')],
    cluster: ['10.0.0.0:80', '10.0.0.1:80'], local: ['10.0.0.0:80'], all: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'iTP Local, eTP Local, some endpoints local', svc: { internalPolicyLocal: true, externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80', { isLocal: true }), ep('10.0.0.1:80')],
    cluster: ['10.0.0.0:80', '10.0.0.1:80'], local: ['10.0.0.0:80'], all: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'iTP Local, eTP Local, every endpoint remote', svc: { internalPolicyLocal: true, externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80'), ep('10.0.0.1:80')], cluster: ['10.0.0.0:80', '10.0.0.1:80'], local: [], all: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'iTP Local, eTP Local, every endpoint remote and terminating', svc: { internalPolicyLocal: true, externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80', { ready: false, serving: true, terminating: true }), ep('10.0.0.1:80', { ready: false, serving: true, terminating: true })],
    cluster: ['10.0.0.0:80', '10.0.0.1:80'], local: [], all: ['10.0.0.0:80', '10.0.0.1:80'], onlyRemote: true,
  },
  {
    name: 'iTP Cluster, eTP Local, terminating endpoints: a local serving-terminating one stands in for Local', svc: { externalPolicyLocal: true, ...np },
    endpoints: [ep('10.0.0.0:80'), ep('10.0.0.1:80', { ready: false, serving: false, isLocal: true }),
      ep('10.0.0.2:80', { ready: false, serving: true, terminating: true, isLocal: true }), ep('10.0.0.3:80', { ready: false, serving: true, terminating: true })],
    cluster: ['10.0.0.0:80'], local: ['10.0.0.2:80'], all: ['10.0.0.0:80', '10.0.0.2:80'],
  },
  {
    name: 'externalTrafficPolicy ignored when not externally accessible', svc: { externalPolicyLocal: true },
    endpoints: [ep('10.0.0.0:80'), ep('10.0.0.1:80', { isLocal: true })], cluster: ['10.0.0.0:80', '10.0.0.1:80'],
  },
  {
    name: 'no cluster endpoints for an iTP Local internal-only service', svc: { internalPolicyLocal: true },
    endpoints: [ep('10.0.0.0:80'), ep('10.0.0.1:80', { isLocal: true })], local: ['10.0.0.1:80'],
  },
  // trafficDistribution PreferSameNode: node hints win over zone hints when every ready endpoint has one.
  {
    name: 'same-node hints: endpoints hinted for this node', labels: zoneA, svc: {},
    endpoints: [ep('10.0.0.1:80', { zoneHints: ['zone-a'], nodeHints: ['node-a'] }), ep('10.0.0.2:80', { zoneHints: ['zone-a'], nodeHints: ['node-b'] }),
      ep('10.0.0.3:80', { zoneHints: ['zone-b'], nodeHints: ['node-c'] })],
    cluster: ['10.0.0.1:80'],
  },
  {
    name: 'same-node hints, none for this node: zone hints apply', labels: zoneA, svc: {},
    endpoints: [ep('10.0.0.1:80', { zoneHints: ['zone-a'], nodeHints: ['node-x'] }), ep('10.0.0.2:80', { zoneHints: ['zone-a'], nodeHints: ['node-b'] }),
      ep('10.0.0.3:80', { zoneHints: ['zone-b'], nodeHints: ['node-c'] })],
    cluster: ['10.0.0.1:80', '10.0.0.2:80'],
  },
  {
    name: 'same-node hints missing on one endpoint: zone hints apply', labels: zoneA, svc: {},
    endpoints: [ep('10.0.0.1:80', { zoneHints: ['zone-a'], nodeHints: ['node-a'] }), ep('10.0.0.2:80', { zoneHints: ['zone-a'] }),
      ep('10.0.0.3:80', { zoneHints: ['zone-b'], nodeHints: ['node-c'] })],
    cluster: ['10.0.0.1:80', '10.0.0.2:80'],
  },
];

const keys = (list: readonly Endpoint[]): string[] => list.map((e) => e.key).sort();

describe('proxy: categorizeEndpoints (kube-proxy topology_test.go)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = categorizeEndpoints(c.endpoints, servicePort(c.svc), node(c.labels ?? {}));
      assert.deepEqual(keys(r.clusterEndpoints), (c.cluster ?? []).slice().sort(), 'cluster endpoints');
      assert.deepEqual(keys(r.localEndpoints), (c.local ?? []).slice().sort(), 'local endpoints');
      const all = c.all ?? (c.cluster !== undefined && c.local === undefined ? c.cluster : c.local ?? c.cluster ?? []);
      assert.deepEqual(keys(r.allReachableEndpoints), all.slice().sort(), 'all endpoints');
      assert.equal(r.hasAnyEndpoints, all.length > 0 || c.onlyRemote === true, 'hasAnyEndpoints');
    });
  }

  it('reports the topology mode it applied', () => {
    const zoned = [ep('10.0.0.1:80', { zoneHints: ['zone-a'] }), ep('10.0.0.2:80', { zoneHints: ['zone-b'] })];
    assert.equal(categorizeEndpoints(zoned, servicePort(), node(zoneA)).topologyMode, 'PreferSameZone');
    assert.equal(categorizeEndpoints(zoned, servicePort(), node({})).topologyMode, '');
    const noded = [ep('10.0.0.1:80', { nodeHints: ['node-a'] })];
    assert.equal(categorizeEndpoints(noded, servicePort(), node({})).topologyMode, 'PreferSameNode');
  });
});
