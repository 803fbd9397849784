// The proxy's Prometheus metrics, under kube-proxy's names, labels and
// buckets (pkg/proxy/metrics), in a registry of their own (so several
// proxiers can live in one process, as in tests), plus prom-client's
// process and Node.js metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IpFamily } from '../addr.js';
import type { ProxyMode } from './backend/backend.js';

/** kube-proxy's ip_family label values. */
export const familyLabel = (f: IpFamily): 'IPv4' | 'IPv6' => (f === 4 ? 'IPv4' : 'IPv6');

const exponential = (start: number, factor: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => start * factor ** i);
const linear = (start: number, width: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => start + width * i);

/** kube-proxy's NetworkProgrammingLatency buckets: 0, 0.25 s, 0.5 s, 1..59 s, 60..115 s, 2..5 min. */
const PROGRAMMING_BUCKETS = [0, ...linear(0.25, 0.25, 2), ...linear(1, 1, 59), ...linear(60, 5, 12), ...linear(120, 30, 7)];
const SYNC_BUCKETS = exponential(0.001, 2, 15);

/** Every metric the proxy exports. */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly syncDuration: Histogram<'ip_family'>;
  readonly syncFullDuration: Histogram<'ip_family'>;
  readonly syncPartialDuration: Histogram<'ip_family'>;
  readonly lastSyncTimestamp: Gauge<'ip_family'>;
  readonly lastQueuedTimestamp: Gauge<'ip_family'>;
  readonly networkProgrammingDuration: Histogram<'ip_family'>;
  readonly endpointChangesPending: Gauge;
  readonly endpointChangesTotal: Counter;
  readonly serviceChangesPending: Gauge;
  readonly serviceChangesTotal: Counter;
  readonly noLocalEndpoints: Gauge<'ip_family' | 'traffic_policy'>;
  /** kubeproxy_sync_proxy_rules_nftables_sync_failures_total (nftables) or ..._iptables_restore_failures_total. */
  readonly syncFailures: Counter<'ip_family'>;
  readonly healthzTotal: Counter<'code'>;
  readonly livezTotal: Counter<'code'>;
  readonly conntrackDeleted: Counter<'ip_family'>;
  readonly conntrackReconcileDuration: Histogram<'ip_family'>;

  constructor(mode: ProxyMode, families: readonly IpFamily[], opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const fam = ['ip_family'] as const;
    const histogram = (name: string, help: string, buckets = SYNC_BUCKETS): Histogram<'ip_family'> =>
      new Histogram({ name: `kubeproxy_${name}`, help, labelNames: fam, buckets, registers });
    this.syncDuration = histogram('sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds');
    this.syncFullDuration = histogram('sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs');
    this.syncPartialDuration = histogram('sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs');
    this.networkProgrammingDuration = histogram('network_programming_duration_seconds', 'In Cluster Network Programming Latency in seconds', PROGRAMMING_BUCKETS);
    this.conntrackReconcileDuration = histogram('conntrack_reconciler_sync_duration_seconds', 'ReconcileConntrackFlowsLatency latency in seconds');
    this.lastSyncTimestamp = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', labelNames: fam, registers });
    this.lastQueuedTimestamp = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: 'The last time a sync of proxy rules was queued', labelNames: fam, registers });
    this.endpointChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_pending', help: 'Pending proxy rules Endpoint changes', registers });
    this.endpointChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: 'Cumulative proxy rules Endpoint changes', registers });
    this.serviceChangesPending = new Gauge({ name: 'kubeproxy_sync_proxy_rules_service_changes_pending', help: 'Pending proxy rules Service changes', registers });
    this.serviceChangesTotal = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: 'Cumulative proxy rules Service changes', registers });
    this.noLocalEndpoints = new Gauge({
      name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', help: 'Number of services with a Local traffic policy and no endpoints',
      labelNames: ['ip_family', 'traffic_policy'], registers,
    });
    const failures = mode === 'nftables' ? 'sync_proxy_rules_nftables_sync_failures_total' : 'sync_proxy_rules_iptables_restore_failures_total';
    this.syncFailures = new Counter({ name: `kubeproxy_${failures}`, help: mode === 'nftables' ? 'Cumulative proxy nftables sync failures' : 'Cumulative proxy iptables restore failures', labelNames: fam, registers });
    this.healthzTotal = new Counter({ name: 'kubeproxy_proxy_healthz_total', help: 'Cumulative proxy healthz HTTP status', labelNames: ['code'], registers });
    this.livezTotal = new Counter({ name: 'kubeproxy_proxy_livez_total', help: 'Cumulative proxy livez HTTP status', labelNames: ['code'], registers });
    this.conntrackDeleted = new Counter({ name: 'kubeproxy_conntrack_reconciler_deleted_entries_total', help: 'Cumulative conntrack flows deleted by conntrack reconciler', labelNames: fam, registers });
    // Series that exist from the start, as kube-proxy's do once registered.
    for (const f of families) {
      const l = familyLabel(f);
      this.syncFailures.labels(l).inc(0);
      this.conntrackDeleted.labels(l).inc(0);
      for (const policy of ['internal', 'external']) this.noLocalEndpoints.labels(l, policy).set(0);
    }
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The text exposition format, as /metrics serves it. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
