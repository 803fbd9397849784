// The nftables backend over time, with real packets and nft as the oracle:
// partial syncs that land and touch only their shard, ClientIP affinity
// that sticks and expires, IPv6, a tampered ruleset repaired by the next
// full sync, full syncs and restarts under live TCP connections, stale
// chains deleted later, and cleanup leaving nothing behind.
import assert from 'node:assert/strict';

import { Nftables } from '../../src/index.js';
import { affinitySet, DEFAULT_SHARDS, shardOf, shardTable } from '../../src/proxy/backend/nftables/names.js';
import { endpoint, proxyState, servicePort } from '../fixtures/proxy-nft/model.js';
import { assertAll, assertLanded } from '../fixtures/proxy-nft/expect.js';
import { useNode } from '../fixtures/proxy-nft/node.js';
import { canonicalRuleset } from '../fixtures/proxy-nft/nftjson.js';
import { CLIENT, CLIENT_BLOCKED, NODE_IP, PORT, podIP } from '../fixtures/proxy-nft/topology.js';

const CIP = '172.30.0.41';
const ep = (n: number, local = false, family: 4 | 6 = 4) => endpoint(podIP(n, family), PORT, { local });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('nftables proxy: partial syncs', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('an endpoint change lands with one partial sync, and only its shard and the shared table change', async () => {
    const a = servicePort({ name: 'alpha', clusterIP: CIP, port: 80 });
    const b = servicePort({ name: 'beta', namespace: 'other', clusterIP: '172.30.0.42', port: 80 });
    assert.notEqual(shardOf(a, DEFAULT_SHARDS), shardOf(b, DEFAULT_SHARDS), 'the test needs the two services in different shards');
    await node.sync(proxyState([[a, [ep(1)]], [b, [ep(2)]]]));
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 3), ['p1'], podIP(3));
    const others = (t: string) => t !== shardTable(shardOf(a, DEFAULT_SHARDS)) && t !== 'dataplane-proxy';
    const before = canonicalRuleset(node.nft('-j', 'list', 'ruleset'), others);
    await node.sync(proxyState([[a, [ep(2)]], [b, [ep(2)]]]), [a.key]);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 5), ['p2'], podIP(3));
    assertLanded(await node.t.probe('p3', 'tcp', '172.30.0.42', 80, 2), ['p2'], podIP(3));
    assert.deepEqual(canonicalRuleset(node.nft('-j', 'list', 'ruleset'), others), before);
  });

  it('a service added, removed and left without endpoints by partial syncs ends as a full sync would leave it', async () => {
    const a = servicePort({ name: 'alpha', clusterIP: CIP, port: 80, nodePort: 3001, loadBalancerVIPs: ['1.2.3.4'], loadBalancerSourceRanges: ['203.0.113.0/25'] });
    const b = servicePort({ name: 'beta', clusterIP: '172.30.0.42', port: 53, protocol: 'udp', stickyMaxAgeSeconds: 60 });
    await node.sync(proxyState([]));
    await node.sync(proxyState([[a, [ep(1)]], [b, [ep(1), ep(2)]]]), [a.key, b.key]);
    assertLanded(await node.t.probe('client', 'tcp', '1.2.3.4', 80, 2, { src: CLIENT[4] }), ['p1'], 'node');
    assertAll(await node.t.probe('client', 'tcp', '1.2.3.4', 80, 1, { src: CLIENT_BLOCKED[4], timeout: 0.5 }), 'timeout');
    await node.sync(proxyState([[a, []], [b, [ep(2)]]]), [a.key, b.key]);
    assertAll(await node.t.probe('p3', 'tcp', CIP, 80), 'refused');
    assertLanded(await node.t.probe('p3', 'udp', '172.30.0.42', 53, 3), ['p2'], podIP(3));
    await sleep(1100);
    await node.sync(proxyState([[a, []], [b, [ep(2)]]]), []);  // deletes the endpoint chain p1 left
    const partial = canonicalRuleset(node.nft('-j', 'list', 'ruleset'));
    // A new backend's full sync of the same state writes the same ruleset (affinity entries aside).
    await node.another().sync(proxyState([[a, []], [b, [ep(2)]]]), { full: true, changed: new Set() });
    assert.deepEqual(canonicalRuleset(node.nft('-j', 'list', 'ruleset')), partial);
  });
});

describe('nftables proxy: ClientIP affinity', function () {
  this.timeout(60_000);
  const node = useNode(3);

  it('sticks a client to one endpoint, expires after the timeout, and moves off an endpoint that went away', async () => {
    const svc = servicePort({ name: 'sticky', clusterIP: CIP, port: 80, stickyMaxAgeSeconds: 2 });
    await node.sync(proxyState([[svc, [ep(1), ep(2)]]]));
    const first = await node.t.probe('p3', 'tcp', CIP, 80, 20);
    const pod = first[0]!.split(' ')[0]!;
    assertLanded(first, [pod], podIP(3));
    const set = (n: number) => node.nft('list', 'set', 'ip', shardTable(shardOf(svc, DEFAULT_SHARDS)), affinitySet(svc, ep(n)));
    const stuck = pod === 'p1' ? 1 : 2;
    assert.match(set(stuck), new RegExp(`elements = \\{ ${podIP(3).replaceAll('.', '\\.')} `));
    await sleep(2500);
    assert.doesNotMatch(set(stuck), /elements/, 'the affinity entry should have expired');
    // The endpoint it is stuck to goes away: the client moves to the other one and sticks there.
    await node.t.probe('p3', 'tcp', CIP, 80, 1);
    const now = node.nft('list', 'set', 'ip', shardTable(shardOf(svc, DEFAULT_SHARDS)), affinitySet(svc, ep(1))).includes('elements') ? 1 : 2;
    const left = now === 1 ? 2 : 1;
    await node.sync(proxyState([[svc, [ep(left)]]]), [svc.key]);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 5), [`p${left}`], podIP(3));
    await node.sync(proxyState([[svc, [ep(1), ep(2)]]]), [svc.key]);
    assertLanded(await node.t.probe('p3', 'tcp', CIP, 80, 10), [`p${left}`], podIP(3));
  });
});

describe('nftables proxy: IPv6', function () {
  this.timeout(60_000);
  const node = useNode(3);
  const CIP6 = 'fd00:172:30::41';
  const LB6 = '2001:db8:1234::4';

  it('cluster IP, hairpin, NodePort, firewalled load balancer, no endpoints and unserved ports, over TCP, UDP and SCTP', async () => {
    const svc = (protocol: 'tcp' | 'udp' | 'sctp') => servicePort({ name: 'svc6', clusterIP: CIP6, port: 80, protocol, nodePort: 3001,
      loadBalancerVIPs: [LB6], loadBalancerSourceRanges: ['2600:5200::/113'] });
    const empty = servicePort({ name: 'empty6', clusterIP: 'fd00:172:30::42', port: 80 });
    const eps = [ep(1, false, 6), ep(2, true, 6)];
    await node.sync(proxyState([[svc('tcp'), eps], [svc('udp'), eps], [svc('sctp'), eps], [empty, []]]));
    assertLanded(await node.t.probe('p3', 'tcp', CIP6, 80, 20), ['p1', 'p2'], podIP(3, 6), { all: true, family: 6 });
    assertLanded(await node.t.probe('p3', 'udp', CIP6, 80, 20), ['p1', 'p2'], podIP(3, 6), { all: true, family: 6 });
    await node.t.probe('p3', 'sctp', CIP6, 80, 3);
    for (const a of await node.t.sctpArrivals()) assert.match(a, new RegExp(`^p[12] ${podIP(3, 6)} ${PORT}$`));
    const hairpin = await node.t.probe('p1', 'tcp', CIP6, 80, 20);
    assertLanded(hairpin.filter((r) => r.startsWith('p1 ')), ['p1'], 'node', { family: 6 });
    assertLanded(hairpin.filter((r) => r.startsWith('p2 ')), ['p2'], podIP(1, 6), { family: 6 });
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[6], 3001, 10, { src: CLIENT[6] }), ['p1', 'p2'], 'node', { family: 6 });
    assertLanded(await node.t.probe('client', 'tcp', LB6, 80, 10, { src: CLIENT[6] }), ['p1', 'p2'], 'node', { family: 6 });
    assertAll(await node.t.probe('client', 'tcp', LB6, 80, 1, { src: CLIENT_BLOCKED[6], timeout: 0.5 }), 'timeout');
    assertAll(await node.t.probe('p3', 'tcp', CIP6, 443), 'refused');
    assertAll(await node.t.probe('p3', 'tcp', 'fd00:172:30::42', 80), 'refused');
    assertAll(await node.t.probe('p3', 'udp', 'fd00:172:30::42', 80), 'refused');
  });
});

describe('nftables proxy: full syncs, tampering, restarts, cleanup', function () {
  this.timeout(60_000);
  const node = useNode(2);
  const svc = servicePort({ name: 'svc1', clusterIP: CIP, port: 80, nodePort: 3001 });
  const svc6 = servicePort({ name: 'svc1', clusterIP: 'fd00:172:30::41', port: 80, nodePort: 3001 });
  const state = () => proxyState([[svc, [ep(1), ep(2)]], [svc6, [ep(1, false, 6), ep(2, false, 6)]]]);

  it('repairs a tampered ruleset with the next full sync', async () => {
    await node.sync(state());
    const good = canonicalRuleset(node.nft('-j', 'list', 'ruleset'));
    const shard = shardTable(shardOf(svc, DEFAULT_SHARDS));
    node.nft('flush', 'map', 'ip', shard, 'service-ips');
    node.nft('insert', 'rule', 'ip', 'dataplane-proxy', 'filter-forward', 'tcp', 'dport', String(PORT), 'drop');
    node.nft('flush', 'chain', 'ip6', 'dataplane-proxy', 'nat-postrouting');
    node.nft('add', 'chain', 'ip', shard, 'foreign');
    node.nft('add', 'rule', 'ip', shard, 'foreign', 'accept');
    node.nft('delete', 'element', 'ip', 'dataplane-proxy', 'cluster-ips', `{ ${CIP} }`);
    assertAll(await node.t.probe('p1', 'tcp', CIP, 80, 1, { timeout: 0.5 }), 'timeout');
    await node.sync(state());
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], 3001, 6, { src: CLIENT[4] }), ['p1', 'p2'], 'node');
    assertAll(await node.t.probe('client', 'tcp', CIP, 81, 1, { src: CLIENT[4] }), 'refused');
    await sleep(1100);
    await node.sync(state());  // the foreign chain, flushed by the last one, is deleted now
    assert.deepEqual(canonicalRuleset(node.nft('-j', 'list', 'ruleset')), good);
  });

  it('breaks no established TCP connection through full syncs, a restart and a new shard count', async () => {
    assert.notEqual(shardOf(svc, 7), shardOf(svc, DEFAULT_SHARDS), 'the test needs the service to move to another shard');
    await node.sync(state());
    const held = node.t.probe('client', 'tcp', NODE_IP[4], 3001, 10, { src: CLIENT[4], hold: 4 });
    const held6 = node.t.probe('client', 'tcp', NODE_IP[6], 3001, 10, { src: CLIENT[6], hold: 4 });
    await sleep(500);
    for (let i = 0; i < 3; i++) {
      node.nft('add', 'table', 'ip', `other${i}`);  // another process committed: each full sync rewrites every table
      await node.sync(state());
    }
    const restarted = node.another();
    await restarted.sync(state(), { full: true, changed: new Set() });
    const resharded = node.another({}, { shards: 7 });
    await resharded.sync(state(), { full: true, changed: new Set() });
    assert.doesNotMatch(node.ruleset(), new RegExp(`table ip ${shardTable(shardOf(svc, DEFAULT_SHARDS))} `));
    assertLanded(await held, ['p1', 'p2'], 'node');
    assertLanded(await held6, ['p1', 'p2'], 'node', { family: 6 });
    assertLanded(await node.t.probe('client', 'tcp', NODE_IP[4], 3001, 4, { src: CLIENT[4] }), ['p1', 'p2'], 'node');
  });

  it('cleanup removes every table it made, whatever the shard count, and nothing else', async () => {
    node.nft('add', 'table', 'ip', 'foreign');
    await node.sync(state());
    await node.another({}, { shards: 5 }).sync(state(), { full: true, changed: new Set() });
    await node.another({ families: [6] }, { shards: 300 }).sync(state(), { full: true, changed: new Set() });
    assert.match(node.ruleset(), /dataplane-proxy-/);
    await node.backend.cleanup();
    assert.equal(node.ruleset().trim(), 'table ip foreign {\n}');
    assertAll(await node.t.probe('p1', 'tcp', CIP, 80, 1, { timeout: 0.5 }), 'timeout');
  });

  it('deletes a chain that fell out of use a second later, not at once', async () => {
    const lb = servicePort({ name: 'lb', clusterIP: CIP, port: 80, loadBalancerVIPs: ['1.2.3.4'], externalPolicyLocal: true });
    await node.sync(proxyState([[lb, [ep(1, true), ep(2)]]]));
    await node.sync(proxyState([[lb, [ep(2)]]]), [lb.key]);  // no local endpoint left: no local chain
    const chain = 'local-default/lb/tcp/';
    const table = shardTable(shardOf(lb, DEFAULT_SHARDS));
    assert.equal(node.nft('list', 'chain', 'ip', table, chain).match(/dnat/g), null, 'flushed at once');
    await sleep(1100);
    await node.sync(proxyState([[lb, [ep(2)]]]), []);
    assert.throws(() => node.nft('list', 'chain', 'ip', table, chain), /No such file or directory/);
  });
});

describe('nft library: listSets without elements', function () {
  this.timeout(20_000);
  const node = useNode(0);

  it('reads definitions only (one dump), the same sets as listSets', async () => {
    await node.sync(proxyState([[servicePort({ name: 'svc1', clusterIP: CIP, port: 80 }), [ep(1)]]]));
    const nft = await Nftables.open({ netns: node.t.node });
    try {
      const full = await nft.listSets({ family: 'ip' });
      const bare = await nft.listSets({ family: 'ip' }, { elements: false });
      assert.deepEqual(bare.map((s) => s.name).sort(), full.map((s) => s.name).sort());
      assert.ok(full.some((s) => (s.elements ?? []).length > 0));
      assert.ok(bare.every((s) => s.elements === undefined || s.elements.length === 0));
    } finally {
      await nft.close();
    }
  });
});
