// The running proxy (kube-proxy's ProxyServer): connects to the API, waits
// for its Node, builds and sets up the backend, then runs the proxier with
// its informers, the health and metrics servers, the service health checks
// and the conntrack reconciler. Everything is closed again by stop().
import { createServer, type Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { IpFamily } from '../addr.js';
import { Conntrack } from '../conntrack.js';
import type { NetnsOption } from '../handle.js';
import { Rtnl } from '../rtnl.js';
import type { Backend } from './backend/backend.js';
import { backendFactory } from './backend/registry.js';
import { realClock, type Clock } from './clock.js';
import { backendOptions, type ProxyConfig } from './config/proxy-config.js';
import { ConntrackReconciler } from './conntrack-reconciler.js';
import { ProxyHealth, ProxyHealthServer } from './health/proxy-health.js';
import { ServiceHealthServer } from './health/service-health.js';
import { detectFamilies } from './host.js';
import type { ProxyLogger } from './log.js';
import { ProxyMetrics } from './metrics.js';
import { cidrContains } from './model/cidr.js';
import { LABEL_HEADLESS, LABEL_SERVICE_PROXY_NAME, type EndpointSlice, type Node, type Service } from './model/k8s.js';
import { nodeInfo, podCIDRs } from './model/node.js';
import { Proxier } from './proxier.js';
import { loadKubeConfig } from './watch/client.js';
import { ResilientInformer } from './watch/informer.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from './watch/resources.js';
import { interner, sliceStub, slimEndpointSlice, slimNode, slimService } from './watch/slim.js';

export interface ProxyServerOptions {
  readonly config: ProxyConfig;
  readonly log: ProxyLogger;
  readonly clock?: Clock;
  /** Use this backend instead of config.mode's (tests, custom proxies). */
  readonly backend?: Backend;
  /** The node's namespace for the backend and conntrack (default: the process's own). */
  readonly netns?: NetnsOption;
  /** How long to wait for the first list of this node's Node object (kube-proxy waits 30 s). */
  readonly nodeWaitMs?: number;
  /** detect-local-mode NodeCIDR: how long to wait for the node's pod CIDRs (kube-proxy waits 5 minutes). */
  readonly podCIDRWaitMs?: number;
  /**
   * Called when the proxy cannot go on as configured (detect-local-mode
   * NodeCIDR and the node's pod CIDRs changed: kube-proxy exits so that its
   * restart uses them). The server has stopped by then.
   */
  readonly onFatal?: (error: Error) => void;
}

/** kube-proxy's informer label selector: no Services (or slices) of another proxy, none of headless Services. */
export function proxyLabelSelector(serviceProxyName: string): string | undefined {
  // With --service-proxy-name the label may be present (and equal): filtered in the model instead.
  return serviceProxyName === '' ? `!${LABEL_SERVICE_PROXY_NAME},!${LABEL_HEADLESS}` : `!${LABEL_HEADLESS}`;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => { server.off('error', reject); resolve(); });
  });
}

/** A running proxy. */
export class ProxyServer {
  readonly metrics: ProxyMetrics;
  readonly health: ProxyHealth;
  #proxier: Proxier | undefined;
  #backend: Backend | undefined;
  #conntrack: Conntrack | undefined;
  readonly #informers: ResilientInformer<any>[] = [];
  readonly #servers: { close(): Promise<void> }[] = [];
  #serviceHealth: ServiceHealthServer | undefined;
  #node: Node | undefined;
  #stopped = false;

  private constructor(readonly options: ProxyServerOptions, readonly families: readonly IpFamily[]) {
    this.metrics = new ProxyMetrics(options.config.mode, families);
    this.health = new ProxyHealth(2 * options.config.syncPeriodMs, options.clock ?? realClock);
  }

  get proxier(): Proxier | undefined {
    return this.#proxier;
  }

  /** Starts everything; resolves once the informers run (the first sync follows their first lists). */
  static async start(options: ProxyServerOptions): Promise<ProxyServer> {
    const server = new ProxyServer(options, detectFamilies());
    try {
      await server.#start();
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  async #start(): Promise<void> {
    const { config: cfg, log } = this.options;
    const { kc, source, server } = loadKubeConfig({ kubeconfig: cfg.kubeconfig, master: cfg.master });
    log.info({ server, source, node: cfg.nodeName, mode: cfg.mode, families: this.families }, 'Starting dataplane-proxy');
    await this.#startHttp();
    await this.#watchNode(kc);
    const cidrs = cfg.detectLocalMode === 'NodeCIDR' ? await this.#waitForPodCIDRs() : podCIDRs(this.#node);
    const opts = backendOptions(cfg, { families: this.families, podCIDRs: cidrs, ...(this.options.netns !== undefined ? { netns: this.options.netns } : {}) });
    this.#backend = this.options.backend ?? await (await backendFactory(cfg.mode))(opts, log);
    await this.#backend.setup();
    this.#conntrack = await Conntrack.open(this.options.netns !== undefined ? { netns: this.options.netns } : {});
    this.#serviceHealth = new ServiceHealthServer({ proxyHealthy: () => this.health.isHealthy(), log, addresses: () => this.#healthCheckAddresses() });
    this.#proxier = new Proxier({
      nodeName: cfg.nodeName, families: this.families, backend: this.#backend, minSyncPeriodMs: cfg.minSyncPeriodMs, syncPeriodMs: cfg.syncPeriodMs,
      serviceProxyName: cfg.serviceProxyName, nodeIPOverride: cfg.nodeIPOverride, metrics: this.metrics, health: this.health,
      serviceHealth: this.#serviceHealth, conntrack: new ConntrackReconciler(this.#conntrack, { metrics: this.metrics, log }),
      log, ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
    });
    this.#proxier.onNodeUpdate(this.#node);
    this.#proxier.start();
    await this.#watchServices(kc);
  }

  /** The node's health check listen addresses: its primary IPs, or its addresses in --nodeport-addresses ([]: all). */
  async #localAddressesIn(cidrs: readonly string[]): Promise<string[]> {
    const rtnl = await Rtnl.open(this.options.netns !== undefined ? { netns: this.options.netns } : {});
    try {
      return (await rtnl.listAddresses()).map((a) => a.address).filter((ip) => cidrs.some((c) => cidrContains(c, ip)));
    } finally {
      await rtnl.close();
    }
  }

  #healthAddresses: string[] = [];

  #healthCheckAddresses(): string[] {
    return this.#healthAddresses;
  }

  async #refreshHealthAddresses(): Promise<void> {
    const npa = this.options.config.nodePortAddresses;
    if ('primary' in npa) {
      this.#healthAddresses = Object.values(nodeInfo(this.options.config.nodeName, this.#node, this.options.config.nodeIPOverride).primaryIPs);
    } else if (npa.cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0')) {
      this.#healthAddresses = [];
    } else {
      this.#healthAddresses = await this.#localAddressesIn(npa.cidrs);
    }
  }

  async #watchNode(kc: KubeConfig): Promise<void> {
    const { config: cfg, log } = this.options;
    const fieldSelector = `metadata.name=${cfg.nodeName}`;
    let listed: () => void = () => {};
    const firstList = new Promise<void>((resolve) => { listed = resolve; });
    const informer = new ResilientInformer<Node>(kc, {
      path: NODES.path, fieldSelector, name: 'node', log, slim: (o) => slimNode(o, interner()),
    }, {
      update: (_prev, node) => this.#onNode(node),
      delete: () => this.#onNode(undefined),
      synced: () => listed(),
    });
    this.#informers.push(informer);
    void informer.start();
    const wait = this.options.nodeWaitMs ?? 30_000;
    const timedOut = await Promise.race([firstList.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), wait).unref())]);
    if (timedOut) log.warn({ node: cfg.nodeName, waitedMs: wait }, 'Node not listed yet; starting without its labels and IPs');
    else if (this.#node === undefined) log.warn({ node: cfg.nodeName }, 'Node object not found; starting without its labels and IPs');
    await this.#refreshHealthAddresses().catch((e: Error) => log.warn({ err: e.message }, 'Cannot list node addresses'));
  }

  #podCIDRsSeen: (() => void) | undefined;

  /** detect-local-mode NodeCIDR: the node's pod CIDRs, waiting for their allocation (kube-proxy waits up to 5 minutes). */
  async #waitForPodCIDRs(): Promise<string[]> {
    const { config: cfg, log } = this.options;
    if (podCIDRs(this.#node).length === 0) {
      log.info({ node: cfg.nodeName }, 'Waiting for the node\'s pod CIDRs (detect-local-mode NodeCIDR)');
      const waitMs = this.options.podCIDRWaitMs ?? 300_000;
      const seen = new Promise<boolean>((resolve) => { this.#podCIDRsSeen = () => resolve(true); });
      const found = await Promise.race([seen, new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
      this.#podCIDRsSeen = undefined;
      if (!found) throw new Error(`detect-local-mode NodeCIDR: node ${cfg.nodeName} got no spec.podCIDRs in ${waitMs / 1000} s`);
    }
    return podCIDRs(this.#node);
  }

  #onNode(node: Node | undefined): void {
    const before = podCIDRs(this.#node).join(',');
    this.#node = node;
    if (this.options.config.detectLocalMode === 'NodeCIDR' && this.#proxier !== undefined && node !== undefined && podCIDRs(node).join(',') !== before) {
      // kube-proxy exits so that its restart picks up the new pod CIDRs.
      const error = new Error(`node ${this.options.config.nodeName}: pod CIDRs changed from ${before} to ${podCIDRs(node).join(',')} (detect-local-mode NodeCIDR)`);
      this.options.log.error({ before, after: podCIDRs(node) }, 'Node pod CIDRs changed; stopping so that a restart uses them');
      void this.stop().then(() => this.options.onFatal?.(error));
      return;
    }
    if (podCIDRs(node).length > 0) this.#podCIDRsSeen?.();
    this.#proxier?.onNodeUpdate(node);
    void this.#refreshHealthAddresses().catch(() => {});
  }

  async #watchServices(kc: KubeConfig): Promise<void> {
    const { config: cfg, log } = this.options;
    const p = this.#proxier!;
    const labelSelector = proxyLabelSelector(cfg.serviceProxyName);
    const intern = interner();
    const services = new ResilientInformer<Service>(kc, {
      path: SERVICES.path, labelSelector, name: 'services', log, slim: (o) => slimService(o, intern),
    }, {
      update: (prev, svc) => p.onServiceUpdate(prev, svc),
      delete: (svc) => p.onServiceDelete(svc),
      synced: () => p.onServicesSynced(),
    });
    const slices = new ResilientInformer<EndpointSlice>(kc, {
      path: ENDPOINT_SLICES.path, labelSelector, name: 'endpointslices', log, slim: (o) => slimEndpointSlice(o, intern), keep: sliceStub,
    }, {
      update: (_prev, s) => p.onEndpointSliceUpdate(s, false),
      delete: (s) => p.onEndpointSliceDelete(s),
      synced: () => p.onEndpointSlicesSynced(),
    });
    this.#informers.push(services, slices);
    await Promise.all([services.start(), slices.start()]);
  }

  async #startHttp(): Promise<void> {
    const { config: cfg, log } = this.options;
    const bind = async (what: string, addr: { host: string; port: number } | undefined, start: (a: { host: string; port: number }) => Promise<void>): Promise<void> => {
      if (addr === undefined) return;
      try {
        await start(addr);
        log.info({ address: `${addr.host}:${addr.port}` }, `Serving ${what}`);
      } catch (e) {
        if (cfg.bindAddressHardFail) throw new Error(`cannot serve ${what} on ${addr.host}:${addr.port}: ${(e as Error).message}`);
        log.error({ address: `${addr.host}:${addr.port}`, err: (e as Error).message }, `Cannot serve ${what}`);
      }
    };
    await bind('healthz', cfg.healthzBindAddress, async (a) => {
      const s = new ProxyHealthServer(this.health, this.metrics);
      this.#servers.push(s);
      await s.listen(a.host, a.port);
    });
    await bind('metrics', cfg.metricsBindAddress, async (a) => {
      const s = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/metrics') {
          void this.metrics.text().then((text) => res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text));
        } else if (path === '/proxyMode') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(cfg.mode);
        } else if (path === '/healthz') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
        }
      });
      this.#servers.push({ close: async () => { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); } });
      await listen(s, a.host, a.port);
    });
  }

  /** Stops watching and syncing, closes the servers and the backend; the kernel state stays (traffic keeps flowing). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#informers.map((i) => i.stop().catch(() => {})));
    await this.#proxier?.stop();
    await this.#serviceHealth?.close();
    await Promise.all(this.#servers.map((s) => s.close().catch(() => {})));
    await this.#backend?.close().catch(() => {});
    await this.#conntrack?.close();
  }
}
