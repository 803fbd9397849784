// Where real connections end up through IpvsBackend, and what source the pod
// sees: ClusterIP, NodePort, ExternalIP and LoadBalancer IP from outside the
// cluster and from a pod; externalTrafficPolicy Local; no endpoints;
// loadBalancerSourceRanges; a ClusterIP's unserved port; hairpin; IPv6; UDP
// (with conntrack cleanup when an endpoint goes) and SCTP; masqueradeAll.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';

import { IpvsBackend } from '../../src/proxy/backend/ipvs/index.js';
import { answer, type Client } from '../fixtures/proxy-ipvs/agents.js';
import { conntrackInsert, conntrackReplySources, realServers } from '../fixtures/proxy-ipvs/oracle.js';
import { backendOptions, endpoint, Model, service } from '../fixtures/proxy-ipvs/state.js';
import { NODE_IP, OUTSIDE_IP, Topology, type Pod } from '../fixtures/proxy-ipvs/topology.js';

const FULL = { full: true, changed: new Set<string>() };
const partial = (...keys: string[]) => ({ full: false, changed: new Set(keys) });

describe('IPVS proxy backend: the traffic matrix', function () {
  this.timeout(120_000);
  let topo: Topology;
  let backend: IpvsBackend;
  let outside: Client;
  let inPod: Client; // a client in pod4's namespace: inside the cluster CIDR, no endpoint of any service
  let pod1: Pod, pod2: Pod, pod3: Pod, pod4: Pod;
  const model = new Model();
  const eps = (family: 4 | 6, ...pods: Pod[]) => pods.map((p) => endpoint(p.ip[family], 80));

  before(async () => {
    topo = await Topology.create(4);
    [pod1, pod2, pod3, pod4] = topo.pods as [Pod, Pod, Pod, Pod];
    outside = topo.client(topo.outside);
    inPod = topo.client(pod4.ns);
    model.set(service('default/web', {
      clusterIP: '10.96.1.1', port: 80, nodePort: 30080, externalIPs: ['203.0.113.10'], loadBalancerVIPs: ['198.51.100.10'],
    }), eps(4, pod1, pod2));
    model.set(service('default/local', {
      clusterIP: '10.96.1.2', port: 80, nodePort: 30081, externalIPs: ['203.0.113.11'], loadBalancerVIPs: ['198.51.100.11'], externalPolicyLocal: true,
    }), [endpoint(pod1.ip[4], 80), endpoint(pod3.ip[4], 80, { isLocal: false })]);
    model.set(service('default/local-elsewhere', { clusterIP: '10.96.1.3', port: 80, nodePort: 30082, externalPolicyLocal: true }),
      [endpoint(pod3.ip[4], 80, { isLocal: false })]);
    model.set(service('default/empty', { clusterIP: '10.96.1.4', port: 80, nodePort: 30084 }));
    model.set(service('default/firewalled', { clusterIP: '10.96.1.5', port: 80, loadBalancerVIPs: ['198.51.100.12'], loadBalancerSourceRanges: ['10.244.0.0/16'] }),
      eps(4, pod1, pod2));
    model.set(service('default/hairpin', { clusterIP: '10.96.1.6', port: 80 }), eps(4, pod1));
    model.set(service('default/web6', { clusterIP: 'fd00:96::1', port: 80, nodePort: 30086 }), eps(6, pod1, pod2));
    model.set(service('default/dns', { clusterIP: '10.96.1.7', port: 80, protocol: 'udp' }), eps(4, pod1, pod2));
    model.set(service('default/sctp', { clusterIP: '10.96.1.8', port: 80, protocol: 'sctp' }), eps(4, pod1, pod2));
    backend = new IpvsBackend(backendOptions(), { scheduler: 'rr' });
    await backend.cleanup();
    await backend.setup();
    await backend.sync(model.state, FULL);
  });

  after(async () => {
    await backend?.cleanup();
    await backend?.close();
    topo?.destroy();
  });

  /** Who answered and whether the pod saw the client's own address or the node's (masquerade). */
  async function seen(c: Client, proto: 'tcp' | 'udp' | 'sctp', host: string, port: number, count = 2): Promise<{ pod: string; peer: string }[]> {
    return (await c.connect(proto, host, port, count)).map(answer);
  }
  const gateway = (name: string, family: 4 | 6 = 4) => topo.pod(name).gateway[family];

  it('ClusterIP: outside traffic is masqueraded, pod traffic keeps its source', async () => {
    for (const a of await seen(outside, 'tcp', '10.96.1.1', 80, 4)) {
      assert.ok(['pod1', 'pod2'].includes(a.pod), a.pod);
      assert.equal(a.peer, gateway(a.pod));
    }
    for (const a of await seen(inPod, 'tcp', '10.96.1.1', 80)) assert.equal(a.peer, pod4.ip[4]);
  });

  it('NodePort, ExternalIP and LoadBalancer IP with Cluster policy: outside traffic is masqueraded', async () => {
    for (const [host, port] of [[NODE_IP[4], 30080], ['203.0.113.10', 80], ['198.51.100.10', 80]] as const) {
      for (const a of await seen(outside, 'tcp', host, port)) assert.equal(a.peer, gateway(a.pod), `${host}:${port}`);
    }
  });

  it('externalTrafficPolicy Local: only this node\'s endpoint, the client\'s own source; the ClusterIP still reaches both', async () => {
    for (const [host, port] of [[NODE_IP[4], 30081], ['203.0.113.11', 80], ['198.51.100.11', 80]] as const) {
      assert.deepEqual(await seen(outside, 'tcp', host, port, 3), Array(3).fill({ pod: 'pod1', peer: OUTSIDE_IP[4] }), `${host}:${port}`);
    }
    assert.deepEqual(realServers(`TCP ${NODE_IP[4]}:30081`), [`${pod1.ip[4]}:80 Masq 1`]);
    assert.deepEqual(new Set((await seen(outside, 'tcp', '10.96.1.2', 80, 4)).map((a) => a.pod)), new Set(['pod1', 'pod3']));
  });

  it('externalTrafficPolicy Local with endpoints only elsewhere: outside traffic is dropped, cluster traffic still served', async () => {
    assert.deepEqual(await outside.connect('tcp', NODE_IP[4], 30082), [{ ok: false, error: 'timeout' }]);
    assert.equal(answer((await inPod.connect('tcp', NODE_IP[4], 30082))[0]!).pod, 'pod3');
  });

  it('no endpoints: new connections are refused, on the ClusterIP and the NodePort', async () => {
    for (const c of [outside, inPod]) {
      assert.deepEqual(await c.connect('tcp', '10.96.1.4', 80), [{ ok: false, error: 'refused' }]);
      assert.deepEqual(await c.connect('tcp', NODE_IP[4], 30084), [{ ok: false, error: 'refused' }]);
    }
  });

  it('loadBalancerSourceRanges: sources outside the ranges are dropped; a partial sync that widens them lets them in', async () => {
    assert.deepEqual(await outside.connect('tcp', '198.51.100.12', 80), [{ ok: false, error: 'timeout' }]);
    assert.ok(answer((await inPod.connect('tcp', '198.51.100.12', 80))[0]!).pod.startsWith('pod'));
    const key = model.set(service('default/firewalled', {
      clusterIP: '10.96.1.5', port: 80, loadBalancerVIPs: ['198.51.100.12'], loadBalancerSourceRanges: ['10.244.0.0/16', '192.168.100.0/24'],
    }), eps(4, pod1, pod2));
    await backend.sync(model.state, partial(key));
    assert.ok(answer((await outside.connect('tcp', '198.51.100.12', 80))[0]!).pod.startsWith('pod'));
  });

  it('a ClusterIP on a port no service serves is refused, though the node listens on that port', async () => {
    const node: Server = createServer((s) => s.on('data', () => s.write(`node ${s.remoteAddress}\n`)));
    await new Promise<void>((resolve) => node.listen(81, '0.0.0.0', resolve));
    try {
      assert.equal(answer((await outside.connect('tcp', NODE_IP[4], 81))[0]!).pod, 'node');
      assert.deepEqual(await outside.connect('tcp', '10.96.1.1', 81), [{ ok: false, error: 'refused' }]);
    } finally {
      node.close();
    }
  });

  it('the node itself reaches a ClusterIP and its own NodePort, masqueraded to its address on the pod\'s link', async () => {
    const node = topo.client(undefined);
    for (const [host, port] of [['10.96.1.1', 80], [NODE_IP[4], 30080], ['fd00:96::1', 80]] as const) {
      for (const a of await seen(node, 'tcp', host, port)) assert.equal(a.peer, gateway(a.pod, host.includes(':') ? 6 : 4), `${host}:${port}`);
    }
  });

  it('hairpin: a pod reaching itself through its service is masqueraded and answered', async () => {
    const self = topo.client(pod1.ns);
    assert.deepEqual(await seen(self, 'tcp', '10.96.1.6', 80), Array(2).fill({ pod: 'pod1', peer: gateway('pod1') }));
  });

  it('IPv6: ClusterIP and NodePort, masqueraded from outside, the pod\'s source kept from a pod', async () => {
    for (const [host, port] of [['fd00:96::1', 80], [NODE_IP[6], 30086]] as const) {
      for (const a of await seen(outside, 'tcp', host, port)) assert.equal(a.peer, gateway(a.pod, 6), `[${host}]:${port}`);
    }
    for (const a of await seen(inPod, 'tcp', 'fd00:96::1', 80)) assert.equal(a.peer, pod4.ip[6]);
    assert.deepEqual(await outside.connect('tcp', 'fd00:96::1', 81), [{ ok: false, error: 'refused' }], 'an unserved port');
    assert.deepEqual(realServers('TCP [fd00:96::1]:80'), [`[${pod1.ip[6]}]:80 Masq 1`, `[${pod2.ip[6]}]:80 Masq 1`]);
  });

  it('UDP: answered; when the answering endpoint goes, its real server and its conntrack flows go, and the same socket reaches the other pod', async () => {
    const first = answer(await outside.open('U', 'udp', '10.96.1.7', 80));
    try {
      assert.equal(answer(await outside.send('U')).pod, first.pod, 'one flow, one pod');
      const gone = topo.pod(first.pod);
      const stay = gone === pod1 ? pod2 : pod1;
      // Flows IPVS holds no connection for (the kernel expires its own): only the proxy's cleanup removes them.
      for (const [p, sport] of [[gone, 5555], [stay, 5556]] as const) conntrackInsert(OUTSIDE_IP[4], sport, '10.96.1.7', 80, p.ip[4]);
      const key = model.set(service('default/dns', { clusterIP: '10.96.1.7', port: 80, protocol: 'udp' }), eps(4, stay));
      await backend.sync(model.state, partial(key));
      assert.deepEqual(realServers('UDP 10.96.1.7:80'), [`${stay.ip[4]}:80 Masq 1`]);
      assert.deepEqual(conntrackReplySources('10.96.1.7'), [stay.ip[4]]);
      assert.equal(answer(await outside.send('U')).pod, stay.name);
    } finally {
      await outside.close('U');
    }
  });

  it('SCTP: associations through the ClusterIP are answered by the pods in turn', async () => {
    const pods = (await seen(outside, 'sctp', '10.96.1.8', 80, 4)).map((a) => a.pod);
    assert.deepEqual(new Set(pods), new Set(['pod1', 'pod2']), pods.join(','));
  });

  for (const detectLocal of [{ mode: 'InterfaceNamePrefix', prefix: 'ipvp' }, { mode: 'BridgeInterface', interface: 'POD4' }] as const) {
    it(`--detect-local-mode ${detectLocal.mode}: traffic arriving on ${'prefix' in detectLocal ? 'the pods\' links' : 'the pod\'s link'} is the cluster's`, async () => {
      const dl = 'prefix' in detectLocal ? detectLocal : { mode: detectLocal.mode, interface: pod4.link };
      const other = new IpvsBackend(backendOptions({ detectLocal: dl }), { scheduler: 'rr' });
      try {
        await other.setup();
        await other.sync(model.state, FULL);
        for (const a of await seen(inPod, 'tcp', '10.96.1.1', 80)) assert.equal(a.peer, pod4.ip[4]);
        for (const a of await seen(outside, 'tcp', '10.96.1.1', 80)) assert.equal(a.peer, gateway(a.pod));
      } finally {
        await other.close();
        await backend.sync(model.state, FULL);  // the table is shared: the test's own backend takes it back
      }
    });
  }

  it('masqueradeAll: pod traffic to a ClusterIP is masqueraded too', async () => {
    const all = new IpvsBackend(backendOptions({ masqueradeAll: true }), { scheduler: 'rr' });
    try {
      await all.setup();
      await all.sync(model.state, FULL);
      for (const a of await seen(inPod, 'tcp', '10.96.1.1', 80)) assert.equal(a.peer, gateway(a.pod));
    } finally {
      await all.close();
    }
    await backend.sync(model.state, FULL);
    for (const a of await seen(inPod, 'tcp', '10.96.1.1', 80)) assert.equal(a.peer, pod4.ip[4]);
  });
});
