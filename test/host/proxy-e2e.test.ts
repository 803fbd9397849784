// dataplane-proxy end to end: the real proxy process in a node's network
// namespace, the test cluster over a real link, pods and an outside client
// in their own namespaces, real packets. Watch and convergence, restart,
// cleanup, health and metrics, UDP conntrack cleanup. (Which packet goes
// where through each path is the nftables backend's own host tests.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { sh } from '../helpers.js';
import { answers, clusterIPs, echoService, eventually, startE2E, uniq, UDP_PORT, type E2E } from '../fixtures/proxy/harness.js';
import { runProxy } from '../fixtures/proxy/process.js';

const SCTP_INIT = join(import.meta.dirname, '../fixtures/proxy/sctp_init.py');


function ourTables(ns: string): string[] {
  const j = JSON.parse(sh('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'tables'])) as { nftables: { table?: { family: string; name: string } }[] };
  return j.nftables.filter((x) => x.table?.name.startsWith('dataplane-proxy')).map((x) => `${x.table!.family} ${x.table!.name}`);
}

describe('proxy e2e: watch and convergence', function () {
  this.timeout(90_000);
  let e: E2E;
  beforeEach(async () => { e = await startE2E({ localPods: 2, remotePods: 1 }); });
  afterEach(async () => { await e?.stop(); });

  it('a new Service works within a second (a sync or two: Service and slices come on separate watches), from outside and from a pod, IPv4 and IPv6', async () => {
    const t0 = Date.now();
    e.cluster.apply(echoService('web'));
    const [v4, v6] = clusterIPs(e.cluster, 'web');
    await eventually(() => e.topo.client.tcp(v4!, 80, 300), (a) => a.ok, 5000, 20);
    assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
    assert.deepEqual(uniq(await answers(e.topo.client, v4!, 80, 30)), ['pod-a0', 'pod-a1', 'pod-b0']);
    assert.deepEqual(uniq(await answers(e.topo.pod('pod-a0').agent, v6!, 80, 30)), ['pod-a0', 'pod-a1', 'pod-b0']);
    const udp = await e.topo.client.udp(v4!, 53);
    assert.ok(udp.ok && /^pod-/.test(udp.reply!), JSON.stringify(udp));
  });

  it('a deleted pod leaves the Service at the next sync; a new one joins it', async () => {
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => uniq(a).length === 3);
    let synced = e.proxy.nextSync();
    e.cluster.deletePod('pod-a1', 'default', 0);
    await e.cluster.settle();
    await synced;
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => !a.includes('pod-a1'), 3000);
    assert.deepEqual(uniq(await answers(e.topo.client, ip!, 80, 30)), ['pod-a0', 'pod-b0']);
    synced = e.proxy.nextSync();
    const p = e.topo.pod('pod-a1');
    e.cluster.createPod({ name: 'pod-a1-new', labels: { app: 'echo' }, nodeName: 'node-a', ips: [p.ipv4, p.ipv6] });
    await synced;
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => a.includes('pod-a1'), 3000);
  });

  it('converges after 410 Gone and dropped watches, and after the API server was down (restart with backoff)', async () => {
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => uniq(a).length === 3);
    // Every watch gets 410 Expired: the informers must relist, and see the deletion made meanwhile.
    e.cluster.expireNextWatches(6);
    e.cluster.compact();
    e.cluster.dropWatches();
    e.cluster.deletePod('pod-b0', 'default', 0);
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => !a.includes('pod-b0'), 15_000);
    // The API server goes away for 3 s; a change is made while it is down.
    const restarted = e.cluster.restart(3000);
    await new Promise((r) => setTimeout(r, 300));
    e.cluster.deletePod('pod-a0', 'default', 0);
    await restarted;
    await e.proxy.waitFor((l) => l.msg === 'Watch failed; restarting', 5000);
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => uniq(a).join() === 'pod-a1', 20_000);
  });
});

describe('proxy e2e: the compiled binary', function () {
  this.timeout(90_000);
  let e: E2E | undefined;
  const log = join(tmpdir(), `dataplane-modules-${process.pid}.log`);
  afterEach(async () => {
    await e?.stop();
    rmSync(log, { force: true });
  });

  it('dist/proxy/main.js (client-node bundled by the build) serves a Service, and loads no module of @kubernetes/client-node', async () => {
    const bundle = join(import.meta.dirname, '../../dist/proxy/watch/k8s.js');
    assert.ok(existsSync(bundle), `${bundle} is missing: npm run build:ts`);
    assert.ok(!/from\s*["']@kubernetes\//.test(readFileSync(bundle, 'utf8')), `${bundle} imports client-node: it was not bundled (npm run build:ts)`);
    const hook = pathToFileURL(join(import.meta.dirname, '../fixtures/proxy/module-log.mjs')).href;
    e = await startE2E({ localPods: 1, remotePods: 1, run: { compiled: true, nodeOptions: ['--import', hook], env: { DATAPLANE_MODULE_LOG: log } } });
    e.cluster.apply(echoService('web'));
    const [v4] = clusterIPs(e.cluster, 'web');
    await eventually(() => answers(e!.topo.client, v4!, 80, 20), (a) => uniq(a).length === 2, 5000);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(loaded.some((u) => u.endsWith('/dist/proxy/watch/k8s.js')), 'the bundle was loaded');
    assert.ok(loaded.some((u) => u.endsWith('/dist/proxy/server.js')), 'the module log covers the whole run');
    assert.deepEqual(loaded.filter((u) => u.includes('/node_modules/@kubernetes/')), []);
  });
});

describe('proxy e2e: repair, restart, cleanup', function () {
  this.timeout(90_000);
  let e: E2E;
  afterEach(async () => { await e?.stop(); });

  it('a tampered ruleset is repaired by the next periodic full sync', async () => {
    e = await startE2E({ localPods: 2, remotePods: 0, proxyArgs: ['--iptables-sync-period=3s'] });
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => e.topo.client.tcp(ip!, 80), (a) => a.ok);
    const tables = ourTables(e.topo.nodeNs);
    assert.ok(tables.length > 0);
    for (const t of tables) sh('ip', ['netns', 'exec', e.topo.nodeNs, 'nft', 'flush', 'table', ...t.split(' ')]);
    assert.equal((await e.topo.client.tcp(ip!, 80, 500)).ok, false, 'flushed: the ClusterIP answers nothing');
    // Nothing changes in the cluster: only the periodic full sync (every 3 s) can bring it back.
    await eventually(() => e.topo.client.tcp(ip!, 80, 300), (a) => a.ok, 8000);
    assert.deepEqual(uniq(await answers(e.topo.client, ip!, 80, 20)), ['pod-a0', 'pod-a1']);
  });

  it('restarting the proxy breaks no established TCP connection', async () => {
    e = await startE2E({ localPods: 2, remotePods: 1 });
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => answers(e.topo.client, ip!, 80, 20), (a) => uniq(a).length === 3);
    const conns: { conn: number; pod: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await e.topo.client.request({ op: 'open', host: ip, port: 80 });
      assert.ok(a.ok, JSON.stringify(a));
      conns.push({ conn: a.conn!, pod: a.reply!.split(' ')[0]! });
    }
    const echo = async (): Promise<void> => {
      for (const c of conns) {
        const a = await e.topo.client.request({ op: 'send', conn: c.conn, line: 'still there?' });
        assert.equal(a.reply, `${c.pod} still there?`, JSON.stringify(a));
      }
    };
    await echo();
    assert.equal(await e.proxy.stop('SIGTERM'), 0);
    await echo();
    await e.restartProxy();
    await echo();
    assert.deepEqual(uniq(await answers(e.topo.client, ip!, 80, 20)), ['pod-a0', 'pod-a1', 'pod-b0']);
    await echo();
  });

  it('--detect-local-mode=NodeCIDR takes the Node\'s pod CIDRs: a local pod keeps its source, the outside client is masqueraded', async () => {
    e = await startE2E({ localPods: 2, remotePods: 0, proxyArgs: ['--detect-local-mode=NodeCIDR'] });
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    // pod-a0 to pod-a1 (not to itself: a hairpin is always masqueraded).
    const fromPod = await eventually(() => e.topo.pod('pod-a0').agent.tcp(ip!, 80), (a) => a.ok && a.reply!.startsWith('pod-a1'));
    assert.equal(fromPod.reply, 'pod-a1 10.244.1.10');
    const fromOutside = await eventually(() => e.topo.client.tcp(ip!, 80), (a) => a.ok && a.reply!.startsWith('pod-a1'));
    assert.equal(fromOutside.reply, 'pod-a1 10.244.1.1', 'SNAT to the node\'s address on the pod\'s link');
  });

  it('--cleanup removes everything the proxy created and exits 0', async () => {
    e = await startE2E({ localPods: 1, remotePods: 0 });
    e.cluster.apply(echoService('web', { type: 'NodePort' }));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => e.topo.client.tcp(ip!, 80), (a) => a.ok);
    assert.notDeepEqual(ourTables(e.topo.nodeNs), []);
    assert.equal(await e.proxy.stop(), 0);
    const r = runProxy(e.topo.nodeNs, ['--cleanup']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ourTables(e.topo.nodeNs), []);
    assert.doesNotMatch(sh('ip', ['netns', 'exec', e.topo.nodeNs, 'nft', 'list', 'ruleset']), /dataplane-proxy/);
    assert.equal((await e.topo.client.tcp(ip!, 80, 500)).ok, false);
    assert.equal(runProxy(e.topo.nodeNs, ['--cleanup']).status, 0, 'a second cleanup finds nothing and succeeds');
  });
});

describe('proxy e2e: health and metrics', function () {
  this.timeout(90_000);
  let e: E2E;
  beforeEach(async () => { e = await startE2E({ localPods: 2, remotePods: 1 }); });
  afterEach(async () => { await e?.stop(); });

  it('/healthz, /livez, /proxyMode and kube-proxy\'s metrics with the values of what happened', async () => {
    const h = await e.get('/healthz');
    assert.equal(h.status, 200);
    assert.match(h.body, /^\{"lastUpdated": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC","currentTime": ".*", "nodeEligible": true\}$/);
    assert.equal((await e.get('/livez')).status, 200);
    assert.equal((await e.get('/proxyMode', 10249)).body, 'nftables');
    const synced = e.proxy.nextSync();
    e.cluster.apply(echoService('web'));
    await synced;
    await eventually(() => e.metric('kubeproxy_sync_proxy_rules_endpoint_changes_total'), (v) => (v ?? 0) >= 2);
    assert.ok((await e.metric('kubeproxy_sync_proxy_rules_service_changes_total'))! >= 2, 'web and the kubernetes Service');
    assert.equal(await e.metric('kubeproxy_sync_full_proxy_rules_duration_seconds_count', { ip_family: 'IPv4' }), 1);
    assert.ok((await e.metric('kubeproxy_sync_partial_proxy_rules_duration_seconds_count', { ip_family: 'IPv6' }))! >= 1);
    const last = await e.metric('kubeproxy_sync_proxy_rules_last_timestamp_seconds', { ip_family: 'IPv4' });
    assert.ok(last !== undefined && Math.abs(last - Date.now() / 1000) < 30);
    assert.equal(await e.metric('kubeproxy_sync_proxy_rules_nftables_sync_failures_total', { ip_family: 'IPv4' }), 0);
    assert.ok((await e.metric('kubeproxy_network_programming_duration_seconds_count', { ip_family: 'IPv4' }) ?? 0) >= 0);
    assert.ok((await e.metric('process_resident_memory_bytes'))! > 10e6);
    assert.ok((await e.metric('kubeproxy_proxy_healthz_total', { code: '200' }))! >= 1);
    // The node goes away: /healthz tells load balancers to stop sending (503), /livez stays 200.
    e.cluster.delete('Node', 'node-a');
    const gone = await eventually(() => e.get('/healthz'), (r) => r.status === 503);
    assert.match(gone.body, /"nodeEligible": false\}$/);
    assert.equal((await e.get('/livez')).status, 200);
    assert.ok((await e.metric('kubeproxy_proxy_healthz_total', { code: '503' }))! >= 1);
  });

  it('a LoadBalancer with externalTrafficPolicy Local: its healthCheckNodePort answers from node-a by local ready endpoints', async () => {
    e.cluster.apply(echoService('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    const port = e.cluster.get('Service', 'lb')!.spec.healthCheckNodePort as number;
    assert.ok(port > 0);
    const url = `http://${e.topo.nodeIPs['node-a'][4]}:${port}/`;
    const ok = await eventually(() => e.topo.client.http(url), (a) => a.ok && a.status === 200);
    assert.equal(ok.headers!['x-load-balancing-endpoint-weight'], '2');
    assert.deepEqual(JSON.parse(ok.body!), { service: { namespace: 'default', name: 'lb' }, localEndpoints: 2, serviceProxyHealthy: true });
    e.cluster.setPodReady('pod-a0', false);
    e.cluster.setPodReady('pod-a1', false);
    const down = await eventually(() => e.topo.client.http(url), (a) => a.ok && a.status === 503);
    assert.equal(JSON.parse(down.body!).localEndpoints, 0);
    e.cluster.delete('Service', 'lb');
    await eventually(() => e.topo.client.http(url, 500), (a) => !a.ok);
  });
});

describe('proxy e2e: UDP and SCTP conntrack cleanup', function () {
  this.timeout(90_000);
  let e: E2E;
  beforeEach(async () => { e = await startE2E({ localPods: 2, remotePods: 1 }); });
  afterEach(async () => { await e?.stop(); });

  /** A selector-less UDP Service whose one EndpointSlice lists exactly `pods`. */
  function setEndpoints(pods: string[]): void {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'dns-manual', namespace: 'default', labels: { 'kubernetes.io/service-name': 'dns' } },
      addressType: 'IPv4', ports: [{ name: 'udp', protocol: 'UDP', port: UDP_PORT }],
      endpoints: pods.map((p) => ({ addresses: [e.topo.pod(p).ipv4], conditions: { ready: true }, nodeName: e.topo.pod(p).node })),
    };
    if (pods.length === 0) e.cluster.delete('EndpointSlice', 'dns-manual');
    else e.cluster.apply(slice);
  }

  it('a flow to an endpoint that went away is deleted, so the same client flow reaches a live one; also when none is left', async () => {
    e.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns', namespace: 'default' }, spec: { ports: [{ name: 'udp', protocol: 'UDP', port: 53, targetPort: UDP_PORT }] } });
    const [ip] = clusterIPs(e.cluster, 'dns');
    setEndpoints(['pod-a1']);
    const client = e.topo.pod('pod-a0').agent;
    const send = () => client.udp(ip!, 53, { sourcePort: 40053 });
    const first = await eventually(send, (a) => a.ok);
    assert.equal(first.reply, 'pod-a1 10.244.1.10');
    // pod-a1 still runs and still answers, and the client keeps sending (every 100 ms, well inside
    // the flow's timeout): only the conntrack cleanup can move this flow to pod-b0.
    setEndpoints(['pod-b0']);
    await eventually(send, (a) => a.reply === 'pod-b0 10.244.1.10', 5000);
    assert.ok((await e.metric('kubeproxy_conntrack_reconciler_deleted_entries_total', { ip_family: 'IPv4' }))! >= 1);
    const flows = () => sh('ip', ['netns', 'exec', e.topo.nodeNs, 'conntrack', '-L', '-p', 'udp', '--orig-dst', ip!]);
    assert.doesNotMatch(flows(), /src=10\.244\.1\.11 /, 'no flow left whose reply comes from pod-a1');
    // No endpoint left: the flow to pod-b0 goes too, and the service now refuses.
    setEndpoints([]);
    await eventually(send, (a) => !a.ok, 5000);
    assert.doesNotMatch(flows(), /src=10\.244\.2\.10 /);
  });

  it('SCTP flows too (a real INIT from a pod; its flow would outlive the test unless the proxy deletes it)', async () => {
    // Keep the half-open association (COOKIE_WAIT, then CLOSED once the pod answers ICMP: it has no
    // SCTP) for 5 minutes, so that only a deletion can end it within the test.
    sh('ip', ['netns', 'exec', e.topo.nodeNs, 'sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_sctp_timeout_cookie_wait=300',
      'net.netfilter.nf_conntrack_sctp_timeout_closed=300']);
    e.cluster.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'sig', namespace: 'default' }, spec: { ports: [{ name: 'sig', protocol: 'SCTP', port: 3868 }] } });
    const [ip] = clusterIPs(e.cluster, 'sig');
    const slice = (pod: string) => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'sig-manual', namespace: 'default', labels: { 'kubernetes.io/service-name': 'sig' } },
      addressType: 'IPv4', ports: [{ name: 'sig', protocol: 'SCTP', port: 3868 }],
      endpoints: [{ addresses: [e.topo.pod(pod).ipv4], conditions: { ready: true } }],
    });
    e.cluster.apply(slice('pod-a1'));
    const flows = () => sh('ip', ['netns', 'exec', e.topo.nodeNs, 'conntrack', '-L', '-p', 'sctp', '--orig-dst', ip!]);
    await eventually(async () => {
      sh('ip', ['netns', 'exec', e.topo.pod('pod-a0').ns, 'python3', SCTP_INIT, ip!, '3868', '40868']);
      return flows();
    }, (f) => /src=10\.244\.1\.11 /.test(f), 5000);
    e.cluster.apply(slice('pod-b0'));
    await eventually(async () => flows(), (f) => !/src=10\.244\.1\.11 /.test(f), 5000);
  });
});

