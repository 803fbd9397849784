// Change trackers, with the facts of kube-proxy's servicechangetracker_test.go
// (TestBuildServiceMapAddRemove, TestBuildServiceMapServiceUpdate,
// TestServiceCacheLeaks) and endpointschangetracker_test.go
// (TestEndpointSliceUpdate, TestLastChangeTriggerTime), plus the changed
// service-port keys a partial sync is built from.
import assert from 'node:assert/strict';

import type { EndpointsMap } from '../../src/proxy/model/endpointslices.js';
import type { EndpointSlice, Service } from '../../src/proxy/model/k8s.js';
import { EndpointsChangeTracker, ServiceChangeTracker } from '../../src/proxy/model/trackers.js';
import type { ServicePort } from '../../src/proxy/model/types.js';
import { service, slice, sliceEndpoint } from '../fixtures/proxy/model.js';

const tracker = () => new ServiceChangeTracker({ families: [4] });
const hcPorts = (m: Map<string, ServicePort>) => new Map([...m.values()].filter((s) => s.healthCheckNodePort !== 0).map((s) => [`${s.namespace}/${s.name}`, s.healthCheckNodePort]));

describe('proxy: ServiceChangeTracker', () => {
  const services: Service[] = [
    service('cluster-ip', { clusterIP: '172.16.55.4', ports: [{ name: 'port1', protocol: 'UDP', port: 1234 }, { name: 'port2', protocol: 'UDP', port: 1235 }] }, { metadata: { namespace: 'ns2' } }),
    service('node-port', { type: 'NodePort', clusterIP: '172.16.55.10', ports: [{ name: 'port1', protocol: 'UDP', port: 345, nodePort: 678 }, { name: 'port2', protocol: 'TCP', port: 344, nodePort: 677 }] }, { metadata: { namespace: 'ns2' } }),
    service('load-balancer', { type: 'LoadBalancer', clusterIP: '172.16.55.11', ports: [{ name: 'foobar', protocol: 'UDP', port: 8675, nodePort: 30061 }, { name: 'baz', protocol: 'UDP', port: 8676, nodePort: 30062 }] },
      { metadata: { namespace: 'ns1' }, status: { loadBalancer: { ingress: [{ ip: '10.1.2.4' }] } } }),
    service('only-local-load-balancer', { type: 'LoadBalancer', clusterIP: '172.16.55.12', externalTrafficPolicy: 'Local', healthCheckNodePort: 345,
      ports: [{ name: 'foobar2', protocol: 'UDP', port: 8677, nodePort: 30063 }, { name: 'baz', protocol: 'UDP', port: 8678, nodePort: 30064 }] },
    { metadata: { namespace: 'ns1' }, status: { loadBalancer: { ingress: [{ ip: '10.1.2.3' }] } } }),
  ];

  it('adds and removes services (TestBuildServiceMapAddRemove)', () => {
    const t = tracker();
    const map = new Map<string, ServicePort>();
    for (const s of services) t.update(undefined, s);
    let r = t.applyTo(map);
    assert.equal(map.size, 8);
    assert.deepEqual([...r.services].sort(), ['ns1/load-balancer', 'ns1/only-local-load-balancer', 'ns2/cluster-ip', 'ns2/node-port']);
    assert.equal(r.changed.size, 8);
    assert.deepEqual(hcPorts(map), new Map([['ns1/only-local-load-balancer', 345]]));

    const oneService = service('cluster-ip', { clusterIP: '172.16.55.4', ports: [{ name: 'p2', protocol: 'UDP', port: 1235 }] }, { metadata: { namespace: 'ns2' } });
    t.update(services[0], oneService);
    t.update(services[1], undefined);
    t.update(services[2], undefined);
    t.update(services[3], undefined);
    r = t.applyTo(map);
    assert.deepEqual([...map.keys()], ['ns2/cluster-ip:p2/udp']);
    assert.equal(r.services.size, 4);
    // port1 and port2 of cluster-ip went, p2 came: all three keys changed, plus the 6 deleted ones.
    assert.equal(r.changed.size, 9);
    assert.deepEqual(hcPorts(map), new Map());
  });

  it('a service changing type, and an update without change (TestBuildServiceMapServiceUpdate)', () => {
    const v1 = service('svc1', { clusterIP: '172.16.55.4', ports: [{ name: 'p1', protocol: 'UDP', port: 1234, nodePort: 4321 }, { name: 'p2', protocol: 'TCP', port: 1235, nodePort: 5321 }] }, { metadata: { namespace: 'ns1' } });
    const v2 = service('svc1', { type: 'LoadBalancer', clusterIP: '172.16.55.4', externalTrafficPolicy: 'Local', healthCheckNodePort: 345,
      ports: [{ name: 'p1', protocol: 'UDP', port: 1234, nodePort: 4321 }, { name: 'p2', protocol: 'TCP', port: 1235, nodePort: 5321 }] },
    { metadata: { namespace: 'ns1' }, status: { loadBalancer: { ingress: [{ ip: '10.1.2.3' }] } } });
    const t = tracker();
    const map = new Map<string, ServicePort>();
    t.update(undefined, v1);
    assert.equal(t.applyTo(map).services.size, 1);
    assert.equal(map.size, 2);
    assert.equal(hcPorts(map).size, 0);
    t.update(v1, v2);
    assert.equal(t.applyTo(map).services.size, 1);
    assert.equal(hcPorts(map).size, 1);
    assert.equal(t.update(v2, v2), false, 'no change: nothing pending');
    const none = t.applyTo(map);
    assert.equal(none.services.size, 0);
    assert.equal(none.changed.size, 0);
    assert.equal(hcPorts(map).size, 1);
    t.update(v2, v1);
    assert.equal(t.applyTo(map).services.size, 1);
    assert.equal(hcPorts(map).size, 0);
  });

  it('an add then a delete before a sync leaves nothing pending (TestServiceCacheLeaks)', () => {
    const t = tracker();
    const s = service('svc1', { ports: [{ port: 1 }] });
    assert.equal(t.update(undefined, s), true);
    assert.equal(t.pending, 1);
    assert.equal(t.update(s, undefined), false);
    assert.equal(t.pending, 0);
  });

  it('headless and ExternalName services never reach the map (TestServiceMapUpdateHeadless)', () => {
    const t = tracker();
    t.update(undefined, service('headless', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ protocol: 'UDP', port: 1234 }] }));
    t.update(undefined, service('ext', { type: 'ExternalName', clusterIP: '172.16.55.4', ports: [{ port: 1235 }] }));
    const map = new Map<string, ServicePort>();
    const r = t.applyTo(map);
    assert.equal(map.size, 0);
    assert.equal(r.services.size, 0);
  });

  it('reports only the keys whose ServicePort changed', () => {
    const t = tracker();
    const map = new Map<string, ServicePort>();
    const a = service('a', { ports: [{ name: 'x', port: 1 }, { name: 'y', port: 2 }] });
    t.update(undefined, a);
    t.applyTo(map);
    const b = service('a', { ports: [{ name: 'x', port: 1 }, { name: 'y', port: 3 }] });
    t.update(a, b);
    assert.deepEqual([...t.applyTo(map).changed], ['ns/a:y/tcp']);
  });
});

const ports = [{ name: 'port-0', port: 80 }, { name: 'port-1', port: 443 }];
/** kube-proxy's generateEndpointSlice shape: n endpoints 10.0.<id>.<i>, node names cycling over `hosts`. */
function gen(id: number, n: number, hosts: string[], unreadyEvery = 999): EndpointSlice {
  return slice(`svc1-${id}`, 'svc1', ports, Array.from({ length: n }, (_, i) => sliceEndpoint(`10.0.${id}.${i + 1}`, {
    nodeName: hosts[i % hosts.length]!, conditions: { ready: (i + 1) % unreadyEvery !== 0, serving: (i + 1) % unreadyEvery !== 0, terminating: false },
  })), { namespace: 'ns1' });
}

function started(slices: EndpointSlice[], now = 0): { t: EndpointsChangeTracker; map: EndpointsMap } {
  const t = new EndpointsChangeTracker('host1', [4], () => now);
  const map: EndpointsMap = new Map();
  for (const s of slices) t.endpointSliceUpdate(s, false);
  t.applyTo(map);
  return { t, map };
}

const keysOf = (map: EndpointsMap, port: string) => (map.get(`ns1/svc1:${port}/tcp`) ?? []).map((e) => `${e.key}${e.isLocal ? ' local' : ''}${e.ready ? '' : ' unready'}`);

describe('proxy: EndpointsChangeTracker (TestEndpointSliceUpdate)', () => {
  it('adds a slice that did not exist', () => {
    const { map } = started([gen(1, 3, ['host1', 'host2'])]);
    assert.deepEqual(keysOf(map, 'port-0'), ['10.0.1.1:80 local', '10.0.1.2:80', '10.0.1.3:80 local']);
    assert.deepEqual(keysOf(map, 'port-1'), ['10.0.1.1:443 local', '10.0.1.2:443', '10.0.1.3:443 local']);
  });

  it('the same slice again is no change', () => {
    const { t } = started([gen(1, 3, ['host1', 'host2'])]);
    assert.equal(t.endpointSliceUpdate(gen(1, 3, ['host1', 'host2']), false), false);
    assert.equal(t.pending, 0);
  });

  it('an FQDN slice is ignored', () => {
    const { t } = started([gen(1, 3, ['host1'])]);
    const fqdn = gen(2, 5, ['host1']);
    fqdn.addressType = 'FQDN';
    assert.equal(t.endpointSliceUpdate(fqdn, false), false);
  });

  it('a slice overlapping the existing state: merged, the changed keys reported', () => {
    const { t, map } = started([gen(1, 3, ['host1', 'host2']), gen(2, 2, ['host1', 'host2'])]);
    assert.equal(t.endpointSliceUpdate(gen(1, 5, ['host1']), false), true);
    const r = t.applyTo(map);
    assert.deepEqual(keysOf(map, 'port-0'), ['10.0.1.1:80 local', '10.0.1.2:80 local', '10.0.1.3:80 local', '10.0.1.4:80 local', '10.0.1.5:80 local',
      '10.0.2.1:80 local', '10.0.2.2:80']);
    assert.deepEqual([...r.changed].sort(), ['ns1/svc1:port-0/tcp', 'ns1/svc1:port-1/tcp']);
    assert.deepEqual([...r.services], ['ns1/svc1']);
  });

  it('removing a slice leaves the other slices\' endpoints', () => {
    const { t, map } = started([gen(1, 3, ['host1', 'host2']), gen(2, 2, ['host1', 'host2'])]);
    assert.equal(t.endpointSliceUpdate(gen(1, 5, ['host1']), true), true);
    t.applyTo(map);
    assert.deepEqual(keysOf(map, 'port-0'), ['10.0.2.1:80 local', '10.0.2.2:80']);
  });

  it('removing a slice that does not exist is a no-op', () => {
    const { t } = started([gen(1, 5, ['host1']), gen(2, 2, ['host1'])]);
    assert.equal(t.endpointSliceUpdate(gen(3, 5, ['host1']), true), false);
  });

  it('every endpoint becoming unready is a change', () => {
    const { t, map } = started([gen(1, 3, ['host1', 'host2'])]);
    assert.equal(t.endpointSliceUpdate(gen(1, 3, ['host1'], 1), false), true);
    t.applyTo(map);
    assert.deepEqual(keysOf(map, 'port-0'), ['10.0.1.1:80 local unready', '10.0.1.2:80 local unready', '10.0.1.3:80 local unready']);
  });

  it('the last slice of a service removed: its keys are changed and gone', () => {
    const { t, map } = started([gen(1, 2, ['host1'])]);
    t.endpointSliceUpdate(gen(1, 2, ['host1']), true);
    const r = t.applyTo(map);
    assert.equal(map.size, 0);
    assert.deepEqual([...r.changed].sort(), ['ns1/svc1:port-0/tcp', 'ns1/svc1:port-1/tcp']);
  });

  it('an endpoint moving between slices is never dropped', () => {
    const a = slice('a', 'svc1', [{ port: 80 }], [sliceEndpoint('10.0.0.1'), sliceEndpoint('10.0.0.2')], { namespace: 'ns1' });
    const { t, map } = started([a]);
    // The controller adds it to b before removing it from a: both updates arrive before a sync.
    t.endpointSliceUpdate(slice('b', 'svc1', [{ port: 80 }], [sliceEndpoint('10.0.0.2')], { namespace: 'ns1' }), false);
    t.endpointSliceUpdate(slice('a', 'svc1', [{ port: 80 }], [sliceEndpoint('10.0.0.1')], { namespace: 'ns1' }), false);
    const r = t.applyTo(map);
    assert.deepEqual((map.get('ns1/svc1/tcp') ?? []).map((e) => e.key), ['10.0.0.1:80', '10.0.0.2:80']);
    assert.equal(r.changed.size, 0, 'same endpoints: the key did not change');
  });
});

describe('proxy: last-change-trigger-time (TestLastChangeTriggerTime)', () => {
  const start = Date.parse('2018-01-01T00:00:00Z');
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const sl = (name: string, s: number, port = 11) => slice(name, name, [{ name: 'p11', port }], [sliceEndpoint('1.1.1.1')],
    { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': at(s) } });
  const times = (fn: (t: EndpointsChangeTracker) => void) => {
    const t = new EndpointsChangeTracker('host', [4], () => start);
    fn(t);
    const out: Record<string, number[]> = {};
    for (const [k, v] of t.applyTo(new Map()).triggerTimes) out[k] = v.map((x) => (x.at - start) / 1000);
    return out;
  };

  it('one add', () => assert.deepEqual(times((t) => t.endpointSliceUpdate(sl('ep1', 1), false)), { 'ns/ep1': [1] }));
  it('add then update', () => assert.deepEqual(times((t) => { t.endpointSliceUpdate(sl('ep1', 1), false); t.endpointSliceUpdate(sl('ep1', 2, 12), false); }), { 'ns/ep1': [1, 2] }));
  it('two slices, one modified', () => assert.deepEqual(times((t) => {
    t.endpointSliceUpdate(sl('ep1', 2), false);
    t.endpointSliceUpdate(sl('ep2', 3), false);
    t.endpointSliceUpdate(sl('ep1', 4, 12), false);
  }), { 'ns/ep1': [2, 4], 'ns/ep2': [3] }));
  it('no annotation', () => {
    const s = sl('ep1', 1);
    delete s.metadata!.annotations;
    assert.deepEqual(times((t) => t.endpointSliceUpdate(s, false)), {});
  });
  it('changed before the tracker started: not measured', () => assert.deepEqual(times((t) => t.endpointSliceUpdate(sl('ep1', -1), false)), {}));
  it('add then delete', () => assert.deepEqual(times((t) => { t.endpointSliceUpdate(sl('ep1', 1), false); t.endpointSliceUpdate(sl('ep1', 1), true); }), {}));
  it('add, delete, add again', () => assert.deepEqual(times((t) => {
    t.endpointSliceUpdate(sl('ep1', 1), false);
    t.endpointSliceUpdate(sl('ep1', 1), true);
    t.endpointSliceUpdate(sl('ep1', 2, 12), false);
  }), { 'ns/ep1': [2] }));
  it('delete of an unknown slice', () => assert.deepEqual(times((t) => t.endpointSliceUpdate(sl('ep1', 1), true)), {}));
});
