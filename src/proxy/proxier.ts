// The proxier: informer events -> change trackers -> (runner) -> one sync of
// the backend with the whole model and the keys that changed; then health,
// metrics, service health checks and conntrack cleanup. The part of
// kube-proxy's per-mode Proxier that is the same in every mode.
import type { IpFamily } from '../addr.js';
import type { Backend, SyncResult } from './backend/backend.js';
import { realClock, type Clock } from './clock.js';
import { needsReconcile, type ConntrackReconciler } from './conntrack-reconciler.js';
import type { ProxyHealth } from './health/proxy-health.js';
import type { ServiceHealthServer } from './health/service-health.js';
import { silentLogger, type ProxyLogger } from './log.js';
import { familyLabel, type ProxyMetrics } from './metrics.js';
import type { EndpointsMap } from './model/endpointslices.js';
import type { EndpointSlice, Node, Service } from './model/k8s.js';
import { nodeEligible, nodeInfo, nodeNeedsFullSync } from './model/node.js';
import { EndpointsChangeTracker, ServiceChangeTracker } from './model/trackers.js';
import type { NodeInfo, ProxyState, ServicePort } from './model/types.js';
import { BoundedFrequencyRunner, type RunReason } from './runner.js';
import { HealthCheckPorts, NoLocalEndpoints } from './sync-stats.js';

export interface ProxierOptions {
  readonly nodeName: string;
  readonly families: readonly IpFamily[];
  readonly backend: Backend;
  /** --iptables-min-sync-period (ms). */
  readonly minSyncPeriodMs: number;
  /** --iptables-sync-period (ms): the periodic full resync. */
  readonly syncPeriodMs: number;
  readonly serviceProxyName?: string;
  /** --bind-address: overrides the Node object's primary IPs. */
  readonly nodeIPOverride?: readonly string[];
  readonly metrics?: ProxyMetrics;
  readonly health?: ProxyHealth;
  readonly serviceHealth?: ServiceHealthServer;
  readonly conntrack?: ConntrackReconciler;
  readonly clock?: Clock;
  readonly log?: ProxyLogger;
  /** Called after every sync attempt (tests, demo output). */
  readonly onSync?: (outcome: SyncOutcome) => void;
}

/** What one sync did. */
export interface SyncOutcome {
  readonly full: boolean;
  readonly reason: RunReason;
  readonly changed: ReadonlySet<string>;
  readonly durationMs: number;
  readonly result?: SyncResult;
  readonly error?: unknown;
}

export class Proxier {
  readonly #o: ProxierOptions;
  readonly #clock: Clock;
  readonly #log: ProxyLogger;
  readonly #services: ServiceChangeTracker;
  readonly #endpoints: EndpointsChangeTracker;
  readonly #serviceMap = new Map<string, ServicePort>();
  readonly #endpointsMap: EndpointsMap = new Map();
  readonly #noLocal = new NoLocalEndpoints();
  readonly #healthChecks = new HealthCheckPorts();
  readonly #runner: BoundedFrequencyRunner;
  #node: NodeInfo;
  #needFullSync = true;
  #nodeSeen = false;
  #servicesSynced = false;
  #slicesSynced = false;

  constructor(o: ProxierOptions) {
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#log = o.log ?? silentLogger;
    this.#services = new ServiceChangeTracker({ families: o.families, serviceProxyName: o.serviceProxyName ?? '' });
    this.#endpoints = new EndpointsChangeTracker(o.nodeName, o.families, () => this.#clock.now());
    this.#node = nodeInfo(o.nodeName, undefined, o.nodeIPOverride);
    this.#runner = new BoundedFrequencyRunner((reason) => this.syncProxyRules(reason),
      { minIntervalMs: o.minSyncPeriodMs, maxIntervalMs: o.syncPeriodMs, burst: 2, clock: this.#clock });
  }

  /** The model as the backend sees it (live maps: read, don't keep). */
  get state(): ProxyState {
    return { services: this.#serviceMap, endpoints: this.#endpointsMap, node: this.#node };
  }

  /** Both the Service and the EndpointSlice informers have listed once. */
  get initialized(): boolean {
    return this.#servicesSynced && this.#slicesSynced;
  }

  /** Starts the runner (the periodic resync); the first sync runs once both informers have synced. */
  start(): void {
    this.#runner.start();
    if (this.initialized) this.sync();
  }

  /** Stops the runner, waiting for a sync in progress. */
  async stop(): Promise<void> {
    await this.#runner.stop();
  }

  /** Queues a sync (kube-proxy's Proxier.Sync): the health timeout starts, the runner runs when allowed. */
  sync(): void {
    for (const f of this.#o.families) {
      this.#o.health?.queuedUpdate(f);
      this.#o.metrics?.lastQueuedTimestamp.labels(familyLabel(f)).set(this.#clock.now() / 1000);
    }
    this.#runner.run();
  }

  onServiceAdd(svc: Service): void { this.onServiceUpdate(undefined, svc); }
  onServiceDelete(svc: Service): void { this.onServiceUpdate(svc, undefined); }

  /** A Service was added (`previous` undefined), changed, or deleted (`current` undefined). */
  onServiceUpdate(previous: Service | undefined, current: Service | undefined): void {
    this.#o.metrics?.serviceChangesTotal.inc();
    const pending = this.#services.update(previous, current);
    this.#o.metrics?.serviceChangesPending.set(this.#services.pending);
    if (pending && this.initialized) this.sync();
  }

  onServicesSynced(): void {
    if (this.#servicesSynced) return;
    this.#servicesSynced = true;
    if (this.initialized) this.sync();
  }

  onEndpointSliceAdd(slice: EndpointSlice): void { this.onEndpointSliceUpdate(slice, false); }
  onEndpointSliceDelete(slice: EndpointSlice): void { this.onEndpointSliceUpdate(slice, true); }

  /** A slice was added or changed (removed = false) or deleted. */
  onEndpointSliceUpdate(slice: EndpointSlice, removed: boolean): void {
    this.#o.metrics?.endpointChangesTotal.inc();
    const changed = this.#endpoints.endpointSliceUpdate(slice, removed);
    this.#o.metrics?.endpointChangesPending.set(this.#endpoints.pending);
    if (changed && this.initialized) this.sync();
  }

  onEndpointSlicesSynced(): void {
    if (this.#slicesSynced) return;
    this.#slicesSynced = true;
    if (this.initialized) this.sync();
  }

  /** This node's Node object was added or changed (undefined: deleted). A label or primary IP change means a full sync. */
  onNodeUpdate(node: Node | undefined): void {
    const next = nodeInfo(this.#o.nodeName, node, this.#o.nodeIPOverride);
    this.#o.health?.setNodeEligible(node !== undefined && nodeEligible(node));
    if (!nodeNeedsFullSync(this.#node, next)) {
      this.#node = next;
      this.#nodeSeen ||= node !== undefined;
      return;
    }
    const about = { node: this.#o.nodeName, labels: next.labels, primaryIPs: next.primaryIPs };
    if (this.#nodeSeen) this.#log.info(about, 'Node labels or IPs changed: full sync');
    else this.#log.debug(about, 'Node seen');
    this.#nodeSeen = node !== undefined;
    this.#node = next;
    this.#needFullSync = true;
    if (this.initialized) this.sync();
  }

  /**
   * One sync (called by the runner): applies pending changes and brings the
   * backend in line; full at start, after a failure, on the periodic resync
   * and after a node change, otherwise partial. Resolves false on failure.
   */
  async syncProxyRules(reason: RunReason): Promise<boolean> {
    if (!this.initialized) return true;
    const started = this.#clock.now();
    const full = this.#needFullSync || reason === 'periodic';
    const svc = this.#services.applyTo(this.#serviceMap);
    const eps = this.#endpoints.applyTo(this.#endpointsMap);
    this.#o.metrics?.serviceChangesPending.set(0);
    this.#o.metrics?.endpointChangesPending.set(0);
    const changed = new Set([...svc.changed, ...eps.changed]);
    let result: SyncResult;
    try {
      result = await this.#o.backend.sync(this.state, { full, changed });
    } catch (error) {
      this.#needFullSync = true;
      for (const f of this.#o.families) this.#o.metrics?.syncFailures.labels(familyLabel(f)).inc();
      this.#log.error({ err: error instanceof Error ? error.message : String(error), full, changed: changed.size }, 'Sync failed; retrying with a full sync');
      this.#o.onSync?.({ full, reason, changed, durationMs: this.#clock.now() - started, error });
      return false;
    }
    this.#needFullSync = false;
    const done = this.#clock.now();
    this.#afterSync(full, changed, started, done, eps.triggerTimes);
    const health = this.#updateStats(full, changed);
    await this.#reconcileConntrack(full, changed);
    if (health) await this.#syncServiceHealth();
    // Logged once everything of this sync is done (conntrack cleaned, health checks open).
    this.#log.debug({ full, reason, changed: changed.size, written: result.written, ms: done - started }, 'Synced');
    this.#o.onSync?.({ full, reason, changed, durationMs: done - started, result });
    return true;
  }

  #afterSync(full: boolean, changed: ReadonlySet<string>, started: number, done: number,
    triggerTimes: ReadonlyMap<string, readonly { family: IpFamily; at: number }[]>): void {
    const m = this.#o.metrics;
    const seconds = (done - started) / 1000;
    for (const f of this.#o.families) {
      const l = familyLabel(f);
      m?.syncDuration.labels(l).observe(seconds);
      (full ? m?.syncFullDuration : m?.syncPartialDuration)?.labels(l).observe(seconds);
      m?.lastSyncTimestamp.labels(l).set(done / 1000);
      this.#o.health?.updated(f);
    }
    for (const times of triggerTimes.values()) {
      for (const t of times) m?.networkProgrammingDuration.labels(familyLabel(t.family)).observe(Math.max(0, done - t.at) / 1000);
    }
  }

  /** Recounts what depends on each changed key (all keys after a full sync); returns whether a health check is affected. */
  #updateStats(full: boolean, changed: ReadonlySet<string>): boolean {
    if (full) {
      this.#noLocal.clear();
      this.#healthChecks.clear();
    }
    let health = full;
    for (const key of full ? this.#serviceMap.keys() : changed.values()) {
      const sp = this.#serviceMap.get(key);
      const eps = this.#endpointsMap.get(key) ?? [];
      this.#noLocal.update(key, sp, eps, this.#node);
      if (this.#healthChecks.update(key, sp, eps)) health = true;
    }
    const m = this.#o.metrics;
    for (const f of this.#o.families) {
      const c = this.#noLocal.counts(f);
      m?.noLocalEndpoints.labels(familyLabel(f), 'internal').set(c.internal);
      m?.noLocalEndpoints.labels(familyLabel(f), 'external').set(c.external);
    }
    return health;
  }

  async #reconcileConntrack(full: boolean, changed: ReadonlySet<string>): Promise<void> {
    const ct = this.#o.conntrack;
    if (ct === undefined || (!full && !needsReconcile(changed))) return;
    for (const f of this.#o.families) {
      try {
        await ct.reconcile(this.state, f);
      } catch (e) {
        this.#log.error({ ipFamily: familyLabel(f), err: (e as Error).message }, 'Conntrack cleanup failed');
      }
    }
  }

  /** Opens/closes the health check listeners and sets their local endpoint counts. */
  async #syncServiceHealth(): Promise<void> {
    const hs = this.#o.serviceHealth;
    if (hs === undefined) return;
    await hs.syncServices(this.#healthChecks.ports());
    hs.syncEndpoints(this.#healthChecks.counts());
  }
}
