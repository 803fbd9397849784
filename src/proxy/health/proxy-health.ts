// /healthz and /livez (kube-proxy's ProxyHealthServer): the proxy is
// unhealthy when an update was queued for a family and not applied within
// the health timeout (twice the sync period); /healthz is also 503 while
// the node is being deleted. Bodies are kube-proxy's JSON, byte for byte.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IpFamily } from '../../addr.js';
import { realClock, type Clock } from '../clock.js';
import type { ProxyMetrics } from '../metrics.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Go's time.Time.String() in UTC ("2024-05-01 10:00:00.123 +0000 UTC"); 0 is Go's zero time. */
export function goTimeString(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(ms);
  const frac = d.getUTCMilliseconds() === 0 ? '' : `.${pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC`;
}

/** The proxy's health state; `isHealthy()` is what the service health checks also consult. */
export class ProxyHealth {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #lastUpdated = new Map<IpFamily, number>();
  readonly #oldestQueued = new Map<IpFamily, number>();
  #nodeEligible = true;

  /** `healthTimeoutMs`: kube-proxy uses twice the sync period. */
  constructor(healthTimeoutMs: number, clock: Clock = realClock) {
    this.#timeoutMs = healthTimeoutMs;
    this.#clock = clock;
  }

  /** An update for `family` was received and not yet applied (starts the health timeout unless one is running). */
  queuedUpdate(family: IpFamily): void {
    if (!this.#oldestQueued.has(family)) this.#oldestQueued.set(family, this.#clock.now());
  }

  /** The rules of `family` were brought up to date. */
  updated(family: IpFamily): void {
    this.#oldestQueued.delete(family);
    this.#lastUpdated.set(family, this.#clock.now());
  }

  /** False while the node is being deleted or tainted ToBeDeletedByClusterAutoscaler. */
  setNodeEligible(eligible: boolean): void {
    this.#nodeEligible = eligible;
  }

  get nodeEligible(): boolean {
    return this.#nodeEligible;
  }

  /** Healthy unless a family has had an update queued for longer than the timeout (a family not yet synced once counts as healthy). */
  status(): { healthy: boolean; lastUpdated: number | undefined } {
    const now = this.#clock.now();
    let last: number | undefined;
    for (const [family, updated] of this.#lastUpdated) {
      if (last === undefined || updated > last) last = updated;
      const queued = this.#oldestQueued.get(family);
      if (queued !== undefined && now - queued >= this.#timeoutMs) return { healthy: false, lastUpdated: updated };
    }
    return { healthy: true, lastUpdated: last };
  }

  isHealthy(): boolean {
    return this.status().healthy;
  }

  /** The /healthz or /livez answer: status code and kube-proxy's body. */
  respond(path: '/healthz' | '/livez'): { code: 200 | 503; body: string } {
    const { healthy: proxyHealthy, lastUpdated } = this.status();
    const now = this.#clock.now();
    const healthy = path === '/healthz' ? proxyHealthy && this.#nodeEligible : proxyHealthy;
    // As kube-proxy: a healthy answer reports lastUpdated as now.
    const shown = healthy ? now : lastUpdated;
    const times = `{"lastUpdated": ${JSON.stringify(goTimeString(shown))},"currentTime": ${JSON.stringify(goTimeString(now))}`;
    const body = path === '/healthz' ? `${times}, "nodeEligible": ${this.#nodeEligible}}` : `${times}}`;
    return { code: healthy ? 200 : 503, body };
  }
}

/** The HTTP server of /healthz and /livez on --healthz-bind-address. */
export class ProxyHealthServer {
  readonly #server: Server;

  constructor(readonly health: ProxyHealth, private readonly metrics?: ProxyMetrics) {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const { code, body } = this.health.respond(path);
    (path === '/healthz' ? this.metrics?.healthzTotal : this.metrics?.livezTotal)?.labels(String(code)).inc();
    res.writeHead(code, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' }).end(body);
  }

  /** Listens on host:port; resolves once bound (rejects with the bind error). */
  async listen(host: string, port: number): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => { this.#server.off('error', reject); resolve(); });
    });
    const a = this.#server.address();
    return { port: typeof a === 'object' && a !== null ? a.port : port };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
