// startTestCluster: the API server, its controllers and the test hooks in
// one process, listening on 127.0.0.1 unless told otherwise.

import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Api } from './api.js';
import { EndpointSliceController } from './controllers/endpointslice.js';
import { Kubelet, LoadBalancerController, NamespaceController } from './controllers/lifecycle.js';
import { ClusterHelpers } from './helpers.js';
import { ApiServer } from './http/server.js';
import { writeKubeconfig } from './kubeconfig.js';
import { lookupResource } from './resources.js';
import { loadState, restore, saveState, snapshot, type ClusterState } from './state.js';

/** Options of {@link startTestCluster}; every one has a default. */
export interface TestClusterOptions {
  /** Address to bind (default 127.0.0.1). There is no authentication: bind elsewhere only on purpose. */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Where to write the kubeconfig (default a file in the temporary directory, removed on stop). */
  kubeconfigPath?: string;
  /** Snapshot file: loaded on start when it exists, written on stop and by save(). */
  stateFile?: string;
  /** Service CIDRs, primary first (default 10.96.0.0/16 and fd00:10:96::/108). */
  serviceCidrs?: string[];
  /** Node port range, inclusive (default 30000-32767). */
  nodePortRange?: [number, number];
  /** Addresses or CIDRs LoadBalancer services get ingress IPs from (default none: they stay pending). */
  loadBalancerPool?: string[];
  /** Changes kept per resource for watches from an older resourceVersion (default 10000); older ones get 410 Expired. */
  eventWindow?: number;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default 60000 ms, as the API server's about a minute). */
  bookmarkIntervalMs?: number;
  /** Timeout of a watch that sets none (default: 30-60 minutes, as the API server picks). */
  watchTimeoutSeconds?: number;
  /** When a terminating pod goes: at the end of its grace period (default), or only on finishPodTermination(). */
  podTermination?: 'grace-period' | 'manual';
  /** Endpoints per EndpointSlice (default 100, kube-controller-manager's --max-endpoints-per-slice). */
  maxEndpointsPerSlice?: number;
  /** Milliseconds the EndpointSlice controller gathers changes before it reconciles (default 0). */
  endpointSliceBatchMs?: number;
}

const SERVICES = lookupResource('', 'v1', 'services')!;
const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;
const SLICES = lookupResource('discovery.k8s.io', 'v1', 'endpointslices')!;

/** A running test cluster. */
export class TestCluster extends ClusterHelpers {
  /** `http://127.0.0.1:PORT`. */
  url = '';
  port = 0;
  readonly host: string;
  readonly kubeconfigPath: string;
  private readonly server: ApiServer;
  private readonly slices: EndpointSliceController;
  private readonly namespaces: NamespaceController;
  private readonly loadBalancers: LoadBalancerController;
  private readonly kubelet: Kubelet;
  private stopped = false;

  private constructor(private readonly opts: TestClusterOptions, private readonly tempKubeconfig: boolean) {
    super(new Api({
      serviceCidrs: opts.serviceCidrs ?? ['10.96.0.0/16', 'fd00:10:96::/108'],
      nodePortRange: opts.nodePortRange ?? [30000, 32767],
      eventWindow: opts.eventWindow ?? 10_000,
    }));
    this.host = opts.host ?? '127.0.0.1';
    this.kubeconfigPath = opts.kubeconfigPath ?? join(tmpdir(), `dataplane-cluster-${process.pid}-${Math.random().toString(36).slice(2, 8)}.kubeconfig`);
    this.server = new ApiServer(this.api);
    if (opts.bookmarkIntervalMs !== undefined) this.server.watchControl.bookmarkIntervalMs = opts.bookmarkIntervalMs;
    if (opts.watchTimeoutSeconds !== undefined) { const t = opts.watchTimeoutSeconds; this.server.watchTimeoutSeconds = () => t; }
    this.slices = new EndpointSliceController(this.api, { maxEndpointsPerSlice: opts.maxEndpointsPerSlice ?? 100, batchMs: opts.endpointSliceBatchMs ?? 0 });
    this.namespaces = new NamespaceController(this.api);
    this.loadBalancers = new LoadBalancerController(this.api, opts.loadBalancerPool ?? []);
    this.kubelet = new Kubelet(this.api, opts.podTermination ?? 'grace-period');
    this.api.hooks.podTerminating = (pod) => this.kubelet.terminating(pod);
  }

  /** Starts a cluster: see {@link startTestCluster}. */
  static async start(opts: TestClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(opts, opts.kubeconfigPath === undefined);
    if (opts.stateFile !== undefined && existsSync(opts.stateFile)) c.load(loadState(opts.stateFile));
    c.port = await c.server.listen(c.host, opts.port ?? 0);
    const urlHost = c.host.includes(':') ? `[${c.host}]` : c.host;
    c.url = `http://${urlHost}:${c.port}`;
    c.bootstrap();
    writeKubeconfig(c.kubeconfigPath, c.url);
    c.slices.start();
    c.namespaces.start();
    c.loadBalancers.start();
    c.kubelet.resume();
    return c;
  }

  private load(state: ClusterState): void {
    restore(this.api.store, state);
    for (const e of this.api.store.table(SERVICES).entries()) this.api.allocator.restore(e.obj);
  }

  /** What the API server creates itself: the system namespaces and the `kubernetes` service and its slice. */
  private bootstrap(): void {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (this.api.find(NAMESPACES, undefined, name) === undefined) this.api.create(NAMESPACES, undefined, { metadata: { name } });
    }
    if (this.api.find(SERVICES, 'default', 'kubernetes') === undefined) {
      const ip = this.api.allocator.ips[0]!.address(1);
      this.api.create(SERVICES, 'default', {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { clusterIP: ip, ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: this.port }], ipFamilyPolicy: 'SingleStack' },
      });
    }
    const address = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    const slice = {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: address.includes(':') ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: [{ name: 'https', protocol: 'TCP', port: this.port }],
    };
    const have = this.api.find(SLICES, 'default', 'kubernetes');
    if (have === undefined) this.api.create(SLICES, 'default', slice);
    else this.api.update(SLICES, 'default', 'kubernetes', { ...slice, metadata: { ...slice.metadata, resourceVersion: have.metadata.resourceVersion } });
  }

  /** Resolves once the controllers have caught up with every change made so far. */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.slices.settle();
  }

  // -- fault injection -------------------------------------------------------------

  /** Ends every open watch cleanly; clients re-watch from their last resourceVersion. */
  dropWatches(): number {
    const n = this.server.watchers.size;
    for (const w of [...this.server.watchers]) w.end();
    return n;
  }

  /** The next `n` watch requests answer with a 410 Expired ERROR event (clients must re-list). */
  expireNextWatches(n = 1): void {
    this.server.watchControl.expireNext += n;
  }

  /** Forgets every change window (as an etcd compaction): a watch from any older resourceVersion gets 410. */
  compact(): void {
    this.api.store.compact();
  }

  /** Sends a BOOKMARK now on every watch that allows them. */
  sendBookmarks(): void {
    for (const w of this.server.watchers) w.bookmark();
  }

  /** Holds every new request until resume(). */
  pause(): void {
    this.server.pause();
  }

  resume(): void {
    this.server.resume();
  }

  /** Delays every request (0 to stop). */
  setLatency(ms: number): void {
    this.server.latencyMs = ms;
  }

  /** Open watches right now. */
  get watchCount(): number {
    return this.server.watchers.size;
  }

  /** Stops listening (cutting every connection) and listens again on the same port with the same state. */
  async restart(downtimeMs = 0): Promise<void> {
    await this.server.close();
    if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
    await this.server.listen(this.host, this.port);
  }

  /** Removes a terminating pod now, as its kubelet would once its containers stopped. */
  finishPodTermination(name: string, namespace = 'default'): void {
    this.kubelet.finish(namespace, name);
  }

  /** The cluster's objects and revision. */
  snapshot(): ClusterState {
    return snapshot(this.api.store);
  }

  /** Writes a snapshot (default: the stateFile option). */
  save(path = this.opts.stateFile): void {
    if (path === undefined) throw new TypeError('save(): no path and no stateFile option');
    saveState(path, this.api.store);
  }

  /** Stops the server and the controllers; writes the state file when there is one. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.slices.stop();
    this.namespaces.stop();
    this.loadBalancers.stop();
    this.kubelet.stop();
    await this.server.close();
    if (this.opts.stateFile !== undefined) this.save();
    if (this.tempKubeconfig) rmSync(this.kubeconfigPath, { force: true });
  }
}

/**
 * Starts an in-memory Kubernetes API server with its controllers (cluster IP
 * and node port allocation, EndpointSlices, load-balancer IPs, namespace and
 * pod lifecycle) and writes a kubeconfig for it. kubectl and
 * @kubernetes/client-node talk to it as to a real cluster.
 *
 * Equivalent to: `dataplane-cluster --port PORT --kubeconfig PATH`.
 */
export function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  return TestCluster.start(opts);
}

