// What the proxier derives from the model after each sync, kept per service
// port key so a partial sync recomputes only the keys it changed (a full
// sync recomputes all): service ports without local endpoints under a Local
// policy (kubeproxy_sync_proxy_rules_no_local_endpoints_total), and the
// health check ports with their local endpoint counts.
import type { IpFamily } from '../addr.js';
import { categorizeEndpoints, externallyAccessible } from './model/categorize.js';
import type { Endpoint, NodeInfo, ServicePort } from './model/types.js';

interface NoLocal {
  readonly family: IpFamily;
  readonly internal: boolean;
  readonly external: boolean;
}

/** Service ports with a Local traffic policy and endpoints, none of them usable on this node. */
export class NoLocalEndpoints {
  readonly #byKey = new Map<string, NoLocal>();
  readonly #counts = new Map<IpFamily, { internal: number; external: number }>();

  #add(n: NoLocal, sign: 1 | -1): void {
    const c = this.#counts.get(n.family) ?? { internal: 0, external: 0 };
    if (n.internal) c.internal += sign;
    if (n.external) c.external += sign;
    this.#counts.set(n.family, c);
  }

  /** Recounts one key (`sp` undefined: the service port is gone). */
  update(key: string, sp: ServicePort | undefined, endpoints: readonly Endpoint[], node: NodeInfo): void {
    const old = this.#byKey.get(key);
    if (old !== undefined) this.#add(old, -1);
    if (sp === undefined) {
      this.#byKey.delete(key);
      return;
    }
    const c = categorizeEndpoints(endpoints, sp, node);
    const none = c.hasAnyEndpoints && c.localEndpoints.length === 0;
    const n: NoLocal = { family: sp.family, internal: none && sp.internalPolicyLocal, external: none && sp.externalPolicyLocal && externallyAccessible(sp) };
    this.#byKey.set(key, n);
    this.#add(n, 1);
  }

  clear(): void {
    this.#byKey.clear();
    this.#counts.clear();
  }

  counts(family: IpFamily): { internal: number; external: number } {
    return this.#counts.get(family) ?? { internal: 0, external: 0 };
  }
}

interface HealthCheckPort {
  readonly nsn: string;
  readonly port: number;
  readonly family: IpFamily;
  /** Ready endpoints on this node (IPs). */
  readonly local: ReadonlySet<string>;
}

/** The service ports with a healthCheckNodePort, by key. */
export class HealthCheckPorts {
  readonly #byKey = new Map<string, HealthCheckPort>();

  /** Updates one key; returns true if the health checks' ports or counts may have changed. */
  update(key: string, sp: ServicePort | undefined, endpoints: readonly Endpoint[]): boolean {
    const had = this.#byKey.delete(key);
    if (sp === undefined || sp.healthCheckNodePort === 0) return had;
    const local = new Set(endpoints.filter((e) => e.ready && e.isLocal).map((e) => e.ip));
    this.#byKey.set(key, { nsn: `${sp.namespace}/${sp.name}`, port: sp.healthCheckNodePort, family: sp.family, local });
    return true;
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** `ns/name` -> port of every Service with a health check. */
  ports(): Map<string, number> {
    return new Map([...this.#byKey.values()].map((h) => [h.nsn, h.port]));
  }

  /**
   * `ns/name` -> ready local endpoints: distinct IPs per family, the larger
   * family's count (kube-proxy counts in each family's proxier: a pod counts once).
   */
  counts(): Map<string, number> {
    const perFamily = new Map<string, Set<string>>();
    for (const h of this.#byKey.values()) {
      const k = `${h.family} ${h.nsn}`;
      const ips = perFamily.get(k) ?? new Set<string>();
      for (const ip of h.local) ips.add(ip);
      perFamily.set(k, ips);
    }
    const out = new Map<string, number>();
    for (const [k, ips] of perFamily) {
      const nsn = k.slice(k.indexOf(' ') + 1);
      out.set(nsn, Math.max(out.get(nsn) ?? 0, ips.size));
    }
    return out;
  }
}
