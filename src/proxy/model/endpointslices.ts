// EndpointSlices -> endpoints per service port, merged across a Service's
// slices (kube-proxy's EndpointSliceCache: slices are kept by name, applied
// and pending, so an endpoint moving between slices is never dropped on the
// way). A slice is kept as the Endpoint objects it makes, not as the
// object it came in: every checkout shares them, and the informer need not
// keep the slice's endpoints. Pure.
import type { IpFamily } from '../../addr.js';
import { canonicalIp } from './cidr.js';
import { sameEndpoints } from './equal.js';
import { LABEL_SERVICE_NAME, type EndpointSlice, type EndpointSliceEndpoint } from './k8s.js';
import { l4Protocol, servicePortKey } from './service.js';
import type { Endpoint } from './types.js';

/** The hints of an endpoint that has none (one shared empty set: most endpoints have no hints). */
const NO_HINTS: ReadonlySet<string> = new Set();

/** Endpoints by service port key. */
export type EndpointsMap = Map<string, readonly Endpoint[]>;

/** A slice as the cache keeps it: its endpoints by service port key. */
interface SliceData {
  /** [service port key, endpoints] (an array: a slice has one or a few ports). */
  readonly byPort: readonly (readonly [string, readonly Endpoint[]])[];
  readonly remove: boolean;
}


/** The endpoints' identity: `ip:port`, `[ip]:port` for IPv6. */
export function endpointKey(ip: string, port: number, family: IpFamily): string {
  // join makes one flat string; a template literal would keep a tree of
  // pieces for each of the (many) endpoints.
  return family === 6 ? ['[', ip, ']:', port].join('') : [ip, port].join(':');
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

// One string per distinct node name and zone (there are few; every endpoint names one).
type Intern = (s: string) => string;

function toEndpoint(e: EndpointSliceEndpoint, port: number, family: IpFamily, nodeName: string, intern: Intern): Endpoint | undefined {
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
    ...(e.nodeName !== undefined && e.nodeName !== null ? { nodeName: intern(e.nodeName) } : {}),
    ...(e.zone !== undefined && e.zone !== null ? { zone: intern(e.zone) } : {}),
    zoneHints,
    nodeHints,
  };
}

/** The endpoints map of one Service from its slices (kube-proxy's endpointInfoByServicePort). */
function endpointsOf(slices: Iterable<SliceData>): EndpointsMap {
  const byPort = new Map<string, Map<string, Endpoint>>();
  for (const s of slices) {
    for (const [key, eps] of s.byPort) {
      let set = byPort.get(key);
      if (set === undefined) byPort.set(key, set = new Map());
      // The same address in two slices (a move, or a reused pod IP): the non-terminating one wins.
      for (const ep of eps) if (!set.has(ep.key) || !ep.terminating) set.set(ep.key, ep);
    }
  }
  const out: EndpointsMap = new Map();
  for (const [key, set] of byPort) {
    if (set.size > 0) out.set(key, [...set.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return out;
}

// What a slice makes: for each of its ports, an Endpoint per address (the
// first of each endpoint's addresses, as kube-proxy takes).
function sliceData(slice: EndpointSlice, service: string, family: IpFamily, remove: boolean, nodeName: string, intern: Intern): SliceData {
  const byPort = new Map<string, Endpoint[]>();
  if (remove) return { byPort: [], remove };
  const [namespace, name] = service.split('/') as [string, string];
  for (const p of slice.ports ?? []) {
    const protocol = l4Protocol(p.protocol ?? 'TCP');
    if (typeof p.port !== 'number' || p.port === 0 || protocol === undefined) continue;
    const key = servicePortKey({ namespace, name, portName: p.name ?? '', protocol }, family);
    const eps = byPort.get(key) ?? [];
    for (const e of slice.endpoints ?? []) {
      const ep = Array.isArray(e.addresses) && e.addresses.length > 0 ? toEndpoint(e, p.port, family, nodeName, intern) : undefined;
      if (ep !== undefined) eps.push(ep);
    }
    byPort.set(key, eps);
  }
  return { byPort: [...byPort], remove };
}

function same(a: SliceData, b: SliceData): boolean {
  return a.remove === b.remove && a.byPort.length === b.byPort.length &&
    a.byPort.every(([key, eps], i) => b.byPort[i]![0] === key && sameEndpoints(eps, b.byPort[i]![1]));
}

/** One Service's endpoints before and after the pending slice changes were applied. */
export interface EndpointsChange {
  readonly previous: EndpointsMap;
  readonly current: EndpointsMap;
}

/** kube-proxy's EndpointSliceCache, for the families this proxy serves. */
export class EndpointSliceCache {
  /** Applied slices by name, per Service (`ns/name`). */
  readonly #applied = new Map<string, Map<string, SliceData>>();
  /** Pending slices by name, per Service with any: a checkout visits only these. */
  readonly #pending = new Map<string, Map<string, SliceData>>();
  readonly #strings = new Map<string, string>();
  readonly #intern: Intern = (s) => {
    const have = this.#strings.get(s);
    if (have !== undefined) return have;
    this.#strings.set(s, s);
    return s;
  };

  constructor(readonly nodeName: string, readonly families: readonly IpFamily[]) {}

  /**
   * Records a slice (added, updated, or removed) as pending. Returns true if
   * that changes what the cache would apply (a no-op update returns false).
   */
  updatePending(slice: EndpointSlice, remove: boolean): boolean {
    const keys = sliceKeys(slice);
    const family = sliceFamily(slice);
    if (keys === undefined || family === undefined || !this.families.includes(family)) return false;
    const data = sliceData(slice, keys.service, family, remove, this.nodeName, this.#intern);
    let pending = this.#pending.get(keys.service);
    const known = pending?.get(keys.slice) ?? this.#applied.get(keys.service)?.get(keys.slice);
    const changed = known !== undefined ? !same(known, data) : !remove;
    if (changed) {
      if (pending === undefined) this.#pending.set(keys.service, pending = new Map());
      pending.set(keys.slice, data);
    }
    return changed;
  }

  /** How many Services have pending slice changes (kept as a count: asked at every event). */
  get pendingServices(): number {
    return this.#pending.size;
  }

  /** Applies every pending slice and returns, per Service (`ns/name`), its endpoints before and after. */
  checkoutChanges(): Map<string, EndpointsChange> {
    const out = new Map<string, EndpointsChange>();
    for (const [service, pending] of this.#pending) {
      let applied = this.#applied.get(service);
      if (applied === undefined) this.#applied.set(service, applied = new Map());
      const previous = endpointsOf(applied.values());
      for (const [name, data] of pending) {
        if (data.remove) applied.delete(name);
        else applied.set(name, data);
      }
      if (applied.size === 0) this.#applied.delete(service);
      out.set(service, { previous, current: endpointsOf(applied.values()) });
    }
    this.#pending.clear();
    return out;
  }
}
