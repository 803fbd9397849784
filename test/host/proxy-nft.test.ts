// Where real packets land through the nftables backend's ruleset: a node
// namespace running NftablesBackend, pods serving on port 8080, an outside
// client, TCP/UDP/SCTP. The expected outcomes are kube-proxy's own packet
// flow facts (pkg/proxy/nftables/proxier_test.go: TestClusterIPGeneral,
// TestNoEndpointsReject, TestNodePorts, TestLoadBalancer,
// TestExternalTrafficPolicyLocal/Cluster, TestInternalTrafficPolicy,
// TestTerminatingEndpointsTrafficPolicyLocal), with pod CIDR 10.0.0.0/8.
import assert from 'node:assert/strict';

import { endpoint, proxyState, servicePort, terminating } from '../fixtures/proxy-nft/model.js';
import { assertAll, assertLanded } from '../fixtures/proxy-nft/expect.js';
import { useNode } from '../fixtures/proxy-nft/node.js';
import { DEFAULT_SHARDS, shardOf } from '../../src/proxy/backend/nftables/names.js';
import { CLIENT, CLIENT_BLOCKED, NODE_IP, NODE_IP_ALT, PORT, podIP } from '../fixtures/proxy-nft/topology.js';

const CIP = '172.30.0.41';
const LB1 = '1.2.3.4';
const LB2 = '5.6.7.8';
const EXT = '192.168.99.11';
const NODEPORT = 3001;
const ep = (n: number, local = false) => endpoint(podIP(n), PORT, { local });

describe('nftables proxy: ClusterIP (kube-proxy TestClusterIPGeneral, TestNoEndpointsReject)', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('pod to cluster IP reaches the endpoints unmasqueraded, over TCP, UDP and SCTP', async () => {
    const state = proxyState((['tcp', 'udp', 'sctp'] as const).map((protocol) => [
      servicePort({ name: 'svc1', clusterIP: CIP, port: 80, protocol }), [ep(1), ep(2)]]));
    await node.sync(state);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    assertLanded(await node.t.probe('p3', 'udp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    await node.t.probe('p3', 'sctp', CIP, 80, 4);
    const sctp = await node.t.sctpArrivals();
    assert.equal(sctp.length, 4);
    for (const a of sctp) assert.match(a, new RegExp(`^p[12] ${podIP(3).replaceAll('.', '\\.')} ${PORT}$`));
  });

  it('hairpin: an endpoint reaching itself through its cluster IP is masqueraded', async () => {
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80 }), [ep(1)]]]));
    assertLanded(await node.t.probe('p1', 'tcp', CIP, 80, 3), ['p1'], 'node');
    assertLanded(await node.t.probe('p2', 'tcp', CIP, 80, 3), ['p1'], podIP(2));
  });

  it('the node itself reaches the cluster IP masqueraded (its address is outside the cluster CIDR)', async () => {
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80 }), [ep(1), ep(2)]]]));
    assertLanded(await node.t.probe('node', 'tcp', CIP, 80, 10), ['p1', 'p2'], 'node');
  });

  it('a port the cluster IP does not serve, another protocol, and a service without endpoints are refused', async () => {
    const svc1 = servicePort({ name: 'svc1', clusterIP: CIP, port: 80 });
    const svc2 = servicePort({ name: 'svc2', clusterIP: '172.30.0.42', port: 80, nodePort: NODEPORT, externalIPs: [EXT], loadBalancerVIPs: [LB1] });
    await node.sync(proxyState([[svc1, [ep(1)]], [svc2, []]]));
    assertAll(await node.t.probe('p3', 'tcp', CIP, 443), 'refused');
    assertAll(await node.t.probe('p3', 'udp', CIP, 80), 'refused');
    assertAll(await node.t.probe('node', 'tcp', CIP, 443), 'refused');
    for (const [from, src] of [['p3', undefined], ['client', CLIENT[4]]] as const) {
      assertAll(await node.t.probe(from, 'tcp', '172.30.0.42', 80, 1, { src }), 'refused');
      assertAll(await node.t.probe(from, 'tcp', EXT, 80, 1, { src }), 'refused');
      assertAll(await node.t.probe(from, 'tcp', LB1, 80, 1, { src }), 'refused');
      assertAll(await node.t.probe(from, 'tcp', NODE_IP[4], NODEPORT, 1, { src }), 'refused');
      assertAll(await node.t.probe(from, 'udp', NODE_IP[4], NODEPORT, 1, { src }), 'refused');
    }
  });
});

describe('nftables proxy: NodePorts (kube-proxy TestNodePorts)', function () {
  this.timeout(60_000);

  describe('on the primary IP (the default)', () => {
    const node = useNode(2);
    it('external and node traffic reaches every endpoint masqueraded; the secondary IP takes no NodePort', async () => {
      await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1), ep(2, true)]]]));
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 20, { src: CLIENT[4] }), ['p1', 'p2'], 'node', { all: true });
      assertLanded(await node.t.probe('node', 'tcp', NODE_IP[4], NODEPORT, 10), ['p1', 'p2'], 'node');
      // Nothing listens on the node itself: no translation means a reset.
      assertAll(await node.t.probe('client', 'tcp', NODE_IP_ALT[4], NODEPORT, 1, { src: CLIENT[4] }), 'refused');
    });
  });

  describe('on local addresses in CIDRs (--nodeport-addresses)', () => {
    const node = useNode(1, { nodePortAddresses: { cidrs: ['192.168.0.0/24', '192.168.1.0/24', 'fd00:192::/64'] } });
    it('takes NodePorts on every node address in them', async () => {
      await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1)]]]));
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP_ALT[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assert.match(node.nft('list', 'set', 'ip', 'dataplane-proxy', 'nodeport-ips'), /elements = \{ 192\.168\.0\.2, 192\.168\.1\.2 \}/);
    });
  });

  describe('on every local address (0.0.0.0/0)', () => {
    const node = useNode(1, { nodePortAddresses: { cidrs: ['0.0.0.0/0', '::/0'] } });
    it('takes NodePorts on any local address (fib daddr type local), IPv4 and IPv6', async () => {
      await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT }), [ep(1)]],
        [servicePort({ name: 'svc1', clusterIP: 'fd00:172:30::41', port: 80, nodePort: NODEPORT }), [endpoint(podIP(1, 6), PORT)]]]));
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP_ALT[4], NODEPORT, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', NODE_IP_ALT[6], NODEPORT, 2, { src: CLIENT[6] }), ['p1'], 'node', { family: 6 });
      assert.doesNotMatch(node.ruleset(), /nodeport-ips/);
    });
  });
});

describe('nftables proxy: LoadBalancer with loadBalancerSourceRanges (kube-proxy TestLoadBalancer)', function () {
  this.timeout(60_000);
  const node = useNode(1);

  it('allowed sources reach the endpoint, others are dropped before DNAT; the NodePort bypasses the ranges', async () => {
    const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT, loadBalancerVIPs: [LB1, LB2],
      loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'] });
    await node.sync(proxyState([[svc, [ep(1)]]]));
    for (const lb of [LB1, LB2]) {
      assertLanded(await node.t.probe('client', 'tcp', lb, 80, 2, { src: CLIENT[4] }), ['p1'], 'node');
      assertAll(await node.t.probe('client', 'tcp', lb, 80, 1, { src: CLIENT_BLOCKED[4], timeout: 0.5 }), 'timeout');
      assertAll(await node.t.probe('p1', 'tcp', lb, 80, 1, { timeout: 0.5 }), 'timeout');
      // The node's IP is in a range, so the node (and the VIP as a source) is allowed.
      assertLanded(await node.t.probe('node', 'tcp', lb, 80, 2), ['p1'], 'node');
    }
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 2, { src: CLIENT_BLOCKED[4] }), ['p1'], 'node');
  });
});

describe('nftables proxy: external traffic policy (kube-proxy TestExternalTrafficPolicyCluster/Local)', function () {
  this.timeout(60_000);
  const node = useNode(3);
  // p1 is on another node, p2 on this one; p3 is a client pod on this node.
  const svc = (local: boolean) => servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: NODEPORT, externalIPs: [EXT],
    loadBalancerVIPs: [LB1], externalPolicyLocal: local, healthCheckNodePort: local ? 30000 : 0 });

  it('Cluster: external IPs, LB IPs and NodePorts reach every endpoint, masqueraded even from pods', async () => {
    await node.sync(proxyState([[svc(false), [ep(1), ep(2, true)]]]));
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
    for (const dst of [EXT, LB1]) {
      assertLanded(await node.t.probe('p3', 'tcp', dst, 80, 20), ['p1', 'p2'], 'node', { all: true });
      assertLanded(await node.t.probe('client', 'tcp', dst, 80, 20, { src: CLIENT[4] }), ['p1', 'p2'], 'node', { all: true });
    }
    assertLanded(await node.t.probe('p3', 'tcp', NODE_IP[4], NODEPORT, 20), ['p1', 'p2'], 'node', { all: true });
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 20, { src: CLIENT[4] }), ['p1', 'p2'], 'node', { all: true });
  });

  it('Local: outside traffic reaches only this node\'s endpoint with its source kept; pods and the node short-circuit to all', async () => {
    await node.sync(proxyState([[svc(true), [ep(1), ep(2, true)]]]));
    for (const dst of [EXT, LB1]) {
      assertLanded(await node.t.probe('p3', 'tcp', dst, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
      assertLanded(await node.t.probe('client', 'tcp', dst, 80, 10, { src: CLIENT[4] }), ['p2'], CLIENT[4]);
      assertLanded(await node.t.probe('node', 'tcp', dst, 80, 20), ['p1', 'p2'], 'node', { all: true });
    }
    assertLanded(await node.t.probe('p3', 'tcp', NODE_IP[4], NODEPORT, 20), ['p1', 'p2'], podIP(3), { all: true });
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 10, { src: CLIENT[4] }), ['p2'], CLIENT[4]);
  });

  it('Local without local endpoints: outside traffic is dropped, pods still reach the service', async () => {
    await node.sync(proxyState([[svc(true), [ep(1)]]]));
    for (const dst of [EXT, LB1]) {
      assertAll(await node.t.probe('client', 'tcp', dst, 80, 1, { src: CLIENT[4], timeout: 0.5 }), 'timeout');
      assertLanded(await node.t.probe('p3', 'tcp', dst, 80, 2), ['p1'], podIP(3));
    }
    assertAll(await node.t.probe('client', 'tcp', NODE_IP[4], NODEPORT, 1, { src: CLIENT[4], timeout: 0.5 }), 'timeout');
    assertLanded(await node.t.probe('p3', 'tcp', NODE_IP[4], NODEPORT, 2), ['p1'], podIP(3));
  });
});

describe('nftables proxy: internal traffic policy and terminating endpoints (kube-proxy TestInternalTrafficPolicy, TestTerminatingEndpointsTrafficPolicyLocal)', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('internalTrafficPolicy Local: only this node\'s endpoints; none local drops; none at all rejects', async () => {
    const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, internalPolicyLocal: true });
    await node.sync(proxyState([[svc, [ep(1, true), ep(2)]]]));
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 10), ['p1'], podIP(3));
    await node.sync(proxyState([[svc, [ep(1), ep(2)]]]));
    assertAll(await node.t.probe('p3', 'tcp', CIP, 80, 1, { timeout: 0.5 }), 'timeout');
    await node.sync(proxyState([[svc, []]]));
    assertAll(await node.t.probe('p3', 'tcp', CIP, 80), 'refused');
  });

  it('with only terminating endpoints left here, Local traffic uses them and Cluster traffic the ready remote one', async () => {
    const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, loadBalancerVIPs: [LB1], externalPolicyLocal: true, healthCheckNodePort: 30000 });
    await node.sync(proxyState([[svc, [terminating(podIP(1), PORT, { local: true }), terminating(podIP(2), PORT, { local: true }), ep(3)]]]));
    assertLanded(await node.t.probe('node', 'tcp', CIP, 80, 10), ['p3'], 'node');
    assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 20, { src: CLIENT[4] }), ['p1', 'p2'], CLIENT[4], { all: true });
  });
});

describe('nftables proxy: which traffic is masqueraded (--masquerade-all, --detect-local-mode)', function () {
  this.timeout(60_000);
  const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, loadBalancerVIPs: [LB1], externalPolicyLocal: true, healthCheckNodePort: 30000 });

  describe('masqueradeAll', () => {
    const node = useNode(2, { masqueradeAll: true });
    it('masquerades pod traffic to the cluster IP too', async () => {
      await node.sync(proxyState([[svc, [ep(1, true)]]]));
      assertLanded(await node.t.probe('p2', 'tcp', CIP, 80, 3), ['p1'], 'node');
      assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 3, { src: CLIENT[4] }), ['p1'], CLIENT[4]);
    });
  });

  describe('no local detection (no cluster CIDR)', () => {
    const node = useNode(3, { detectLocal: { mode: 'None' } });
    it('masquerades nothing to the cluster IP, and pods get no short-circuit to remote endpoints', async () => {
      await node.sync(proxyState([[svc, [ep(1, true), ep(2)]]]));
      assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
      assertLanded(await node.t.probe('p3', 'tcp', LB1, 80, 10), ['p1'], podIP(3));
      assertLanded(await node.t.probe('node', 'tcp', LB1, 80, 20), ['p1', 'p2'], 'node', { all: true });
    });
  });

  describe('InterfaceNamePrefix', () => {
    const node = useNode(3, { detectLocal: { mode: 'InterfaceNamePrefix', prefix: 'vp' } });
    it('treats traffic from pod interfaces as the cluster\'s, the rest as outside', async () => {
      await node.sync(proxyState([[svc, [ep(1, true), ep(2)]]]));
      assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 10), ['p1', 'p2'], podIP(3));
      assertLanded(await node.t.probe('client', 'tcp', CIP, 80, 10, { src: CLIENT[4] }), ['p1', 'p2'], 'node');
      assertLanded(await node.t.probe('p3', 'tcp', LB1, 80, 20), ['p1', 'p2'], podIP(3), { all: true });
      assertLanded(await node.t.probe('client', 'tcp', LB1, 80, 10, { src: CLIENT[4] }), ['p1'], CLIENT[4]);
    });
  });

  describe('several cluster CIDRs', () => {
    const node = useNode(2, { detectLocal: { mode: 'ClusterCIDR', cidrs: ['10.0.1.0/24', '10.0.2.0/24', 'fd00:10::/64'] } });
    it('match the source against a set of them', async () => {
      await node.sync(proxyState([[svc, [ep(1, true)]]]));
      assertLanded(await node.t.probe('p2', 'tcp', CIP, 80, 3), ['p1'], podIP(2));
      assertLanded(await node.t.probe('client', 'tcp', CIP, 80, 3, { src: CLIENT[4] }), ['p1'], 'node');
      assert.match(node.nft('list', 'set', 'ip', `dataplane-proxy-${shardOf(svc, DEFAULT_SHARDS)}`, 'local-cidrs'), /10\.0\.1\.0\/24, 10\.0\.2\.0\/24/);
    });
  });
});
