// UDP and SCTP flows outlive their endpoint: conntrack keeps sending a
// client's datagrams to the address it was first translated to. As
// kube-proxy's conntrack reconciler, after the rules are written, entries
// whose original destination is a UDP/SCTP service IP (cluster, external,
// load-balancer) or NodePort and whose reply source is not a serving
// endpoint of that service are deleted — also when no endpoint is left, and
// when the service itself went away. Equivalent to `conntrack -D -p udp
// --orig-dst IP --reply-src ENDPOINT` for each such flow.
import type { ConntrackEntry, ConntrackEntryRef, ConntrackFilter } from '../../../conntrack.js';
import type { Endpoint, ProxyState, ServicePort } from '../../model/types.js';

/** What the reconciler needs of a conntrack handle (Conntrack has it). */
export interface ConntrackLike {
  list(filter?: ConntrackFilter): Promise<ConntrackEntry[]>;
  deleteEntries(entries: ConntrackEntryRef[]): Promise<number>;
}

type Proto = 'udp' | 'sctp';
const isDatagram = (svc: ServicePort): boolean => svc.protocol === 'udp' || svc.protocol === 'sctp';

/** Serving endpoint addresses by `proto ip port` (service IPs) and `proto port` (NodePorts). */
interface Serving {
  readonly byIP: Map<string, Set<string>>;
  readonly byNodePort: Map<string, Set<string>>;
}

function addService(s: Serving, svc: ServicePort, endpoints: readonly Endpoint[]): void {
  const ips = new Set(endpoints.filter((e) => e.serving).map((e) => e.ip));
  for (const ip of [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerVIPs]) s.byIP.set(`${svc.protocol} ${ip} ${svc.port}`, ips);
  if (svc.nodePort !== 0) s.byNodePort.set(`${svc.protocol} ${svc.nodePort}`, ips);
}

function stale(s: Serving, e: ConntrackEntry): boolean {
  const byIP = s.byIP.get(`${e.protocol} ${e.original.destination} ${e.original.destinationPort}`);
  if (byIP !== undefined && !byIP.has(e.reply.source)) return true;
  const byPort = s.byNodePort.get(`${e.protocol} ${e.original.destinationPort}`);
  return byPort !== undefined && !byPort.has(e.reply.source);
}

/** Every UDP/SCTP flow of every service checked (full sync). Returns how many entries were deleted. */
export async function reconcileAll(ct: ConntrackLike, state: ProxyState, families: ReadonlySet<number>): Promise<number> {
  const s: Serving = { byIP: new Map(), byNodePort: new Map() };
  for (const svc of state.services.values()) {
    if (isDatagram(svc) && families.has(svc.family)) addService(s, svc, state.endpoints.get(svc.key) ?? []);
  }
  if (s.byIP.size === 0) return 0;
  const entries: ConntrackEntry[] = [];
  for (const protocol of ['udp', 'sctp'] as Proto[]) {
    if (![...s.byIP.keys()].some((k) => k.startsWith(`${protocol} `))) continue;
    for (const e of await ct.list({ protocol })) if (families.has(e.family) && stale(s, e)) entries.push(e);
  }
  return ct.deleteEntries(entries);
}

/**
 * The flows of the UDP/SCTP service ports that changed (partial sync): the
 * kernel is asked only for flows to their addresses and NodePorts.
 * `before` gives what a changed port was (for one deleted since).
 */
export async function reconcileChanged(ct: ConntrackLike, state: ProxyState, changed: Iterable<string>,
  before: (key: string) => ServicePort | undefined): Promise<number> {
  const entries: ConntrackEntry[] = [];
  for (const key of changed) {
    const svc = state.services.get(key) ?? before(key);
    if (svc === undefined || !isDatagram(svc)) continue;
    const s: Serving = { byIP: new Map(), byNodePort: new Map() };
    addService(s, svc, state.services.has(key) ? state.endpoints.get(key) ?? [] : []);
    const protocol = svc.protocol as Proto;
    const filters: ConntrackFilter[] = [...new Set([svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerVIPs])]
      .map((ip) => ({ protocol, original: { destination: ip, destinationPort: svc.port } }));
    if (svc.nodePort !== 0) filters.push({ protocol, family: svc.family, original: { destinationPort: svc.nodePort } });
    for (const f of filters) for (const e of await ct.list(f)) if (stale(s, e)) entries.push(e);
  }
  return entries.length === 0 ? 0 : ct.deleteEntries(entries);
}
