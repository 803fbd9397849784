// nft's data types: how a set key or map value of a named type is laid out
// in bytes, and how it is written in nft syntax. The ids are nft's own
// (datatype.h); concatenated types combine them 6 bits at a time.
import { formatIp, tryParseIp } from '../addr.js';

export type ByteOrder = 'big' | 'host';

export interface DataType {
  name: string;
  id: number;
  /** Bytes in a register (0 = variable, e.g. verdict). */
  len: number;
  order: ByteOrder;
  parse(v: Value): Uint8Array;
  format(b: Uint8Array): Value;
  /** False for bytes that format() would not give back exactly through parse() (decodeKey keeps those raw). */
  fits?(b: Uint8Array): boolean;
}

/** A typed value as users write it: '10.0.0.1', 80, 'tcp', 0x4000. */
export type Value = string | number;

const PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136 };
const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite' };
const NFPROTOS: Record<string, number> = { ipv4: 2, ipv6: 10 };
// nft's symbol tables; where two names share a number, the first is the one nft prints.
const ETHERTYPES: [string, number][] = [['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['8021ad', 0x88a8], ['vlan', 0x8100]];
const ARPOPS: [string, number][] = [['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10]];
const ARPHRDS: [string, number][] = [['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778]];

function symbols(table: [string, number][]): { names: Record<string, number>; back: Record<number, string> } {
  const names: Record<string, number> = {};
  const back: Record<number, string> = {};
  for (const [name, n] of table) {
    names[name] = n;
    back[n] ??= name;
  }
  return { names, back };
}
const ether = symbols(ETHERTYPES);
const arpop = symbols(ARPOPS);
const arphrd = symbols(ARPHRDS);

function intBytes(n: number, len: number, order: ByteOrder, what: string): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** (8 * Math.min(len, 6))) throw new RangeError(`${what}: ${n} does not fit in ${len} bytes`);
  const b = Buffer.alloc(len);
  b.writeUIntBE(n, len - Math.min(len, 6), Math.min(len, 6));
  if (order === 'host') b.reverse();
  return b;
}

// The integer in b (its last 6 bytes in network order; its first 6 in host order).
function bytesInt(b: Uint8Array, order: ByteOrder): number {
  const n = b.length;
  const k = Math.min(6, n);
  let v = 0;
  if (order === 'host') for (let i = k - 1; i >= 0; i--) v = v * 256 + b[i]!;
  else for (let i = n - k; i < n; i++) v = v * 256 + b[i]!;
  return v;
}

function integer(name: string, id: number, len: number, order: ByteOrder, names?: Record<string, number>, back?: Record<number, string>, hexWidth?: number): DataType {
  return {
    name, id, len, order,
    parse(v) {
      if (typeof v === 'string') {
        if (names?.[v] !== undefined) return intBytes(names[v]!, len, order, name);
        if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return intBytes(Number(v), len, order, name);
        throw new TypeError(`${name}: cannot parse ${JSON.stringify(v)}`);
      }
      return intBytes(v, len, order, name);
    },
    format(b) {
      const n = bytesInt(b, order);
      return back?.[n] ?? (hexWidth !== undefined ? `0x${n.toString(16).padStart(hexWidth, '0')}` : n);
    },
  };
}

function address(name: string, id: number, family: 4 | 6): DataType {
  const len = family === 4 ? 4 : 16;
  return {
    name, id, len, order: 'big',
    parse(v) {
      const ip = typeof v === 'string' ? tryParseIp(v) : undefined;
      if (ip === undefined || ip.family !== family) throw new TypeError(`${name}: not an IPv${family} address: ${JSON.stringify(v)}`);
      return ip.bytes;
    },
    format: (b) => formatIp(b),
  };
}

function ifname(): DataType {
  const t: DataType = {
    name: 'ifname', id: 41, len: 16, order: 'host',
    parse(v) {
      if (typeof v !== 'string' || Buffer.byteLength(v) > 15) throw new TypeError(`ifname: not an interface name: ${JSON.stringify(v)}`);
      const b = Buffer.alloc(16);
      b.write(v);
      return b;
    },
    format: (b) => Buffer.from(b).toString('utf8').replace(/\0+$/, ''),
    // 16 bytes without a NUL, or bytes that are not UTF-8, are no name parse() would write.
    fits(b) {
      const s = t.format(b) as string;
      return Buffer.byteLength(s) <= 15 && Buffer.compare(t.parse(s), b) === 0;
    },
  };
  return t;
}

function etherAddr(): DataType {
  return {
    name: 'ether_addr', id: 9, len: 6, order: 'big',
    parse(v) {
      if (typeof v !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v)) throw new TypeError(`ether_addr: ${JSON.stringify(v)}`);
      return Buffer.from(v.replace(/:/g, ''), 'hex');
    },
    format: (b) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1:'),
  };
}

const verdictType: DataType = {
  name: 'verdict', id: 1, len: 0, order: 'host',
  parse() { throw new TypeError('verdict: use a verdict object'); },
  format() { return 'verdict'; },
};

const TYPES: DataType[] = [
  verdictType,
  integer('nf_proto', 2, 1, 'host', NFPROTOS),
  integer('integer', 4, 4, 'host'),
  address('ipv4_addr', 7, 4),
  address('ipv6_addr', 8, 6),
  etherAddr(),
  integer('ether_type', 10, 2, 'big', ether.names, ether.back, 4),
  integer('arp_op', 11, 2, 'big', arpop.names, arpop.back),
  integer('inet_proto', 12, 1, 'big', PROTOS, PROTO_NAMES),
  integer('inet_service', 13, 2, 'big'),
  integer('icmp_type', 14, 1, 'big'),
  integer('mark', 19, 4, 'host'),
  integer('iface_index', 20, 4, 'host'),
  integer('iface_type', 21, 2, 'host', arphrd.names, arphrd.back),
  integer('ct_state', 26, 4, 'host'),
  integer('icmpv6_type', 29, 1, 'big'),
  integer('dscp', 36, 1, 'big'),
  ifname(),
];

/** nft's integer as a header field holds it: big-endian, as wide as the field (`arp htype` is 2 bytes). */
export function fieldInteger(len: number): DataType {
  return integer('integer', 4, len, 'big');
}

const BY_NAME = new Map(TYPES.map((t) => [t.name, t]));
const BY_ID = new Map(TYPES.map((t) => [t.id, t]));
const TYPE_BITS = 6;

export function dataType(name: string): DataType {
  const t = BY_NAME.get(name);
  if (t === undefined) throw new TypeError(`unknown data type ${JSON.stringify(name)}; known: ${[...BY_NAME.keys()].join(', ')}`);
  return t;
}

export function dataTypeById(id: number): DataType | undefined {
  return BY_ID.get(id);
}

/** 'ipv4_addr . inet_proto . inet_service' -> its parts. */
export function splitType(spec: string): DataType[] {
  if (typeof spec !== 'string' || spec.trim() === '') throw new TypeError(`type: expected a type name like 'ipv4_addr'`);
  return spec.split('.').map((s) => dataType(s.trim()));
}

/** nft's id for a (possibly concatenated) type. */
export function typeId(parts: DataType[]): number {
  return parts.reduce((id, t) => ((id << TYPE_BITS) | t.id) >>> 0, 0);
}

/** The parts of a type id, or undefined if any part is unknown. */
export function typesOfId(id: number): DataType[] | undefined {
  if (id === 0xffffff00) return [verdictType];
  const parts: DataType[] = [];
  for (let v = id; v !== 0; v = Math.floor(v / 2 ** TYPE_BITS)) {
    const t = BY_ID.get(v & ((1 << TYPE_BITS) - 1));
    if (t === undefined) return undefined;
    parts.unshift(t);
  }
  return parts.length > 0 ? parts : undefined;
}

/** Register-padded length of a key of these parts (each part rounded up to 4 bytes when concatenated). */
export function keyLength(parts: DataType[]): number {
  if (parts.length === 1) return parts[0]!.len;
  return parts.reduce((n, t) => n + ((t.len + 3) & ~3), 0);
}

/** Encodes a key of one or more parts; concatenations pad each part to 4 bytes. */
export function encodeKey(parts: DataType[], v: Value | Value[], what = 'key'): Uint8Array {
  const values = Array.isArray(v) ? v : [v];
  if (values.length !== parts.length) throw new TypeError(`${what}: expected ${parts.length} value(s) for ${parts.map((p) => p.name).join(' . ')}, got ${values.length}`);
  if (parts.length === 1) return parts[0]!.parse(values[0]!);
  const out = Buffer.alloc(keyLength(parts));
  let off = 0;
  parts.forEach((t, i) => {
    out.set(t.parse(values[i]!), off);
    off += (t.len + 3) & ~3;
  });
  return out;
}

/**
 * Decodes a key; undefined when the bytes are not one encodeKey would make
 * for these types (wrong length, padding that is not zero, a value a type
 * cannot give back exactly), so that the caller keeps them raw.
 */
export function decodeKey(parts: DataType[], b: Uint8Array): Value | Value[] | undefined {
  if (b.length !== keyLength(parts)) return undefined;
  if (parts.length === 1) return parts[0]!.fits?.(b) === false ? undefined : parts[0]!.format(b);
  const out: Value[] = [];
  let off = 0;
  for (const t of parts) {
    const v = b.subarray(off, off + t.len);
    if (t.fits?.(v) === false) return undefined;
    out.push(t.format(v));
    const end = off + ((t.len + 3) & ~3);
    for (let i = off + t.len; i < end; i++) if (b[i] !== 0) return undefined;
    off = end;
  }
  return out;
}
