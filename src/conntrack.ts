// conntrack over ctnetlink (NETLINK_NETFILTER): list the connection tracking
// table and delete entries by filter, the way a proxy clears stale UDP flows
// when a backend goes away.
import { formatIp, parseIp, type IpFamily } from './addr.js';
import type { ConntrackOpWire, NativeCtEntry, NativeCtTuple } from './binding.js';
import {
  AF_INET, AF_INET6, compileFilter, listOps, matches, port, protocolName, protocolNumber, u32, zoneNumber,
} from './conntrack-filter.js';
import { denseArray } from './check.js';
import { NetlinkError, type NativeErrorInfo } from './errors.js';
import { check, NetlinkHandle, type OpenOptions } from './handle.js';

/** A layer-4 protocol by name (as `conntrack -p` takes it) or IPPROTO_* number. */
export type ConntrackProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | number;

/** One direction of a connection. */
export interface ConntrackTuple {
  source: string;
  destination: string;
  /** For protocols with ports (tcp, udp, sctp, dccp, udplite). */
  sourcePort?: number;
  destinationPort?: number;
  /** For icmp and icmpv6: the echo id, type and code. */
  icmp?: { id: number; type: number; code: number };
}

/** The entry's IPS_* status bits, by name, and the raw value. */
export interface ConntrackStatus {
  expected: boolean;
  seenReply: boolean;
  assured: boolean;
  confirmed: boolean;
  srcNat: boolean;
  dstNat: boolean;
  seqAdjust: boolean;
  srcNatDone: boolean;
  dstNatDone: boolean;
  dying: boolean;
  fixedTimeout: boolean;
  template: boolean;
  untracked: boolean;
  helper: boolean;
  offload: boolean;
  hwOffload: boolean;
  bits: number;
}
const STATUS_BITS: (keyof Omit<ConntrackStatus, 'bits'>)[] = [
  'expected', 'seenReply', 'assured', 'confirmed', 'srcNat', 'dstNat', 'seqAdjust', 'srcNatDone', 'dstNatDone',
  'dying', 'fixedTimeout', 'template', 'untracked', 'helper', 'offload', 'hwOffload',
];

/** TCP state as `conntrack -L` prints it, lower-cased. */
export type TcpState = 'none' | 'syn_sent' | 'syn_recv' | 'established' | 'fin_wait' | 'close_wait' | 'last_ack' |
  'time_wait' | 'close' | 'syn_sent2';
const TCP_STATES: TcpState[] = ['none', 'syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack',
  'time_wait', 'close', 'syn_sent2'];

export interface ConntrackCounters {
  packets: number;
  bytes: number;
}

/** A conntrack entry, as `conntrack -L -o extended,id` shows it. */
export interface ConntrackEntry {
  family: IpFamily;
  protocol: ConntrackProtocol;
  /** The direction of the first packet (client -> service address before DNAT). */
  original: ConntrackTuple;
  /** The direction replies come from (backend -> client after DNAT). */
  reply: ConntrackTuple;
  mark: number;
  zone: number;
  /** Seconds until the entry expires. */
  timeout: number;
  status: ConntrackStatus;
  tcpState?: TcpState;
  /** The kernel's id of the entry; deleting with it never hits a newer flow with the same tuple. */
  id: number;
  /** Reference count. */
  use: number;
  /** Only when accounting is on (sysctl net.netfilter.nf_conntrack_acct=1). */
  counters?: { original: ConntrackCounters; reply: ConntrackCounters };
}

/** Part of a tuple to match; every given field must be equal. */
export interface ConntrackTupleFilter {
  source?: string;
  destination?: string;
  sourcePort?: number;
  destinationPort?: number;
}

/** What to select; every given field must match. An empty filter selects everything. */
export interface ConntrackFilter {
  family?: IpFamily;
  protocol?: ConntrackProtocol;
  original?: ConntrackTupleFilter;
  reply?: ConntrackTupleFilter;
  /** Matches when (entry mark & markMask) == (mark & markMask). */
  mark?: number;
  /** Default 0xffffffff. */
  markMask?: number;
  zone?: number;
}

/** An entry to delete: what `list()` returned, or a tuple built by hand. */
export interface ConntrackEntryRef {
  family?: IpFamily;
  protocol: ConntrackProtocol;
  original: ConntrackTuple;
  zone?: number;
  /** When given, the kernel deletes only the entry with this id (ENOENT, not counted, otherwise). */
  id?: number;
}

function toTuple(t: NativeCtTuple): ConntrackTuple {
  const out: ConntrackTuple = { source: formatIp(t.source), destination: formatIp(t.destination) };
  if (t.sourcePort !== undefined) out.sourcePort = t.sourcePort;
  if (t.destinationPort !== undefined) out.destinationPort = t.destinationPort;
  if (t.icmpType !== undefined) out.icmp = { id: t.icmpId ?? 0, type: t.icmpType, code: t.icmpCode ?? 0 };
  return out;
}

function toStatus(bits: number): ConntrackStatus {
  const s = { bits } as ConntrackStatus;
  STATUS_BITS.forEach((name, i) => { s[name] = (bits & (1 << i)) !== 0; });
  return s;
}

function toEntry(n: NativeCtEntry): ConntrackEntry {
  const e: ConntrackEntry = {
    family: n.family === AF_INET6 ? 6 : 4,
    protocol: protocolName(n.original.protocol),
    original: toTuple(n.original),
    reply: toTuple(n.reply),
    mark: n.mark,
    zone: n.zone,
    timeout: n.timeout,
    status: toStatus(n.status),
    id: n.id,
    use: n.use,
  };
  if (n.tcpState !== undefined) e.tcpState = TCP_STATES[n.tcpState] ?? 'none';
  if (n.countersOriginal !== undefined && n.countersReply !== undefined) {
    e.counters = { original: n.countersOriginal, reply: n.countersReply };
  }
  return e;
}

// tcp, udp, dccp, sctp, udplite: an exact tuple needs both ports.
const PORTED = new Set([6, 17, 33, 132, 136]);

/** Validates an entry reference into a delete request. */
function deleteOp(ref: ConntrackEntryRef, i: number): ConntrackOpWire {
  const what = `entries[${i}]`;
  if (typeof ref !== 'object' || ref === null) throw new TypeError(`${what}: expected an entry`);
  const protocol = protocolNumber(ref.protocol, `${what}.protocol`);
  const t = ref.original;
  if (typeof t !== 'object' || t === null) throw new TypeError(`${what}.original: expected a tuple`);
  const src = parseIp(t.source, `${what}.original.source`);
  const dst = parseIp(t.destination, `${what}.original.destination`);
  if (src.family !== dst.family || (ref.family !== undefined && ref.family !== src.family)) {
    throw new TypeError(`${what}: addresses and family must all be IPv4 or all IPv6`);
  }
  const original: NativeCtTuple = { source: src.bytes, destination: dst.bytes, protocol };
  if (PORTED.has(protocol) || t.sourcePort !== undefined || t.destinationPort !== undefined) {
    original.sourcePort = port(t.sourcePort, `${what}.original.sourcePort`);
    original.destinationPort = port(t.destinationPort, `${what}.original.destinationPort`);
  }
  if (protocol === 1 || protocol === 58 || t.icmp !== undefined) {
    if (typeof t.icmp !== 'object' || t.icmp === null) throw new TypeError(`${what}.original.icmp: expected { id, type, code }`);
    original.icmpId = port(t.icmp.id, `${what}.original.icmp.id`);
    original.icmpType = u32(t.icmp.type, `${what}.original.icmp.type`);
    original.icmpCode = u32(t.icmp.code, `${what}.original.icmp.code`);
    if (original.icmpType > 255 || original.icmpCode > 255) throw new RangeError(`${what}.original.icmp: type and code must be 0..255`);
  }
  const op: ConntrackOpWire = { op: 'delete', family: src.family === 4 ? AF_INET : AF_INET6, original };
  if (ref.zone !== undefined && ref.zone !== 0) op.zone = zoneNumber(ref.zone, `${what}.zone`);
  if (ref.id !== undefined) op.id = u32(ref.id, `${what}.id`);
  return op;
}

/**
 * A ctnetlink handle bound to one network namespace: that namespace's
 * connection tracking table.
 *
 * ```ts
 * const ct = await Conntrack.open({ netns: 'node1' });
 * // a UDP backend went away: drop the flows DNAT'd to it
 * const n = await ct.delete({ protocol: 'udp', reply: { source: '10.244.1.5' } });
 * ```
 */
export class Conntrack extends NetlinkHandle {
  /** Opens a NETLINK_NETFILTER socket in `options.netns` (default: the caller's namespace). */
  static async open(options: OpenOptions = {}): Promise<Conntrack> {
    return new Conntrack(await NetlinkHandle.openNative('netfilter', options, 'conntrack.open'));
  }

  /**
   * Entries matching the filter (all when omitted). The kernel filters what
   * it can (family, mark, zone, and on Linux >= 5.8 protocol, addresses and
   * ports); the rest is matched here, so the result is exact on any kernel.
   *
   * Equivalent to: `conntrack -L -p udp --orig-dst 10.96.0.10` (with
   * `-f ipv6`, `--mark 42/0xff`, `--zone 1`, `--reply-src A`, `--sport P`, ...).
   */
  async list(filter?: ConntrackFilter): Promise<ConntrackEntry[]> {
    const f = compileFilter(filter);
    const ops = listOps(f);
    const results = await this.run('conntrack.list', (n) => n.conntrack(ops));
    const out: ConntrackEntry[] = [];
    for (const r of results) {
      for (const e of check('conntrack.list', r).entries!) if (matches(f, e)) out.push(toEntry(e));
    }
    return out;
  }

  /**
   * Deletes the entries matching the filter and returns how many were
   * deleted. Lists (kernel-filtered where possible), matches exactly, then
   * deletes every match by tuple and id in one pipelined call; an entry that
   * expired in between is not counted. The filter must be a plain object
   * whose keys all have values: an empty one, a key set to undefined or a
   * Date/Map/class instance is a TypeError (they would select everything);
   * `{ all: true }` deletes every entry.
   *
   * Equivalent to: `conntrack -D -p udp --reply-src 10.244.1.5`.
   */
  async delete(filter: ConntrackFilter | { all: true }): Promise<number> {
    const f = compileFilter(filter as ConntrackFilter, true);
    const ops = listOps(f);
    return this.run('conntrack.delete', async (n) => {
      const listed = await n.conntrack(ops);
      const dels: ConntrackOpWire[] = [];
      for (const r of listed) {
        for (const e of check('conntrack.delete', r).entries!) {
          if (!matches(f, e)) continue;
          const op: ConntrackOpWire = { op: 'delete', family: e.family, original: e.original, id: e.id };
          if (e.zone !== 0) op.zone = e.zone;
          dels.push(op);
        }
      }
      return countDeleted(dels.length === 0 ? [] : await n.conntrack(dels));
    });
  }

  /**
   * Deletes the given entries (as `list()` returned them, or hand-built
   * tuples) in one pipelined call; returns how many were deleted. All are
   * validated before anything is sent. Entries already gone are not counted.
   *
   * Equivalent to one `conntrack -D -p P -s SRC -d DST --sport S --dport D [--zone Z]` per entry.
   */
  async deleteEntries(entries: ConntrackEntryRef[]): Promise<number> {
    const ops = denseArray<ConntrackEntryRef>(entries, 'entries').map(deleteOp);
    if (ops.length === 0) return 0;
    return this.run('conntrack.deleteEntries', async (n) => countDeleted(await n.conntrack(ops), 'conntrack.deleteEntries'));
  }
}

/** Counts successful deletes; ENOENT (already gone) is skipped, anything else throws. */
function countDeleted(results: { error?: NativeErrorInfo }[], operation = 'conntrack.delete'): number {
  let deleted = 0;
  for (const r of results) {
    if (r.error === undefined) deleted++;
    else if (r.error.code !== 'ENOENT') throw new NetlinkError(operation, r.error);
  }
  return deleted;
}
