// EndpointSlices -> endpoints per service port, merged across a Service's
// slices (kube-proxy's EndpointSliceCache: slices are kept by name, applied
// and pending, so an endpoint moving between slices is never dropped on the
// way). Pure.
import type { IpFamily } from '../../addr.js';
import { canonicalIp } from './cidr.js';
import { LABEL_SERVICE_NAME, type EndpointSlice, type EndpointSliceEndpoint } from './k8s.js';
import { l4Protocol, servicePortKey } from './service.js';
import type { Endpoint } from './types.js';

/** The hints of an endpoint that has none (one shared empty set: most endpoints have no hints). */
const NO_HINTS: ReadonlySet<string> = new Set();

/** Endpoints by service port key. */
export type EndpointsMap = Map<string, readonly Endpoint[]>;

/** A slice as the cache keeps it: only what endpoints are built from. */
interface SliceData {
  readonly family: IpFamily;
  readonly ports: readonly { name: string; protocol: string; port: number }[];
  readonly endpoints: readonly EndpointSliceEndpoint[];
  readonly remove: boolean;
}

interface ServiceSlices {
  readonly applied: Map<string, SliceData>;
  readonly pending: Map<string, SliceData>;
}

/** The endpoints' identity: `ip:port`, `[ip]:port` for IPv6. */
export function endpointKey(ip: string, port: number, family: IpFamily): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `ns/service` of a slice (label kubernetes.io/service-name) and its name, or undefined when unlabelled. */
export function sliceKeys(slice: EndpointSlice): { service: string; slice: string } | undefined {
  const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  const ns = slice.metadata?.namespace;
  const name = slice.metadata?.name;
  if (svc === undefined || svc === '' || ns === undefined || ns === '' || name === undefined || name === '') return undefined;
  return { service: `${ns}/${svc}`, slice: name };
}

/** IPv4/IPv6 address type to a family; FQDN slices are not for proxies. */
export function sliceFamily(slice: EndpointSlice): IpFamily | undefined {
  return slice.addressType === 'IPv4' ? 4 : slice.addressType === 'IPv6' ? 6 : undefined;
}

function toEndpoint(e: EndpointSliceEndpoint, port: number, family: IpFamily, nodeName: string): Endpoint | undefined {
  const ip = canonicalIp(e.addresses?.[0] ?? '');
  if (ip === undefined || ip.family !== family) return undefined;
  const c = e.conditions ?? {};
  const ready = c.ready === undefined || c.ready === null || c.ready;
  const zoneHints = e.hints?.forZones?.length ? new Set(e.hints.forZones.map((z) => z.name)) : NO_HINTS;
  const nodeHints = e.hints?.forNodes?.length ? new Set(e.hints.forNodes.map((n) => n.name)) : NO_HINTS;
  return {
    ip: ip.text,
    port,
    key: endpointKey(ip.text, port, family),
    isLocal: nodeName !== '' && e.nodeName === nodeName,
    ready,
    serving: c.serving === undefined || c.serving === null || c.serving,
    terminating: c.terminating === true,
    ...(e.nodeName !== undefined && e.nodeName !== null ? { nodeName: e.nodeName } : {}),
    ...(e.zone !== undefined && e.zone !== null ? { zone: e.zone } : {}),
    zoneHints,
    nodeHints,
  };
}

/** The endpoints map of one Service from its slices (kube-proxy's endpointInfoByServicePort). */
function endpointsOf(service: string, slices: Iterable<SliceData>, nodeName: string): EndpointsMap {
  const [namespace, name] = service.split('/') as [string, string];
  const byPort = new Map<string, Map<string, Endpoint>>();
  for (const s of slices) {
    for (const p of s.ports) {
      const protocol = l4Protocol(p.protocol);
      if (protocol === undefined) continue;
      const key = servicePortKey({ namespace, name, portName: p.name, protocol }, s.family);
      let set = byPort.get(key);
      if (set === undefined) byPort.set(key, set = new Map());
      for (const e of s.endpoints) {
        const ep = toEndpoint(e, p.port, s.family, nodeName);
        // The same address in two slices (a move, or a reused pod IP): the non-terminating one wins.
        if (ep !== undefined && (!set.has(ep.key) || !ep.terminating)) set.set(ep.key, ep);
      }
    }
  }
  const out: EndpointsMap = new Map();
  for (const [key, set] of byPort) {
    if (set.size > 0) out.set(key, [...set.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return out;
}

function sliceData(slice: EndpointSlice, family: IpFamily, remove: boolean): SliceData {
  const ports = (slice.ports ?? [])
    .filter((p) => typeof p.port === 'number' && p.port !== 0)
    .map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port! }));
  // The slice's own endpoints (shared with the informer's cache, not copied); a change anywhere in them is a change.
  const endpoints = (slice.endpoints ?? []).filter((e) => Array.isArray(e.addresses) && e.addresses.length > 0);
  return { family, ports, endpoints, remove };
}

const same = (a: SliceData, b: SliceData): boolean => JSON.stringify(a) === JSON.stringify(b);

/** One Service's endpoints before and after the pending slice changes were applied. */
export interface EndpointsChange {
  readonly previous: EndpointsMap;
  readonly current: EndpointsMap;
}

/** kube-proxy's EndpointSliceCache, for the families this proxy serves. */
export class EndpointSliceCache {
  readonly #services = new Map<string, ServiceSlices>();
  /** Services with pending slices: a checkout visits only these. */
  readonly #pending = new Set<string>();

  constructor(readonly nodeName: string, readonly families: readonly IpFamily[]) {}

  /**
   * Records a slice (added, updated, or removed) as pending. Returns true if
   * that changes what the cache would apply (a no-op update returns false).
   */
  updatePending(slice: EndpointSlice, remove: boolean): boolean {
    const keys = sliceKeys(slice);
    const family = sliceFamily(slice);
    if (keys === undefined || family === undefined || !this.families.includes(family)) return false;
    const data = sliceData(slice, family, remove);
    let svc = this.#services.get(keys.service);
    if (svc === undefined) this.#services.set(keys.service, svc = { applied: new Map(), pending: new Map() });
    const known = svc.pending.get(keys.slice) ?? svc.applied.get(keys.slice);
    const changed = known !== undefined ? !same(known, data) : !remove;
    if (changed) {
      svc.pending.set(keys.slice, data);
      this.#pending.add(keys.service);
    }
    else if (svc.applied.size === 0 && svc.pending.size === 0) this.#services.delete(keys.service);
    return changed;
  }

  /** How many Services have pending slice changes (kept as a count: asked at every event). */
  get pendingServices(): number {
    return this.#pending.size;
  }

  /** Applies every pending slice and returns, per Service (`ns/name`), its endpoints before and after. */
  checkoutChanges(): Map<string, EndpointsChange> {
    const out = new Map<string, EndpointsChange>();
    for (const service of this.#pending) {
      const s = this.#services.get(service)!;
      const previous = endpointsOf(service, s.applied.values(), this.nodeName);
      for (const [name, data] of s.pending) {
        if (data.remove) s.applied.delete(name);
        else s.applied.set(name, data);
      }
      s.pending.clear();
      if (s.applied.size === 0) this.#services.delete(service);
      out.set(service, { previous, current: endpointsOf(service, s.applied.values(), this.nodeName) });
    }
    this.#pending.clear();
    return out;
  }
}
