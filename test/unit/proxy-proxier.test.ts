// The proxier driven by informer events on a fake clock, against a recording
// Backend: when syncs happen, full or partial, with which changed keys;
// failures and retries; node changes; and the metrics and health it keeps.
import assert from 'node:assert/strict';

import { FakeClock } from '../../src/proxy/clock.js';
import { ConntrackReconciler, type ConntrackClient } from '../../src/proxy/conntrack-reconciler.js';
import { ProxyHealth } from '../../src/proxy/health/proxy-health.js';
import { ProxyMetrics } from '../../src/proxy/metrics.js';
import { Proxier, type SyncOutcome } from '../../src/proxy/proxier.js';
import { k8sNode, service, slice, sliceEndpoint } from '../fixtures/proxy/model.js';
import { RecordingBackend } from '../fixtures/proxy/recording-backend.js';

function setup(o: { min?: number; max?: number; families?: (4 | 6)[]; conntrack?: ConntrackClient } = {}) {
  const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
  const backend = new RecordingBackend();
  const families = o.families ?? [4];
  const metrics = new ProxyMetrics('nftables', families, { processMetrics: false });
  const health = new ProxyHealth(2 * (o.max ?? 30_000), clock);
  const outcomes: SyncOutcome[] = [];
  const proxier = new Proxier({
    nodeName: 'node-a', families, backend, minSyncPeriodMs: o.min ?? 0, syncPeriodMs: o.max ?? 30_000, metrics, health, clock,
    onSync: (s) => outcomes.push(s),
    ...(o.conntrack !== undefined ? { conntrack: new ConntrackReconciler(o.conntrack, { metrics, clock }) } : {}),
  });
  return { clock, backend, metrics, health, proxier, outcomes };
}

/** A metric's value with these labels (for a histogram: its sample count). */
async function value(metrics: ProxyMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
  const v = values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l) &&
    (x.metricName === undefined || x.metricName === name || x.metricName === `${name}_count`));
  return v?.value;
}

/** Starts the proxier with both informers listed (its first sync is then due). */
function startSynced(proxier: Proxier): void {
  proxier.start();
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
}

const web = service('web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] });
const dns = service('dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] });
const webSlice = (...ips: string[]) => slice('web-1', 'web', [{ name: 'http', port: 8080 }], ips.map((ip) => sliceEndpoint(ip, { nodeName: 'node-b' })));

describe('proxy: Proxier', () => {
  it('waits for both informers, then does one full sync of everything', async () => {
    const { clock, backend, proxier } = setup();
    proxier.start();
    proxier.onServiceAdd(web);
    proxier.onEndpointSliceAdd(webSlice('10.244.1.1'));
    proxier.onServicesSynced();
    await clock.advance(10);
    assert.equal(backend.syncs.length, 0, 'endpoint slices not listed yet');
    proxier.onEndpointSlicesSynced();
    await clock.advance(10);
    assert.equal(backend.syncs.length, 1);
    assert.equal(backend.last!.full, true);
    assert.deepEqual([...backend.last!.services.keys()], ['ns/web:http/tcp']);
    assert.deepEqual(backend.last!.endpoints.get('ns/web:http/tcp')!.map((e) => e.key), ['10.244.1.1:8080']);
  });

  it('later changes are partial syncs of exactly the keys that changed', async () => {
    const { clock, backend, proxier } = setup();
    startSynced(proxier);
    proxier.onServiceAdd(web);
    await clock.advance(1);
    proxier.onServiceAdd(dns);
    await clock.advance(1);
    assert.deepEqual(backend.syncs.map((s) => [s.full, s.changed]), [[true, ['ns/web:http/tcp']], [false, ['ns/dns:dns/udp']]]);
    proxier.onEndpointSliceAdd(webSlice('10.244.1.1', '10.244.1.2'));
    await clock.advance(1);
    assert.deepEqual(backend.last!.changed, ['ns/web:http/tcp']);
    assert.equal(backend.last!.full, false);
    assert.equal(backend.last!.endpoints.get('ns/web:http/tcp')!.length, 2);
    proxier.onServiceDelete(web);
    await clock.advance(1);
    assert.deepEqual(backend.last!.changed, ['ns/web:http/tcp']);
    assert.equal(backend.last!.services.has('ns/web:http/tcp'), false, 'a deleted key is in changed but absent from the state');
  });

  it('an event that changes nothing queues no sync', async () => {
    const { clock, backend, proxier } = setup();
    startSynced(proxier);
    proxier.onServiceAdd(web);
    await clock.advance(1);
    const n = backend.syncs.length;
    proxier.onServiceUpdate(web, { ...web, metadata: { ...web.metadata, resourceVersion: '2', annotations: { a: 'b' } } });
    proxier.onEndpointSliceUpdate(slice('other', 'x', [], [], { addressType: 'FQDN' }), false);
    await clock.advance(1000);
    assert.equal(backend.syncs.length, n);
  });

  it('bursts 2 syncs, then at most one per min-sync-period; the periodic resync is full', async () => {
    const { clock, backend, proxier } = setup({ min: 1000, max: 30_000 });
    startSynced(proxier);
    await clock.advance(1);
    for (let i = 0; i < 5; i++) {
      proxier.onServiceAdd(service(`s${i}`, { ports: [{ port: 80 }] }));
      await clock.advance(10);
    }
    assert.equal(backend.syncs.length, 2, 'the initial sync and one burst');
    await clock.advance(1000);
    assert.equal(backend.syncs.length, 3);
    assert.equal(backend.last!.changed.length, 4, 'the coalesced changes of four services');
    await clock.advance(30_000);
    assert.equal(backend.syncs.length, 4);
    assert.equal(backend.last!.full, true);
    assert.deepEqual(backend.last!.changed, []);
  });

  it('a failed sync is retried as a full sync, counted in the failures metric; health goes 503 after 2x sync period', async () => {
    const { clock, backend, proxier, metrics, health, outcomes } = setup({ max: 10_000 });
    startSynced(proxier);
    await clock.advance(1);
    assert.equal(health.isHealthy(), true);
    backend.failNext = 3;
    proxier.onServiceAdd(web);
    await clock.advance(1);
    assert.equal(outcomes[outcomes.length - 1]!.error instanceof Error, true);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total', { ip_family: 'IPv4' }), 1);
    await clock.advance(1000);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total', { ip_family: 'IPv4' }), 2);
    await clock.advance(2000);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total', { ip_family: 'IPv4' }), 3);
    assert.equal(health.isHealthy(), true, 'not yet 2x sync period');
    await clock.advance(4000);
    assert.equal(backend.last!.full, true, 'the retry after failures is full');
    assert.deepEqual([...backend.last!.services.keys()], ['ns/web:http/tcp']);
    assert.equal(health.isHealthy(), true);

    backend.failNext = 100;
    proxier.onServiceAdd(dns);
    await clock.advance(19_999);
    assert.equal(health.isHealthy(), true);
    await clock.advance(1);
    assert.equal(health.isHealthy(), false, 'a queued update not applied within 2x the sync period');
    assert.equal(health.respond('/healthz').code, 503);
    backend.failNext = 0;
    await clock.advance(10_000);
    assert.equal(health.isHealthy(), true);
  });

  it('a node label change (topology) triggers a full sync; an unchanged node does not', async () => {
    const { clock, backend, proxier, health } = setup();
    proxier.start();
    proxier.onNodeUpdate(k8sNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    proxier.onServicesSynced();
    proxier.onEndpointSlicesSynced();
    await clock.advance(1);
    proxier.onServiceAdd(web);
    await clock.advance(1);
    assert.equal(backend.last!.full, false);
    proxier.onNodeUpdate(k8sNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z1' } }));
    await clock.advance(1);
    const n = backend.syncs.length;
    proxier.onNodeUpdate(k8sNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z2' } }));
    await clock.advance(1);
    assert.equal(backend.syncs.length, n + 1);
    assert.equal(backend.last!.full, true);
    assert.deepEqual(backend.last!.nodeLabels, { 'topology.kubernetes.io/zone': 'z2' });
    proxier.onNodeUpdate(k8sNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'z2' }, deleting: true }));
    assert.equal(health.respond('/healthz').code, 503, 'the node is being deleted');
    assert.equal(health.respond('/livez').code, 200, 'livez ignores the node');
  });

  it('keeps the change and sync metrics', async () => {
    const { clock, proxier, metrics } = setup({ families: [4, 6] });
    startSynced(proxier);
    await clock.advance(1);
    const trigger = new Date(clock.now() + 500).toISOString();
    await clock.advance(2000);
    proxier.onServiceAdd(web);
    proxier.onEndpointSliceAdd(slice('web-1', 'web', [{ name: 'http', port: 8080 }], [sliceEndpoint('10.244.1.1')],
      { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } }));
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 1);
    await clock.advance(1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 0);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 0);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_service_changes_total'), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_total'), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_full_proxy_rules_duration_seconds', { ip_family: 'IPv6' }), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_partial_proxy_rules_duration_seconds', { ip_family: 'IPv4' }), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_duration_seconds', { ip_family: 'IPv4' }), 2);
    const last = await value(metrics, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', { ip_family: 'IPv4' });
    assert.ok(last !== undefined && last <= clock.now() / 1000 && last >= (clock.now() - 1) / 1000);
    const text = await metrics.text();
    // The slice's trigger time was 1.5 s before the sync: one sample, in the (1, 2] bucket.
    assert.match(text, /kubeproxy_network_programming_duration_seconds_bucket\{le="1",ip_family="IPv4"\} 0/);
    assert.match(text, /kubeproxy_network_programming_duration_seconds_bucket\{le="2",ip_family="IPv4"\} 1/);
    assert.match(text, /kubeproxy_network_programming_duration_seconds_count\{ip_family="IPv4"\} 1/);
  });

  it('counts service ports with a Local policy and no local endpoint', async () => {
    const { clock, proxier, metrics } = setup();
    startSynced(proxier);
    proxier.onServiceAdd(service('itp', { internalTrafficPolicy: 'Local', ports: [{ port: 80 }] }));
    proxier.onServiceAdd(service('etp', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30080 }] }));
    proxier.onEndpointSliceAdd(slice('itp-1', 'itp', [{ port: 80 }], [sliceEndpoint('10.244.2.1', { nodeName: 'node-b' })]));
    proxier.onEndpointSliceAdd(slice('etp-1', 'etp', [{ port: 80 }], [sliceEndpoint('10.244.2.2', { nodeName: 'node-b' })]));
    await clock.advance(1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'internal' }), 1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'external' }), 1);
    proxier.onEndpointSliceUpdate(slice('itp-1', 'itp', [{ port: 80 }], [sliceEndpoint('10.244.2.1', { nodeName: 'node-a' })]), false);
    await clock.advance(1);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'internal' }), 0);
    assert.equal(await value(metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'external' }), 1);
  });

  it('reconciles conntrack after a sync that touched a UDP service, not after a TCP-only change', async () => {
    const lists: string[] = [];
    const ct: ConntrackClient = {
      list: async (f) => { lists.push(`${f?.family}/${String(f?.protocol)}`); return []; },
      deleteEntries: async () => 0,
    };
    const { clock, proxier } = setup({ conntrack: ct });
    startSynced(proxier);
    await clock.advance(1);
    assert.deepEqual(lists, ['4/udp', '4/sctp'], 'the first (full) sync reconciles');
    proxier.onServiceAdd(web);
    await clock.advance(1);
    assert.equal(lists.length, 2);
    proxier.onServiceAdd(dns);
    await clock.advance(1);
    assert.equal(lists.length, 4);
  });

  it('stop() ends the periodic syncs', async () => {
    const { clock, backend, proxier } = setup({ max: 1000 });
    startSynced(proxier);
    await clock.advance(1);
    await proxier.stop();
    await clock.advance(10_000);
    assert.equal(backend.syncs.length, 1);
  });
});
