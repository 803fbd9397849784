// One HTTP listener per healthCheckNodePort (kube-proxy's ServiceHealthServer):
// a LoadBalancer with externalTrafficPolicy Local asks each node whether it
// has ready endpoints of the Service. 200 with X-Load-Balancing-Endpoint-Weight
// when it does (and the proxy is healthy), else 503; the body is kube-proxy's.
import { createServer, type Server } from 'node:http';
import type { ProxyLogger } from '../log.js';

interface Instance {
  readonly port: number;
  readonly servers: Server[];
  endpoints: number;
}

export interface ServiceHealthOptions {
  /** Addresses to listen on (default: every address, IPv6 and IPv4). Asked each time a listener opens. */
  readonly addresses?: () => readonly string[];
  /** The proxy's own health (ProxyHealth.isHealthy). */
  readonly proxyHealthy: () => boolean;
  readonly log?: ProxyLogger;
}

/** kube-proxy's body for one service health check, tab-indented as its dedent leaves it. */
export function serviceHealthBody(namespace: string, name: string, localEndpoints: number, proxyHealthy: boolean): string {
  return `{\n\t"service": {\n\t\t"namespace": ${JSON.stringify(namespace)},\n\t\t"name": ${JSON.stringify(name)}\n\t},\n` +
    `\t"localEndpoints": ${localEndpoints},\n\t"serviceProxyHealthy": ${proxyHealthy}\n}`;
}

async function listenOn(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => { server.off('error', reject); resolve(); });
  });
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The health check listeners of every Service (`ns/name`) with a healthCheckNodePort. */
export class ServiceHealthServer {
  readonly #services = new Map<string, Instance>();
  readonly #opts: ServiceHealthOptions;

  constructor(opts: ServiceHealthOptions) {
    this.#opts = opts;
  }

  /** Services being served, with their port (for tests and logs). */
  get ports(): ReadonlyMap<string, number> {
    return new Map([...this.#services].map(([k, v]) => [k, v.port]));
  }

  /**
   * Makes `wanted` (`ns/name` -> port) the set of open health checks: closes
   * the ones gone or moved, opens the new ones. A port that cannot be bound
   * is logged and tried again at the next sync.
   */
  async syncServices(wanted: ReadonlyMap<string, number>): Promise<void> {
    for (const [nsn, inst] of [...this.#services]) {
      if (wanted.get(nsn) === inst.port) continue;
      this.#services.delete(nsn);
      this.#opts.log?.debug({ service: nsn, port: inst.port }, 'Closing healthcheck');
      await Promise.all(inst.servers.map(closeServer));
    }
    for (const [nsn, port] of wanted) {
      if (this.#services.has(nsn)) continue;
      const inst: Instance = { port, servers: [], endpoints: 0 };
      try {
        await this.#open(nsn, inst);
        this.#services.set(nsn, inst);
        this.#opts.log?.debug({ service: nsn, port }, 'Opening healthcheck');
      } catch (e) {
        await Promise.all(inst.servers.map(closeServer));
        this.#opts.log?.error({ service: nsn, port, err: (e as Error).message }, 'Failed to start healthcheck');
      }
    }
  }

  async #open(nsn: string, inst: Instance): Promise<void> {
    const hosts = this.#opts.addresses?.() ?? [];
    const [namespace = '', name = ''] = nsn.split('/');
    const handler = (res: import('node:http').ServerResponse): void => {
      const count = this.#services.get(nsn)?.endpoints ?? 0;
      const healthy = this.#opts.proxyHealthy();
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' };
      if (count > 0 && healthy) headers['X-Load-Balancing-Endpoint-Weight'] = String(count);
      res.writeHead(count > 0 && healthy ? 200 : 503, headers).end(serviceHealthBody(namespace, name, count, healthy));
    };
    if (hosts.length > 0) {
      for (const host of hosts) {
        const server = createServer((_req, res) => handler(res));
        inst.servers.push(server);
        await listenOn(server, host, inst.port);
      }
      return;
    }
    const server = createServer((_req, res) => handler(res));
    inst.servers.push(server);
    try {
      await listenOn(server, '::', inst.port);
    } catch (e) {
      // No IPv6 in this namespace: IPv4 only.
      if ((e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (e as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw e;
      await listenOn(server, '0.0.0.0', inst.port);
    }
  }

  /** Sets each Service's count of ready local endpoints (Services absent from `counts` have none). */
  syncEndpoints(counts: ReadonlyMap<string, number>): void {
    for (const [nsn, inst] of this.#services) inst.endpoints = counts.get(nsn) ?? 0;
  }

  async close(): Promise<void> {
    await this.syncServices(new Map());
  }
}
