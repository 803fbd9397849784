// Where real packets land through the iptables backend's rules (legacy
// x_tables), and what iptables-legacy-save says it wrote: a node namespace
// running IptablesBackend, pods serving on port 8080, an outside client. The
// expected outcomes are kube-proxy's iptables packet-flow facts
// (pkg/proxy/iptables/proxier_test.go: TestClusterIPGeneral,
// TestNoEndpointsReject, TestNodePorts, TestLoadBalancer,
// TestExternalTrafficPolicyLocal/Cluster, session affinity), pod CIDR 10.0.0.0/8.
import assert from 'node:assert/strict';

import type { BackendOptions } from '../../src/proxy/backend/backend.js';
import { IptablesBackend, serviceChains, type IptablesBackendDeps } from '../../src/proxy/backend/iptables/index.js';
import type { ProxyState } from '../../src/proxy/model/types.js';
import { assertAll, assertLanded } from '../fixtures/proxy-nft/expect.js';
import { endpoint, proxyState, servicePort } from '../fixtures/proxy-nft/model.js';
import { nodeOptions } from '../fixtures/proxy-nft/node.js';
import { CLIENT, CLIENT_BLOCKED, NODE_IP, NODE_IP_ALT, PORT, podIP, Topology } from '../fixtures/proxy-nft/topology.js';
import { sh } from '../helpers.js';

const CIP = '172.30.0.41';
const CIP6 = 'fd00:172:30::41';
const LB1 = '1.2.3.4';
const EXT = '192.168.99.11';
const NODEPORT = 3001;
const ep = (n: number, local = false) => endpoint(podIP(n), PORT, { local });

interface IptNode {
  t: Topology;
  backend: IptablesBackend;
  sync(state: ProxyState, changed?: string[]): Promise<void>;
  /** iptables-legacy-save (ip6tables-legacy-save for 6) of a table in the node, less its comment lines. */
  save(table: 'nat' | 'filter', family?: 4 | 6): string;
  /** iptables-legacy (or ip6tables-legacy) in the node. */
  tool(family: 4 | 6, ...args: string[]): string;
}

function useNode(pods: number, options: Partial<BackendOptions> = {}, deps: (t: Topology) => IptablesBackendDeps = () => ({})): IptNode {
  const ctx = {} as IptNode;
  beforeEach(async function () {
    this.timeout(30_000);
    const t = await Topology.create(pods);
    const backend = new IptablesBackend(nodeOptions(t.node, options), deps(t));
    await backend.setup();
    const tool = (family: 4 | 6, ...args: string[]): string => sh('ip', ['netns', 'exec', t.node, family === 4 ? 'iptables-legacy' : 'ip6tables-legacy', ...args]);
    Object.assign(ctx, {
      t, backend, tool,
      async sync(state: ProxyState, changed?: string[]) {
        await backend.sync(state, { full: changed === undefined, changed: new Set(changed ?? []) });
      },
      save: (table: string, family: 4 | 6 = 4) => sh('ip', ['netns', 'exec', t.node, family === 4 ? 'iptables-legacy-save' : 'ip6tables-legacy-save', '-t', table])
        .split('\n').filter((l) => !l.startsWith('#')).join('\n'),
    });
  });
  afterEach(async () => {
    await ctx.backend?.close();
    ctx.t?.destroy();
  });
  return ctx;
}

const lines = (text: string, prefix: string): string[] => text.split('\n').filter((l) => l.startsWith(prefix));

describe('iptables proxy: ClusterIP, no endpoints, masquerade', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('pod to cluster IP reaches every endpoint unmasqueraded (TCP, UDP); the node itself is masqueraded; IPv6 too', async () => {
    const state = proxyState([
      ...(['tcp', 'udp'] as const).map((protocol): [ReturnType<typeof servicePort>, ReturnType<typeof ep>[]] =>
        [servicePort({ name: 'svc1', clusterIP: CIP, port: 80, protocol }), [ep(1), ep(2)]]),
      [servicePort({ name: 'svc1', clusterIP: CIP6, port: 80 }), [endpoint(podIP(1, 6), PORT), endpoint(podIP(2, 6), PORT)]],
    ]);
    await node.sync(state);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    assertLanded(await node.t.probe('p3', 'udp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    assertLanded(await node.t.probe('node', 'tcp', CIP, 80, 10), ['p1', 'p2'], 'node');
    assertLanded(await node.t.probe('p3', 'tcp', CIP6, 80, 20), ['p1', 'p2'], podIP(3, 6), { all: true, family: 6 });
  });

  it('hairpin: an endpoint reaching itself through its cluster IP is masqueraded', async () => {
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80 }), [ep(1)]]]));
    assertLanded(await node.t.probe('p1', 'tcp', CIP, 80, 3), ['p1'], 'node');
    assertLanded(await node.t.probe('p2', 'tcp', CIP, 80, 3), ['p1'], podIP(2));
  });

  it('a service without endpoints is refused (REJECT in filter) on its cluster IP, external IP, LB IP and NodePort', async () => {
    const svc2 = servicePort({ name: 'svc2', clusterIP: '172.30.0.42', port: 80, nodePort: NODEPORT, externalIPs: [EXT], loadBalancerVIPs: [LB1] });
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80 }), [ep(1)]], [svc2, []]]));
    for (const [from, src] of [['p3', undefined], ['client', CLIENT[4]]] as const) {
      for (const dst of ['172.30.0.42', EXT, LB1]) assertAll(await node.t.probe(from, 'tcp', dst, 80, 1, { src }), 'refused');
      assertAll(await node.t.probe(from, 'tcp', NODE_IP[4], NODEPORT, 1, { src }), 'refused');
    }
    assertAll(await node.t.probe('node', 'tcp', '172.30.0.42', 80), 'refused');
    assert.match(node.save('filter'), /-A DP-SERVICES -d 172\.30\.0\.42\/32 -p tcp -m comment --comment "default\/svc2 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable/);
  });

  it('iptables-legacy-save shows kube-proxy\'s layout under our names: dispatch, statistic probabilities, DNAT, masquerade by mark', async () => {
    const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80 });
    await node.sync(proxyState([[svc, [ep(1), ep(2), ep(3)]]]));
    const nat = node.save('nat');
    const { cluster } = serviceChains(svc.key);
    assert.deepEqual(lines(nat, '-A PREROUTING'), ['-A PREROUTING -m comment --comment "dataplane-proxy service portals" -j DP-SERVICES']);
    assert.deepEqual(lines(nat, '-A POSTROUTING'), ['-A POSTROUTING -m comment --comment "dataplane-proxy postrouting rules" -j DP-POSTROUTING']);
    assert.deepEqual(lines(nat, '-A DP-SERVICES'), [
      `-A DP-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "default/svc1 cluster IP" -m tcp --dport 80 -j ${cluster}`,
      '-A DP-SERVICES -d 192.168.0.2/32 -m comment --comment "dataplane-proxy service nodeports; NOTE: this must be the last rule in this chain" -j DP-NODEPORTS',
    ]);
    const svcRules = lines(nat, `-A ${cluster}`);
    assert.equal(svcRules[0], `-A ${cluster} ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "default/svc1 cluster IP" -m tcp --dport 80 -j DP-MARK-MASQ`);
    assert.match(svcRules[1]!, /-m statistic --mode random --probability 0\.33333333349 -j DP-SEP-/);
    assert.match(svcRules[2]!, /-m statistic --mode random --probability 0\.50000000000 -j DP-SEP-/);
    assert.doesNotMatch(svcRules[3]!, /statistic/);
    const sep = /-j (DP-SEP-\w+)$/.exec(svcRules[1]!)![1]!;
    assert.deepEqual(lines(nat, `-A ${sep}`), [
      `-A ${sep} -s 10.0.1.2/32 -m comment --comment "default/svc1" -j DP-MARK-MASQ`,
      `-A ${sep} -p tcp -m comment --comment "default/svc1" -m tcp -j DNAT --to-destination 10.0.1.2:8080`,
    ]);
    assert.deepEqual(lines(nat, '-A DP-MARK-MASQ'), ['-A DP-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000']);
    assert.deepEqual(lines(nat, '-A DP-POSTROUTING'), [
      '-A DP-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A DP-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A DP-POSTROUTING -m comment --comment "dataplane-proxy service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    assert.doesNotMatch(nat, /KUBE-/);
  });
});

describe('iptables proxy: NodePorts, load balancers, external traffic policy', function () {
  this.timeout(60_000);
  const node = useNode(3);
  const svc = (local: boolean) => servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT, externalIPs: [EXT],
    loadBalancerVIPs: [LB1], externalPolicyLocal: local, healthCheckNodePort: local ? 30000 : 0 });

  it('Cluster: NodePort, external IP and LB IP reach every endpoint, masqueraded', async () => {
    await node.sync(proxyState([[svc(false), [ep(1), ep(2, true)]]]));
    for (const dst of [EXT, LB1]) assertLanded(await node.t.probe('client', 'tcp', dst, 80, 20, { src: CLIENT[4] }), ['p1', 'p2'], 'node', { all: true });
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 20, { src: CLIENT[4] }), ['p1', 'p2'], 'node', { all: true });
    assertLanded(await node.t.probe('node', 'tcp', NODE_IP[4], NODEPORT, 10), ['p1', 'p2'], 'node');
  });

  it('Local: outside traffic reaches only this node\'s endpoint with its source kept; pods short-circuit to all; none local drops', async () => {
    await node.sync(proxyState([[svc(true), [ep(1), ep(2, true)]]]));
    assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 10, { src: CLIENT[4] }), ['p2'], CLIENT[4]);
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 10, { src: CLIENT[4] }), ['p2'], CLIENT[4]);
    assertLanded(await node.t.probe('p3', 'tcp', EXT, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    await node.sync(proxyState([[svc(true), [ep(1)]]]));
    assertAll(await node.t.probe('client', 'tcp', LB1, 80, 1, { src: CLIENT[4], timeout: 0.5 }), 'timeout');
    assertAll(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 1, { src: CLIENT[4], timeout: 0.5 }), 'timeout');
    assertLanded(await node.t.probe('p3', 'tcp', LB1, 80, 2), ['p1'], podIP(3));
  });

  it('loadBalancerSourceRanges: allowed sources reach the endpoint, others are dropped (DP-PROXY-FIREWALL)', async () => {
    const lb = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, loadBalancerVIPs: [LB1], loadBalancerSourceRanges: ['203.0.113.0/25'] });
    await node.sync(proxyState([[lb, [ep(1)]]]));
    assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 2, { src: CLIENT[4] }), ['p1'], 'node');
    assertAll(await node.t.probe('client', 'tcp', LB1, 80, 1, { src: CLIENT_BLOCKED[4], timeout: 0.5 }), 'timeout');
    assert.match(node.save('filter'), /-A DP-PROXY-FIREWALL -d 1\.2\.3\.4\/32 -p tcp -m comment --comment "default\/svc1 traffic not accepted by DP-FW-\w+" -m tcp --dport 80 -j DROP/);
  });
});

describe('iptables proxy: session affinity, partial syncs, foreign rules, cleanup', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('ClientIP affinity: every connection of a client lands on one endpoint (recent lists)', async () => {
    const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, stickyMaxAgeSeconds: 10800 });
    await node.sync(proxyState([[svc, [ep(1), ep(2), ep(3)]]]));
    const got = await node.t.probe('client', 'tcp', CIP, 80, 15, { src: CLIENT[4] });
    assert.equal(new Set(got.map((r) => r.split(' ')[0])).size, 1, JSON.stringify(got));
    assertLanded(got, ['p1', 'p2', 'p3'], 'node');
    assert.match(node.save('nat'), /-m recent --rcheck --seconds 10800 --reap --name DP-SEP-\w+ --mask 255\.255\.255\.255 --rsource -j DP-SEP-/);
  });

  it('a partial sync rewrites the changed service only; the chains of the others stay byte for byte, deleted endpoints\' chains go', async () => {
    const a = servicePort({ name: 'a', clusterIP: CIP, port: 80 });
    const b = servicePort({ name: 'b', clusterIP: '172.30.0.42', port: 80 });
    await node.sync(proxyState([[a, [ep(1), ep(2)]], [b, [ep(3)]]]));
    const before = node.save('nat');
    await node.sync(proxyState([[a, [ep(1)]], [b, [ep(3)]]]), [a.key]);
    const after = node.save('nat');
    const bChain = serviceChains(b.key).cluster;
    assert.deepEqual(lines(after, `-A ${bChain}`), lines(before, `-A ${bChain}`));
    assert.equal(lines(after, ':DP-SEP-').length, 2, after);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 10), ['p1'], podIP(3));
    assertLanded(await node.t.probe('p1', 'tcp', '172.30.0.42', 80, 3), ['p3'], podIP(1));
    // A deleted service: its chains and dispatch rule go, it is refused no more (nothing knows it).
    await node.sync(proxyState([[b, [ep(3)]]]), [a.key]);
    assert.doesNotMatch(node.save('nat'), new RegExp(serviceChains(a.key).cluster));
  });

  it('keeps every rule and chain not its own; --cleanup (cleanup()) removes only its own', async () => {
    node.tool(4, '-t', 'nat', '-N', 'OTHER');
    node.tool(4, '-t', 'nat', '-A', 'OTHER', '-d', '10.9.9.9', '-j', 'RETURN');
    node.tool(4, '-t', 'nat', '-A', 'PREROUTING', '-j', 'OTHER');
    node.tool(4, '-t', 'filter', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT');
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1)]]]));
    const nat = node.save('nat');
    assert.deepEqual(lines(nat, '-A PREROUTING'), ['-A PREROUTING -m comment --comment "dataplane-proxy service portals" -j DP-SERVICES', '-A PREROUTING -j OTHER']);
    assert.deepEqual(lines(nat, '-A OTHER'), ['-A OTHER -d 10.9.9.9/32 -j RETURN']);
    assert.ok(lines(node.save('filter'), '-A INPUT').includes('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'));
    await node.backend.cleanup();
    assert.equal(node.save('nat'), '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:OTHER - [0:0]\n-A PREROUTING -j OTHER\n-A OTHER -d 10.9.9.9/32 -j RETURN\nCOMMIT\n');
    assert.doesNotMatch(node.save('filter'), /DP-/);
    assert.match(node.save('filter'), /-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT/);
    assert.doesNotMatch(node.save('nat', 6), /DP-/);
  });
});

describe('iptables proxy: which traffic is masqueraded, and where NodePorts answer', function () {
  this.timeout(60_000);
  const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, loadBalancerVIPs: [LB1], externalPolicyLocal: true, healthCheckNodePort: 30000 });

  describe('masqueradeAll', () => {
    const node = useNode(2, { masqueradeAll: true });
    it('masquerades pod traffic to the cluster IP too; Local-policy outside traffic keeps its source', async () => {
      await node.sync(proxyState([[svc, [ep(1, true)]]]));
      assertLanded(await node.t.probe('p2', 'tcp', CIP, 80, 3), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 3, { src: CLIENT[4] }), ['p1'], CLIENT[4]);
    });
  });

  describe('InterfaceNamePrefix', () => {
    const node = useNode(3, { detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'vp' } });
    it('treats traffic from pod interfaces (-i vp+) as the cluster\'s, the rest as outside', async () => {
      await node.sync(proxyState([[svc, [ep(1, true), ep(2)]]]));
      assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 10), ['p1', 'p2'], podIP(3));
      assertLanded(await node.t.probe('client', 'tcp', CIP, 80, 10, { src: CLIENT[4] }), ['p1', 'p2'], 'node');
      assertLanded(await node.t.probe('p3', 'tcp', LB1, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
      assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 10, { src: CLIENT[4] }), ['p1'], CLIENT[4]);
      assert.match(node.save('nat'), /-d 172\.30\.0\.41\/32 ! -i vp\+ -p tcp .* -j DP-MARK-MASQ/);
    });
  });

  describe('on every local address (0.0.0.0/0, ::/0)', () => {
    const node = useNode(1, { nodePortAddresses: { cidrs: ['0.0.0.0/0', '::/0'] } });
    it('takes NodePorts on any local address (addrtype LOCAL), IPv4 and IPv6', async () => {
      await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1)]],
        [servicePort({ name: 'svc1', clusterIP: CIP6, port: 80, nodePort: NODEPORT }), [endpoint(podIP(1, 6), PORT)]]]));
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP_ALT[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP_ALT[6], NODEPORT, 2, { src: CLIENT[6] }), ['p1'], 'node', { family: 6 });
      assert.match(node.save('nat'), /-A DP-SERVICES ! -d 127\.0\.0\.0\/8 -m addrtype --dst-type LOCAL -m comment --comment "[^"]*" -j DP-NODEPORTS/);
      // Without localhost NodePorts (the backend's default) nothing answers on 127.0.0.1 or ::1.
      assertAll(await node.t.probe('node', 'tcp', '127.0.0.1', NODEPORT), 'refused');
      assertAll(await node.t.probe('node', 'tcp', '::1', NODEPORT), 'refused');
      assert.doesNotMatch(node.save('filter'), /DP-FIREWALL/);
    });
  });

  describe('localhost NodePorts (--iptables-localhost-nodeports)', () => {
    // /proc/sys inside the node's namespace (the backend runs outside it here; the proxy process runs inside).
    const sysctl = (t: Topology): IptablesBackendDeps => ({
      sysctl: {
        read: async (name) => sh('ip', ['netns', 'exec', t.node, 'cat', `/proc/sys/${name}`]).trim(),
        write: async (name, value) => void sh('ip', ['netns', 'exec', t.node, 'sh', '-c', `echo ${value} > /proc/sys/${name}`]),
      },
    });
    const node = useNode(1, { nodePortAddresses: { cidrs: ['0.0.0.0/0', '::/0'] }, iptables: { localhostNodePorts: true } }, sysctl);
    it('answers on 127.0.0.1 (route_localnet=1, masqueraded), never on ::1; drops martians to 127.0.0.0/8 as kube-proxy\'s KUBE-FIREWALL', async () => {
      await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1)]],
        [servicePort({ name: 'svc1', clusterIP: CIP6, port: 80, nodePort: NODEPORT }), [endpoint(podIP(1, 6), PORT)]]]));
      assert.equal(sh('ip', ['netns', 'exec', node.t.node, 'cat', '/proc/sys/net/ipv4/conf/all/route_localnet']).trim(), '1');
      assertLanded(await node.t.probe('node', 'tcp', '127.0.0.1', NODEPORT, 3), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertAll(await node.t.probe('node', 'tcp', '::1', NODEPORT), 'refused');
      assert.match(node.save('nat'), /-A DP-SERVICES -m addrtype --dst-type LOCAL -m comment --comment "[^"]*" -j DP-NODEPORTS/);
      assert.match(node.save('nat', 6), /-A DP-SERVICES ! -d ::1\/128 -m addrtype --dst-type LOCAL -m comment --comment "[^"]*" -j DP-NODEPORTS/);
      const filter = node.save('filter');
      assert.deepEqual(lines(filter, '-A DP-FIREWALL'), [
        '-A DP-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      ]);
      for (const hook of ['INPUT', 'OUTPUT']) assert.equal(lines(filter, `-A ${hook}`)[0], `-A ${hook} -m comment --comment "dataplane-proxy localnet firewall" -j DP-FIREWALL`);
      assert.doesNotMatch(node.save('filter', 6), /DP-FIREWALL/);
    });
  });
});
