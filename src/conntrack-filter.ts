// Conntrack filters: validated at the public edge, turned into kernel-side
// dump filters where the kernel can filter, and matched exactly in
// TypeScript (older kernels ignore parts of the dump filter; the kernel
// cannot filter by port without a protocol, nor by tuple without a family).
import { parseIp, type IpFamily } from './addr.js';
import { isPlainObject, own, show } from './check.js';
import type { ConntrackOpWire, CtTupleMatchWire, NativeCtEntry, NativeCtTuple } from './binding.js';
import type { ConntrackFilter, ConntrackProtocol, ConntrackTupleFilter } from './conntrack.js';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** Protocol names as `conntrack -p` takes them, to IPPROTO_* numbers. */
export const PROTOCOLS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
const PORTLESS = new Set([1, 58]);

const FILTER_KEYS = new Set(['family', 'protocol', 'original', 'reply', 'mark', 'markMask', 'zone']);
const TUPLE_KEYS = new Set(['source', 'destination', 'sourcePort', 'destinationPort']);

interface TupleMatch {
  source?: Uint8Array;
  destination?: Uint8Array;
  sourcePort?: number;
  destinationPort?: number;
}

/** A filter after validation: addresses as bytes, protocol as a number, mark pre-masked. */
export interface CompiledFilter {
  family?: IpFamily;
  protocol?: number;
  original: TupleMatch;
  reply: TupleMatch;
  mark?: number;
  markMask: number;
  zone?: number;
}

function isObject(v: unknown): boolean {
  return isPlainObject(v);
}

// For delete(): a key given with the value undefined is a mistake (`{ reply: { source: ep.ip } }`
// with `ep = {}`), not "any": it would widen what is deleted.
function noUndefined(o: object, what: string): void {
  for (const [k, v] of Object.entries(o)) if (v === undefined) throw new TypeError(`${what}.${k}: undefined (leave the key out to match any)`);
}

function checkKeys(o: object, allowed: Set<string>, what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw new TypeError(`${what}: unknown key ${show(k)} (expected ${[...allowed].join(', ')})`);
  }
}

/** A protocol name or number (0..255) to its number. */
export function protocolNumber(p: unknown, what = 'protocol'): number {
  if (typeof p === 'string') {
    const n = own(PROTOCOLS, p);
    if (n === undefined) throw new TypeError(`${what}: unknown protocol ${show(p)} (expected ${Object.keys(PROTOCOLS).join(', ')} or a number)`);
    return n;
  }
  if (typeof p !== 'number' || !Number.isInteger(p)) throw new TypeError(`${what}: expected a protocol name or number`);
  if (p < 0 || p > 255) throw new RangeError(`${what}: protocol number must be 0..255: ${p}`);
  return p;
}

/** The public name of a protocol number ('udp'), or the number itself. */
export function protocolName(n: number): ConntrackProtocol {
  const name = Object.keys(PROTOCOLS).find((k) => PROTOCOLS[k] === n);
  return (name as ConntrackProtocol | undefined) ?? n;
}

export function port(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${what}: expected an integer port`);
  if (v < 0 || v > 0xffff) throw new RangeError(`${what}: port must be 0..65535: ${v}`);
  return v;
}

export function u32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${what}: expected an integer`);
  if (v < 0 || v > 0xffffffff) throw new RangeError(`${what}: must be 0..4294967295: ${v}`);
  return v;
}

export function zoneNumber(v: unknown, what = 'zone'): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${what}: expected an integer`);
  if (v < 0 || v > 0xffff) throw new RangeError(`${what}: must be 0..65535: ${v}`);
  return v;
}

function tupleMatch(t: ConntrackTupleFilter | undefined, what: string, families: Set<IpFamily>, strict: boolean): TupleMatch {
  if (t === undefined) return {};
  if (!isObject(t)) throw new TypeError(`${what}: expected a plain object, got ${show(t)}`);
  checkKeys(t, TUPLE_KEYS, what);
  if (strict) {
    noUndefined(t, what);
    if (Object.keys(t).length === 0) throw new TypeError(`${what}: empty (leave it out to match any)`);
  }
  const out: TupleMatch = {};
  for (const key of ['source', 'destination'] as const) {
    if (t[key] === undefined) continue;
    const ip = parseIp(t[key]!, `${what}.${key}`);
    families.add(ip.family);
    out[key] = ip.bytes;
  }
  if (t.sourcePort !== undefined) out.sourcePort = port(t.sourcePort, `${what}.sourcePort`);
  if (t.destinationPort !== undefined) out.destinationPort = port(t.destinationPort, `${what}.destinationPort`);
  return out;
}

/**
 * Validates a public filter; throws TypeError/RangeError on anything wrong.
 * `strict` (delete): every key given has a value, and a filter that selects
 * everything must say so with `{ all: true }`.
 */
export function compileFilter(filter: ConntrackFilter | undefined, strict = false): CompiledFilter {
  if (filter === undefined && !strict) return { original: {}, reply: {}, markMask: 0xffffffff };
  if (!isObject(filter)) throw new TypeError(`filter: expected a plain object, got ${show(filter)}${strict ? ' (use { all: true } to delete every entry)' : ''}`);
  const all = (filter as { all?: unknown }).all;
  if (strict && all !== undefined) {
    if (all !== true || Object.keys(filter!).length !== 1) throw new TypeError('filter.all: must be true and alone ({ all: true } deletes every entry)');
    return { original: {}, reply: {}, markMask: 0xffffffff };
  }
  checkKeys(filter!, FILTER_KEYS, 'filter');
  if (strict) {
    noUndefined(filter!, 'filter');
    if (Object.keys(filter!).length === 0) throw new TypeError('filter: empty, which selects every entry (use { all: true } to delete them all)');
  }
  filter = filter!;
  const families = new Set<IpFamily>();
  if (filter.family !== undefined) {
    if (filter.family !== 4 && filter.family !== 6) throw new TypeError('filter.family: must be 4 or 6');
    families.add(filter.family);
  }
  const out: CompiledFilter = {
    original: tupleMatch(filter.original, 'filter.original', families, strict),
    reply: tupleMatch(filter.reply, 'filter.reply', families, strict),
    markMask: filter.markMask === undefined ? 0xffffffff : u32(filter.markMask, 'filter.markMask'),
  };
  if (families.size > 1) throw new TypeError('filter: addresses and family must all be IPv4 or all IPv6');
  if (families.size === 1) out.family = [...families][0]!;
  if (filter.protocol !== undefined) out.protocol = protocolNumber(filter.protocol, 'filter.protocol');
  const ports = [out.original, out.reply].some((t) => t.sourcePort !== undefined || t.destinationPort !== undefined);
  if (ports && out.protocol !== undefined && PORTLESS.has(out.protocol)) {
    throw new TypeError(`filter: ports make no sense with protocol ${show(filter.protocol)}`);
  }
  if (filter.mark !== undefined) out.mark = (u32(filter.mark, 'filter.mark') & out.markMask) >>> 0;
  else if (filter.markMask !== undefined) throw new TypeError('filter.markMask: needs filter.mark');
  if (filter.zone !== undefined) out.zone = zoneNumber(filter.zone, 'filter.zone');
  return out;
}

function tupleWire(t: TupleMatch, protocol: number | undefined, withAddresses: boolean): CtTupleMatchWire | undefined {
  const w: CtTupleMatchWire = {};
  if (withAddresses && t.source !== undefined) w.source = t.source;
  if (withAddresses && t.destination !== undefined) w.destination = t.destination;
  if (protocol !== undefined) {
    if (t.sourcePort !== undefined) w.sourcePort = t.sourcePort;
    if (t.destinationPort !== undefined) w.destinationPort = t.destinationPort;
  }
  if (Object.keys(w).length === 0) return undefined;
  if (protocol !== undefined) w.protocol = protocol;  // the kernel parses ports by protocol
  return w;
}

/**
 * The dump requests for a filter: one per family when a tuple match needs a
 * family the filter does not fix (the kernel filters tuples per family).
 */
export function listOps(f: CompiledFilter): ConntrackOpWire[] {
  const families = f.family !== undefined ? [f.family === 4 ? AF_INET : AF_INET6]
    : f.protocol !== undefined ? [AF_INET, AF_INET6] : [0];
  return families.map((family) => {
    const op: ConntrackOpWire & { op: 'list' } = { op: 'list', family };
    if (f.mark !== undefined) Object.assign(op, { mark: f.mark, markMask: f.markMask });
    if (f.zone !== undefined) op.zone = f.zone;
    if (family !== 0) {
      // IPv6 addresses stay out of the kernel filter: ctnetlink's IPv6 address
      // comparison is inverted (seen on Linux 6.18: a filter on 2001:db8::1
      // returns every entry except those), so they are matched here only.
      const original = tupleWire(f.original, f.protocol, family === AF_INET);
      const reply = tupleWire(f.reply, f.protocol, family === AF_INET);
      // The protocol only needs saying once; the kernel ANDs both directions.
      if (original !== undefined) op.original = original;
      else if (f.protocol !== undefined) op.original = { protocol: f.protocol };
      if (reply !== undefined) op.reply = reply;
    }
    return op;
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tupleMatches(m: TupleMatch, t: NativeCtTuple): boolean {
  if (m.source !== undefined && !sameBytes(m.source, t.source)) return false;
  if (m.destination !== undefined && !sameBytes(m.destination, t.destination)) return false;
  if (m.sourcePort !== undefined && t.sourcePort !== m.sourcePort) return false;
  if (m.destinationPort !== undefined && t.destinationPort !== m.destinationPort) return false;
  return true;
}

/** True if a decoded entry satisfies every part of the filter. */
export function matches(f: CompiledFilter, e: NativeCtEntry): boolean {
  if (f.family !== undefined && e.family !== (f.family === 4 ? AF_INET : AF_INET6)) return false;
  if (f.protocol !== undefined && e.original.protocol !== f.protocol) return false;
  if (f.mark !== undefined && ((e.mark & f.markMask) >>> 0) !== f.mark) return false;
  if (f.zone !== undefined && e.zone !== f.zone) return false;
  return tupleMatches(f.original, e.original) && tupleMatches(f.reply, e.reply);
}
