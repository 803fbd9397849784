// What IPVS mode is configured with beyond the shared BackendOptions: the
// `ipvs:` section of KubeProxyConfiguration (--ipvs-* flags), resolved and
// checked once before anything touches the kernel.
import { parseCidr } from '../../../index.js';

/**
 * The IPVS section of the proxy's configuration (kube-proxy's
 * KubeProxyIPVSConfiguration). Durations are in milliseconds.
 */
export interface IpvsOptions {
  /** IPVS scheduler of every virtual server (--ipvs-scheduler; default 'rr'). Probed at setup. */
  readonly scheduler: string;
  /**
   * How often terminating TCP real servers (weight 0) are checked for
   * remaining connections and deleted once they have none (--ipvs-sync-period;
   * default 30 s).
   */
  readonly syncPeriod: number;
  /** Virtual servers on these CIDRs are never deleted by a full sync or cleanup (--ipvs-exclude-cidrs). */
  readonly excludeCIDRs: readonly string[];
  /** Set arp_ignore=1 and arp_announce=2, so the node answers ARP only for addresses on the asking interface (--ipvs-strict-arp). */
  readonly strictARP: boolean;
  /** IPVS idle timeout of TCP connections; 0 leaves the kernel's (--ipvs-tcp-timeout; `ipvsadm --set`). */
  readonly tcpTimeout: number;
  /** IPVS timeout of TCP connections after a FIN; 0 leaves the kernel's (--ipvs-tcpfin-timeout). */
  readonly tcpFinTimeout: number;
  /** IPVS timeout of UDP flows; 0 leaves the kernel's (--ipvs-udp-timeout). */
  readonly udpTimeout: number;
}

/** kube-proxy's defaults: rr, a 30 s sync period, nothing excluded, no strict ARP, kernel timeouts. */
export const DEFAULT_IPVS_OPTIONS: IpvsOptions = {
  scheduler: 'rr',
  syncPeriod: 30_000,
  excludeCIDRs: [],
  strictARP: false,
  tcpTimeout: 0,
  tcpFinTimeout: 0,
  udpTimeout: 0,
};

const SCHEDULER = /^[a-z0-9_]{1,15}$/;

function duration(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`ipvs.${what} must be a duration in milliseconds >= 0: ${String(v)}`);
  if (v !== 0 && v < min) throw new RangeError(`ipvs.${what} must be 0 or at least ${min} ms: ${v}`);
  return v;
}

/**
 * Fills in defaults and checks every field; throws TypeError/RangeError
 * naming the field (`ipvs.scheduler`, `ipvs.excludeCIDRs[1]`, ...).
 */
export function resolveIpvsOptions(given: Partial<IpvsOptions> = {}): IpvsOptions {
  if (typeof given !== 'object' || given === null) throw new TypeError('ipvs options must be an object');
  const o = { ...DEFAULT_IPVS_OPTIONS, ...given };
  if (typeof o.scheduler !== 'string' || !SCHEDULER.test(o.scheduler)) {
    throw new TypeError(`ipvs.scheduler must be a scheduler name such as rr, lc, dh, sh, sed, nq: ${JSON.stringify(o.scheduler)}`);
  }
  if (!Array.isArray(o.excludeCIDRs)) throw new TypeError('ipvs.excludeCIDRs must be an array of CIDRs');
  o.excludeCIDRs.forEach((c, i) => parseCidr(c, `ipvs.excludeCIDRs[${i}]`));
  if (typeof o.strictARP !== 'boolean') throw new TypeError('ipvs.strictARP must be a boolean');
  duration(o.syncPeriod, 'syncPeriod', 1);
  if (o.syncPeriod === 0) throw new RangeError('ipvs.syncPeriod must be greater than 0');
  for (const k of ['tcpTimeout', 'tcpFinTimeout', 'udpTimeout'] as const) duration(o[k], k, 1000);
  return { ...o, excludeCIDRs: [...o.excludeCIDRs] };
}
