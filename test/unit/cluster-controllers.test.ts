// The control loops of the test cluster: EndpointSlices (ready, terminating,
// named ports, address families, 100 per slice, zones and PreferClose
// hints, selector-less services), cluster IP / node port / health-check
// node port allocation, load-balancer IPs and namespace deletion.

import assert from 'node:assert/strict';

import { clusterPerDescribe, eventually } from './cluster-fixtures.js';

type Obj = Record<string, any>;

describe('test cluster: controllers', function () {
  this.timeout(20_000);
  const f = clusterPerDescribe({ loadBalancerPool: ['192.0.2.240/30'], podTermination: 'manual' });
  let ns = '';
  let n = 0;

  before(() => {
    f.cluster.createNode({ name: 'node-a', internalIPs: ['192.0.2.1', '2001:db8::1'], zone: 'zone-a' });
    f.cluster.createNode({ name: 'node-b', internalIPs: ['192.0.2.2'], zone: 'zone-b' });
  });
  beforeEach(() => {
    ns = `c${++n}`;
    f.cluster.createNamespace(ns);
  });

  const service = (name: string, spec: Obj, meta: Obj = {}) =>
    f.cluster.create({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, ...meta }, spec });

  async function slicesOf(svc: string): Promise<Obj[]> {
    await f.cluster.settle();
    return f.cluster.list('EndpointSlice', ns).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);
  }

  const view = (s: Obj) => (s.endpoints ?? []).map((e: Obj) => `${e.targetRef.name} ${e.addresses.join(',')} r=${e.conditions.ready} s=${e.conditions.serving} t=${e.conditions.terminating} ${e.nodeName ?? '-'} ${e.zone ?? '-'}`);

  it('writes a slice of the selected pods with conditions from their Ready condition, nodes and zones', async () => {
    service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, { labels: { team: 'x' } });
    f.cluster.createPod({ name: 'web-1', namespace: ns, labels: { app: 'web' }, nodeName: 'node-a', ips: ['10.244.0.11'] });
    f.cluster.createPod({ name: 'web-2', namespace: ns, labels: { app: 'web' }, nodeName: 'node-b', ips: ['10.244.0.12'], ready: false });
    f.cluster.createPod({ name: 'web-pending', namespace: ns, labels: { app: 'web' }, nodeName: 'node-b' });
    f.cluster.createPod({ name: 'other', namespace: ns, labels: { app: 'other' }, nodeName: 'node-b', ips: ['10.244.0.13'] });
    const [slice, ...more] = await slicesOf('web');
    assert.equal(more.length, 0);
    const svc = f.cluster.get('Service', 'web', ns)!;
    assert.match(slice!.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(slice!.metadata.labels, { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': 'web', team: 'x' });
    assert.deepEqual(slice!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.match(slice!.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(slice!.addressType, 'IPv4');
    assert.deepEqual(slice!.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
    assert.deepEqual(view(slice!), [
      'web-1 10.244.0.11 r=true s=true t=false node-a zone-a',
      'web-2 10.244.0.12 r=false s=false t=false node-b zone-b',
    ]);
    assert.deepEqual(slice!.endpoints[0].targetRef, { kind: 'Pod', namespace: ns, name: 'web-1', uid: f.cluster.get('Pod', 'web-1', ns)!.metadata.uid });
    f.cluster.setPodReady('web-2', true, ns);
    f.cluster.setPodIPs('web-pending', ['10.244.0.14'], true, ns);
    const [after] = await slicesOf('web');
    assert.equal(after!.metadata.name, slice!.metadata.name, 'the same slice is updated');
    assert.deepEqual(view(after!).map((v: string) => v.split(' ').slice(0, 3).join(' ')), ['web-1 10.244.0.11 r=true', 'web-2 10.244.0.12 r=true', 'web-pending 10.244.0.14 r=true']);
  });

  it('marks a terminating pod ready=false serving=true terminating=true until it goes', async () => {
    service('term', { selector: { app: 't' }, ports: [{ port: 80 }] });
    f.cluster.createPod({ name: 't-1', namespace: ns, labels: { app: 't' }, nodeName: 'node-a', ips: ['10.244.1.1'] });
    f.cluster.deletePod('t-1', ns, 30);
    assert.deepEqual(view((await slicesOf('term'))[0]!), ['t-1 10.244.1.1 r=false s=true t=true node-a zone-a']);
    f.cluster.setPodReady('t-1', false, ns);
    assert.deepEqual(view((await slicesOf('term'))[0]!), ['t-1 10.244.1.1 r=false s=false t=true node-a zone-a']);
    f.cluster.finishPodTermination('t-1', ns);
    const [placeholder] = await slicesOf('term');
    assert.deepEqual(placeholder!.endpoints, [], 'an empty slice stays for a service that selects nothing');
    assert.equal(placeholder!.ports, undefined);
  });

  it('resolves named target ports per pod, grouping pods by their resolved ports', async () => {
    service('named', { selector: { app: 'n' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }] });
    f.cluster.createPod({ name: 'n-1', namespace: ns, labels: { app: 'n' }, nodeName: 'node-a', ips: ['10.244.2.1'], ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
    f.cluster.createPod({ name: 'n-2', namespace: ns, labels: { app: 'n' }, nodeName: 'node-a', ips: ['10.244.2.2'], ports: [{ name: 'http', containerPort: 9090 }] });
    const slices = await slicesOf('named');
    const byPorts = Object.fromEntries(slices.map((s) => [JSON.stringify(s.ports), s.endpoints.map((e: Obj) => e.targetRef.name)]));
    assert.deepEqual(byPorts, {
      [JSON.stringify([{ name: 'web', protocol: 'TCP', port: 8080 }, { name: 'dns', protocol: 'UDP', port: 5353 }])]: ['n-1'],
      [JSON.stringify([{ name: 'web', protocol: 'TCP', port: 9090 }])]: ['n-2'],
    });
  });

  it('writes one slice per address family of a dual-stack service', async () => {
    const svc = service('dual', { selector: { app: 'd' }, ports: [{ port: 80 }], ipFamilyPolicy: 'RequireDualStack' });
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4', 'IPv6']);
    assert.match(svc.spec.clusterIPs[1], /^fd00:10:96::/);
    f.cluster.createPod({ name: 'd-1', namespace: ns, labels: { app: 'd' }, nodeName: 'node-a', ips: ['10.244.3.1', 'fd00:244::3:1'] });
    const slices = await slicesOf('dual');
    assert.deepEqual(slices.map((s) => [s.addressType, s.endpoints[0].addresses[0]]).sort(), [['IPv4', '10.244.3.1'], ['IPv6', 'fd00:244::3:1']]);
  });

  it('puts at most 100 endpoints in a slice', async () => {
    service('big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    for (let i = 0; i < 230; i++) f.cluster.createPod({ name: `b-${i}`, namespace: ns, labels: { app: 'big' }, nodeName: 'node-b', ips: [`10.245.${i >> 8}.${i & 255}`] });
    const slices = await slicesOf('big');
    assert.deepEqual(slices.map((s) => s.endpoints.length).sort((a, b) => b - a), [100, 100, 30]);
    assert.equal(new Set(slices.flatMap((s) => s.endpoints.map((e: Obj) => e.targetRef.name))).size, 230);
    for (let i = 0; i < 150; i++) f.cluster.deletePod(`b-${i}`, ns, 0);
    const after = await slicesOf('big');
    assert.equal(after.reduce((k, s) => k + s.endpoints.length, 0), 80);
    assert.ok(after.every((s) => s.endpoints.length > 0), 'emptied slices are removed');
  });

  it('hints every endpoint for its own zone under trafficDistribution: PreferClose', async () => {
    service('close', { selector: { app: 'c' }, ports: [{ port: 80 }], trafficDistribution: 'PreferClose' });
    f.cluster.createPod({ name: 'c-a', namespace: ns, labels: { app: 'c' }, nodeName: 'node-a', ips: ['10.244.4.1'] });
    f.cluster.createPod({ name: 'c-b', namespace: ns, labels: { app: 'c' }, nodeName: 'node-b', ips: ['10.244.4.2'] });
    const [slice] = await slicesOf('close');
    assert.deepEqual(slice!.endpoints.map((e: Obj) => [e.zone, e.hints]), [['zone-a', { forZones: [{ name: 'zone-a' }] }], ['zone-b', { forZones: [{ name: 'zone-b' }] }]]);
    // a node moving zone moves its endpoints' zone and hints
    f.cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b', labels: { 'topology.kubernetes.io/zone': 'zone-c' } } });
    const [moved] = await slicesOf('close');
    assert.deepEqual(moved!.endpoints[1].hints, { forZones: [{ name: 'zone-c' }] });
    f.cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b', labels: { 'topology.kubernetes.io/zone': 'zone-b' } } });
  });

  it('leaves selector-less services to their users\' slices, and removes its slices when the selector goes', async () => {
    service('manual', { ports: [{ port: 80 }] });
    f.cluster.create({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'manual-1', namespace: ns, labels: { 'kubernetes.io/service-name': 'manual' } },
      addressType: 'IPv4', endpoints: [{ addresses: ['198.51.100.7'] }], ports: [{ port: 80 }],
    });
    assert.deepEqual((await slicesOf('manual')).map((s) => s.metadata.name), ['manual-1']);
    assert.deepEqual(f.cluster.get('EndpointSlice', 'manual-1', ns)!.ports, [{ name: '', protocol: 'TCP', port: 80 }], 'defaults');
    service('sel', { selector: { app: 's' }, ports: [{ port: 80 }] });
    f.cluster.createPod({ name: 's-1', namespace: ns, labels: { app: 's' }, nodeName: 'node-a', ips: ['10.244.5.1'] });
    assert.equal((await slicesOf('sel')).length, 1);
    f.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'sel', namespace: ns }, spec: { selector: null } });
    assert.deepEqual(await slicesOf('sel'), []);
  });

  it('allocates cluster IPs in the service CIDR, refuses taken or foreign ones, and keeps them on update', async () => {
    const a = service('ip-a', { ports: [{ port: 80 }] });
    assert.match(a.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    const b = service('ip-b', { ports: [{ port: 80 }], clusterIP: '10.96.200.200' });
    assert.equal(b.spec.clusterIP, '10.96.200.200');
    assert.throws(() => service('ip-c', { ports: [{ port: 80 }], clusterIP: '10.96.200.200' }),
      { code: 422, message: 'Service "ip-c" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.200.200"}: failed to allocate IP 10.96.200.200: provided IP is already allocated' });
    const six = service('ip-6', { ports: [{ port: 80 }], ipFamilies: ['IPv6'] });
    assert.match(six.spec.clusterIP, /^fd00:10:96::[0-9a-f:]+$/);
    const headless = service('ip-none', { ports: [{ port: 80 }], clusterIP: 'None', selector: { app: 'h' } });
    assert.deepEqual([headless.spec.clusterIP, headless.spec.clusterIPs], ['None', ['None']]);
    assert.throws(() => service('ip-np', { type: 'NodePort', ports: [{ port: 80 }], clusterIP: 'None' }),
      { code: 422, message: 'Service "ip-np" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services' });
    assert.throws(() => f.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ip-a', namespace: ns }, spec: { clusterIP: '10.96.9.9', clusterIPs: ['10.96.9.9'] } }),
      (e: Obj) => e.code === 422 && /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.9\.9"\}: may not change once set/.test(e.message));
    f.cluster.delete('Service', 'ip-b', ns);
    assert.equal(service('ip-b2', { ports: [{ port: 80 }], clusterIP: '10.96.200.200' }).spec.clusterIP, '10.96.200.200', 'a deleted service\'s IP is free again');
  });

  it('allocates node ports without collisions, keeps them on update, and health-check node ports for Local load balancers', async () => {
    const np = service('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30081 }] });
    const [p0, p1] = np.spec.ports;
    assert.ok(p0.nodePort >= 30000 && p0.nodePort <= 32767 && p0.nodePort !== 30081);
    assert.equal(p1.nodePort, 30081);
    assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
    assert.throws(() => service('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }),
      { code: 422, message: 'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30081: provided port is already allocated' });
    assert.throws(() => service('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }),
      { code: 422, message: 'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767' });
    const again = f.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'np', namespace: ns, labels: { v: '2' } }, spec: { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] } });
    assert.deepEqual(again.spec.ports.map((p: Obj) => p.nodePort), [p0.nodePort, 30081], 'resubmitting a manifest keeps allocated node ports');
    const lb = service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 443 }] });
    assert.ok(lb.spec.healthCheckNodePort >= 30000);
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    assert.throws(() => service('hc', { type: 'ClusterIP', healthCheckNodePort: 30500, ports: [{ port: 80 }] }),
      (e: Obj) => e.code === 422 && e.message.includes("spec.healthCheckNodePort: Invalid value: 30500: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    const ci = f.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'np', namespace: ns }, spec: { type: 'ClusterIP', externalTrafficPolicy: null } });
    assert.deepEqual(ci.spec.ports.map((p: Obj) => p.nodePort), [undefined, undefined], 'node ports dropped with the type');
    assert.equal(service('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }).spec.ports[0].nodePort, 30081, 'and freed');
  });

  it('defaults and validates session affinity, IP families and types', async () => {
    const aff = service('aff', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] });
    assert.deepEqual(aff.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    assert.throws(() => service('aff0', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } }, ports: [{ port: 80 }] }),
      { message: 'Service "aff0" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400' });
    assert.throws(() => service('fam', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] }),
      (e: Obj) => e.code === 422 && e.message.includes("spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be RequireDualStack or PreferDualStack when multiple IP families are specified"));
    assert.throws(() => service('typ', { type: 'Magic', ports: [{ port: 80 }] }),
      (e: Obj) => e.message.includes('spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'));
    assert.throws(() => service('sctp', { ports: [{ port: 80, protocol: 'ICMP' }] }), (e: Obj) => e.details.causes[0].field === 'spec.ports[0].protocol');
    const ext = service('ext', { type: 'ExternalName', externalName: 'example.com' });
    assert.deepEqual([ext.spec.clusterIP, ext.spec.ipFamilies, ext.spec.internalTrafficPolicy], [undefined, undefined, undefined]);
    assert.throws(() => service('np-ci', { ports: [{ port: 80, nodePort: 30900 }] }),
      (e: Obj) => e.message.includes("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"));
    assert.throws(() => service('noports', { selector: { a: 'b' } }), { message: 'Service "noports" is invalid: spec.ports: Required value' });
  });

  it('gives LoadBalancer services ingress IPs from the pool, and takes them back', async () => {
    service('pool-a', { type: 'LoadBalancer', ports: [{ port: 80 }] });
    const ip = await eventually(() => f.cluster.get('Service', 'pool-a', ns)!.status.loadBalancer.ingress?.[0]?.ip);
    assert.match(ip, /^192\.0\.2\.24[1-2]$/);
    assert.deepEqual(f.cluster.get('Service', 'pool-a', ns)!.status.loadBalancer.ingress, [{ ip, ipMode: 'VIP' }]);
    f.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'pool-a', namespace: ns }, spec: { type: 'ClusterIP', externalTrafficPolicy: null, allocateLoadBalancerNodePorts: null } });
    await eventually(() => (f.cluster.get('Service', 'pool-a', ns)!.status.loadBalancer.ingress === undefined ? true : undefined), 3000, 'ingress cleared');
  });

  it('deletes a namespace\'s contents, then the namespace', async () => {
    service('gone', { selector: { app: 'g' }, ports: [{ port: 80 }] });
    f.cluster.createPod({ name: 'g-1', namespace: ns, labels: { app: 'g' } });
    assert.equal((await slicesOf('gone')).length, 1);
    f.cluster.delete('Namespace', ns, '');
    assert.equal(f.cluster.get('Namespace', ns, '')!.status.phase, 'Terminating');
    await eventually(() => (f.cluster.get('Namespace', ns, '') === undefined ? true : undefined), 3000, 'the namespace to go');
    assert.deepEqual(f.cluster.list('Service', ns), []);
    assert.deepEqual(f.cluster.list('Pod', ns), []);
    assert.deepEqual(f.cluster.list('EndpointSlice', ns), []);
  });
});
