// nft's data types: how a set key or map value of a named type is laid out
// in bytes, how it is written in nft syntax, and what nft needs to print it
// (byte order, size in bits, base type, symbols, number format). The ids
// are nft's own (datatype.h); concatenated types combine them 6 bits at a time.
import { own, show } from '../check.js';
import { formatIp, tryParseIp } from '../addr.js';
import * as S from './symbols.js';

export type ByteOrder = 'big' | 'host';

/** How nft prints a value of a type when no symbol names it (see print/value.ts). */
export type Printer = 'integer' | 'string' | 'lladdr' | 'ipv4' | 'ipv6' | 'inet_proto' | 'time' | 'date' | 'hour' |
  'ifindex' | 'classid' | 'ct_label' | 'cgroupv2' | 'verdict' | 'invalid';

export interface DataType {
  name: string;
  id: number;
  /** Bytes in a register (0 = variable, e.g. verdict). */
  len: number;
  /** nft's size in bits (6 for dscp, 1 for boolean; 0 = variable). */
  bits: number;
  order: ByteOrder;
  /** nft's base type (integer, bitmask, string, ll_addr). */
  base?: DataType;
  symbols?: S.Symbols;
  /** Symbols print quoted (`"default"`). */
  quoted?: boolean;
  /** The number format of the type or its base: hex, zero-padded to width digits. */
  hex?: { width: number };
  /** A mask of it prints as a prefix length (`10.0.0.0/8`, marks, realms). */
  prefix?: boolean;
  printer: Printer;
  /** A concatenation's parts (`ipv4_addr . inet_service`). */
  parts?: DataType[];
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

// Two-way maps from a symbol table: names -> number, number -> first name.
function symbols(t: S.Symbols): { names: Record<string, number>; back: Record<number, string> } {
  const names: Record<string, number> = {};
  const back: Record<number, string> = {};
  for (const [name, n] of t.entries) {
    names[name] = n;
    back[n] ??= name;
  }
  return { names, back };
}
const ether = symbols(S.ETHERTYPE_SYMBOLS);
const arpop = symbols(S.ARPOP_SYMBOLS);
const arphrd = symbols(S.ARPHRD_SYMBOLS);

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

type Extra = Partial<Pick<DataType, 'base' | 'symbols' | 'quoted' | 'hex' | 'prefix' | 'printer' | 'bits'>>;

// An integer type; names (and back) are what parse() accepts and format() gives (symbols only print).
function integer(name: string, id: number, len: number, order: ByteOrder, extra: Extra = {}, names?: Record<string, number>, back?: Record<number, string>, hexWidth?: number): DataType {
  const accepted = names ?? (extra.symbols !== undefined ? symbols(extra.symbols).names : undefined);
  return {
    name, id, len, order, bits: len * 8, printer: 'integer', base: INTEGER, ...extra,
    parse(v) {
      if (typeof v === 'string') {
        const known = accepted !== undefined ? own(accepted, v) : undefined;
        if (known !== undefined) return intBytes(known, len, order, name);
        if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return intBytes(Number(v), len, order, name);
        throw new TypeError(`${name}: cannot parse ${show(v)}`);
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
    name, id, len, bits: len * 8, order: 'big', base: INTEGER, prefix: true, printer: family === 4 ? 'ipv4' : 'ipv6',
    parse(v) {
      const ip = typeof v === 'string' ? tryParseIp(v) : undefined;
      if (ip === undefined || ip.family !== family) throw new TypeError(`${name}: not an IPv${family} address: ${show(v)}`);
      return ip.bytes;
    },
    format: (b) => formatIp(b),
  };
}

function ifname(): DataType {
  const t: DataType = {
    name: 'ifname', id: 41, len: 16, bits: 128, order: 'host', base: STRING, printer: 'string',
    parse(v) {
      if (typeof v !== 'string' || Buffer.byteLength(v) > 15) throw new TypeError(`ifname: not an interface name: ${show(v)}`);
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
    name: 'ether_addr', id: 9, len: 6, bits: 48, order: 'big', base: LLADDR, printer: 'lladdr',
    parse(v) {
      if (typeof v !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v)) throw new TypeError(`ether_addr: ${show(v)}`);
      return Buffer.from(v.replace(/:/g, ''), 'hex');
    },
    format: (b) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1:'),
  };
}

// Types that only have a printer: parse() takes numbers (or a symbol), format() gives numbers.
function basic(name: string, id: number, len: number, order: ByteOrder, printer: Printer, base?: DataType): DataType {
  return {
    name, id, len, bits: len * 8, order, printer, ...(base !== undefined ? { base } : {}),
    parse(v) {
      if (typeof v === 'number' || /^(0x[0-9a-f]+|\d+)$/i.test(v)) return intBytes(Number(v), len, order, name);
      throw new TypeError(`${name}: cannot parse ${show(v)}`);
    },
    format: (b) => bytesInt(b, order),
  };
}

const INTEGER: DataType = basic('integer', 4, 4, 'host', 'integer');
const BITMASK: DataType = { ...basic('bitmask', 3, 0, 'host', 'integer', INTEGER), hex: { width: 0 } };
const STRING: DataType = basic('string', 5, 0, 'host', 'string');
const LLADDR: DataType = { ...basic('ll_addr', 6, 0, 'big', 'lladdr', INTEGER) };
const verdictType: DataType = {
  name: 'verdict', id: 1, len: 0, bits: 0, order: 'host', printer: 'verdict',
  parse() { throw new TypeError('verdict: use a verdict object'); },
  format() { return 'verdict'; },
};

const bitmask = (name: string, id: number, len: number, symbolTable: S.Symbols): DataType =>
  integer(name, id, len, 'host', { base: BITMASK, symbols: symbolTable });

const TYPES: DataType[] = [
  verdictType,
  integer('nf_proto', 2, 1, 'host', { symbols: S.NFPROTO_SYMBOLS }, NFPROTOS),
  BITMASK,
  INTEGER,
  STRING,
  LLADDR,
  address('ipv4_addr', 7, 4),
  address('ipv6_addr', 8, 6),
  etherAddr(),
  integer('ether_type', 10, 2, 'big', { symbols: S.ETHERTYPE_SYMBOLS, hex: { width: 4 } }, ether.names, ether.back, 4),
  integer('arp_op', 11, 2, 'big', { symbols: S.ARPOP_SYMBOLS }, arpop.names, arpop.back),
  integer('inet_proto', 12, 1, 'big', { printer: 'inet_proto' }, PROTOS, PROTO_NAMES),
  integer('inet_service', 13, 2, 'big'),
  integer('icmp_type', 14, 1, 'big', { symbols: S.ICMP_TYPE_SYMBOLS }),
  integer('tcp_flag', 15, 1, 'big', { base: BITMASK, symbols: S.TCP_FLAG_SYMBOLS }),
  integer('dccp_pkttype', 16, 1, 'big', { symbols: S.DCCP_PKTTYPE_SYMBOLS, bits: 4 }),
  integer('mh_type', 17, 1, 'big', { symbols: S.MH_TYPE_SYMBOLS }),
  integer('time', 18, 4, 'host', { printer: 'time' }),
  integer('mark', 19, 4, 'host', { symbols: S.MARK_SYMBOLS, quoted: true, hex: { width: 8 }, prefix: true }),
  integer('iface_index', 20, 4, 'host', { printer: 'ifindex' }),
  integer('iface_type', 21, 2, 'host', { symbols: S.ARPHRD_SYMBOLS }, arphrd.names, arphrd.back),
  integer('realm', 22, 4, 'host', { symbols: S.REALM_SYMBOLS, quoted: true, prefix: true }),
  integer('classid', 23, 4, 'host', { printer: 'classid' }),
  integer('uid', 24, 4, 'host'),
  integer('gid', 25, 4, 'host'),
  bitmask('ct_state', 26, 4, S.CT_STATE_SYMBOLS),
  integer('ct_dir', 27, 1, 'big', { symbols: S.CT_DIR_SYMBOLS }),
  bitmask('ct_status', 28, 4, S.CT_STATUS_SYMBOLS),
  integer('icmpv6_type', 29, 1, 'big', { symbols: S.ICMPV6_TYPE_SYMBOLS }),
  { ...integer('ct_label', 30, 16, 'host', { base: BITMASK, printer: 'ct_label' }) },
  integer('pkt_type', 31, 1, 'host', { symbols: S.PKTTYPE_SYMBOLS }),
  integer('icmp_code', 32, 1, 'big', { symbols: S.ICMP_CODE_SYMBOLS }),
  integer('icmpv6_code', 33, 1, 'big', { symbols: S.ICMPV6_CODE_SYMBOLS }),
  integer('icmpx_code', 34, 1, 'big', { symbols: S.ICMPX_CODE_SYMBOLS }),
  integer('devgroup', 35, 4, 'host', { symbols: S.DEVGROUP_SYMBOLS, quoted: true, prefix: true }),
  integer('dscp', 36, 1, 'big', { symbols: S.DSCP_SYMBOLS, hex: { width: 2 }, bits: 6 }),
  integer('ecn', 37, 1, 'big', { symbols: S.ECN_SYMBOLS, hex: { width: 1 }, bits: 2 }),
  integer('fib_addrtype', 38, 4, 'host', { symbols: S.FIB_ADDRTYPE_SYMBOLS }),
  integer('boolean', 39, 1, 'host', { symbols: S.BOOLEAN_SYMBOLS, bits: 1 }),
  bitmask('ct_event', 40, 4, S.CT_EVENT_SYMBOLS),
  ifname(),
  integer('igmp_type', 42, 1, 'big', { symbols: S.IGMP_TYPE_SYMBOLS }),
  integer('time', 43, 8, 'host', { printer: 'date' }),
  integer('hour', 44, 4, 'host', { printer: 'hour' }),
  integer('day', 45, 1, 'host', { symbols: S.DAY_SYMBOLS, quoted: true }),
  integer('cgroupsv2', 46, 8, 'host', { printer: 'cgroupv2' }),
];

/** nft's integer as a header field holds it: big-endian, as wide as the field (`arp htype` is 2 bytes). */
export function fieldInteger(len: number): DataType {
  return integer('integer', 4, len, 'big');
}

const BY_NAME = new Map<string, DataType>();
for (const t of TYPES) if (!BY_NAME.has(t.name)) BY_NAME.set(t.name, t);
const BY_ID = new Map(TYPES.map((t) => [t.id, t]));
const TYPE_BITS = 6;

export function dataType(name: string): DataType {
  const t = BY_NAME.get(name);
  if (t === undefined) throw new TypeError(`unknown data type ${show(name)}; known: ${[...BY_NAME.keys()].join(', ')}`);
  return t;
}

export function dataTypeById(id: number): DataType | undefined {
  return BY_ID.get(id);
}

/** The root of a type's base chain (integer, string, verdict). */
export function baseType(t: DataType): DataType {
  let b = t;
  while (b.base !== undefined) b = b.base;
  return b;
}

/** True for bitmask types (ct state, tcp flags): their values print as flag lists. */
export function isBitmask(t: DataType): boolean {
  return t.base === BITMASK;
}

/** 'ipv4_addr . inet_proto . inet_service' -> its parts. */
// Sets of one type are many (an anonymous map per service): their type names are parsed once.
const SPLIT = new Map<string, readonly DataType[]>();

/** The parts of a type name (`ipv4_addr . inet_service`); the array is shared, not to be changed. */
export function splitType(spec: string): DataType[] {
  const known = typeof spec === 'string' ? SPLIT.get(spec) : undefined;
  if (known !== undefined) return known as DataType[];
  if (typeof spec !== 'string' || spec.trim() === '') throw new TypeError(`type: expected a type name like 'ipv4_addr'`);
  const parts = spec.split('.').map((s) => dataType(s.trim()));
  if (SPLIT.size < 1024) SPLIT.set(spec, parts);
  return parts;
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

/** The type of a concatenation of these types (nft's concat_type_alloc). */
export function concatType(parts: DataType[]): DataType {
  return {
    name: parts.map((p) => p.name).join(' . '), id: typeId(parts), len: keyLength(parts), bits: keyLength(parts) * 8, order: 'big',
    printer: 'integer', parts,
    parse() { throw new TypeError('concatenation: give the parts'); },
    format() { return 0; },
  };
}

/** Register-padded length of a key of these parts (each part rounded up to 4 bytes when concatenated). */
export function keyLength(parts: DataType[]): number {
  if (parts.length === 1) return parts[0]!.len;
  return parts.reduce((n, t) => n + ((t.len + 3) & ~3), 0);
}

/** Encodes a key of one or more parts; concatenations pad each part to 4 bytes. */
export function encodeKey(parts: DataType[], v: Value | Value[], what = 'key'): Uint8Array {
  const values = Array.isArray(v) ? v : [v];
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'string' && typeof x !== 'number') throw new TypeError(`${what}${values.length > 1 ? `[${i}]` : ''}: expected a string or a number, got ${show(x)}`);
  }
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
  if (b.length !== keyLength(parts) || parts.some((t) => t.len === 0)) return undefined;
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
