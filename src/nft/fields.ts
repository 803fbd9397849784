// The packet fields nft names (`ip saddr`, `tcp dport`, `ether type`,
// `vlan id`, `meta l4proto`, `ct state`, ...): which expression loads each,
// and the data type of what it loads. The builders use it forwards, the
// printer backwards.
import { show } from '../check.js';
import { dataType, fieldInteger, type DataType } from './datatypes.js';
import type { Expression } from './expr/index.js';

/**
 * The matches nft adds in front of a field to make sure the header is the
 * one it reads, by what they compare: `meta l4proto tcp` ('l4'), `meta
 * nfproto ipv4` ('nf', inet tables), `meta protocol ip` ('proto', netdev and
 * bridge tables), `ether type 8021q` ('ethertype'), `meta iiftype ether`
 * ('iiftype', link layer fields outside bridge tables).
 */
export type DepKey = 'l4' | 'nf' | 'proto' | 'ethertype' | 'iiftype';

export interface Field {
  /** nft's name: 'ip saddr'. */
  name: string;
  type: DataType;
  /** The load expression into dreg. */
  load(dreg: number): Expression;
  /** For tcp/udp fields: the l4 protocol nft checks first (`meta l4proto tcp`). */
  l4proto?: number;
  /** For ip/ip6 fields in inet/bridge/netdev tables: the nfproto nft checks first. */
  nfproto?: number;
  /** Every dependency this field makes implicit (nft does not print them before it). */
  deps: { key: DepKey; value: number }[];
  /** A field whose equality match is such a dependency. */
  depKey?: DepKey;
  /** The header the field is in, to tell fields at the same offset apart (`arp` vs `ip`). */
  header?: 'ip' | 'ip6' | 'arp' | 'ether' | 'vlan' | 'th';
  /** Bit fields (`vlan id`): the bits of the loaded bytes that hold the value, and how far up they sit. */
  mask?: Uint8Array;
  shift?: number;
}

type Base = 'll_header' | 'network_header' | 'transport_header';

const payload = (base: Base, offset: number, len: number) =>
  (dreg: number): Expression => ({ type: 'payload', base, offset, len, dreg });

const ETH_P = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100, qinq: 0x88a8 };
const ARPHRD_ETHER = 1;

// What a field of each header implies.
const DEPS: Record<NonNullable<Field['header']>, Field['deps']> = {
  ip: [{ key: 'nf', value: 2 }, { key: 'proto', value: ETH_P.ip }, { key: 'ethertype', value: ETH_P.ip }],
  ip6: [{ key: 'nf', value: 10 }, { key: 'proto', value: ETH_P.ip6 }, { key: 'ethertype', value: ETH_P.ip6 }],
  arp: [{ key: 'proto', value: ETH_P.arp }, { key: 'ethertype', value: ETH_P.arp }],
  ether: [{ key: 'iiftype', value: ARPHRD_ETHER }],
  vlan: [{ key: 'iiftype', value: ARPHRD_ETHER }, { key: 'ethertype', value: ETH_P.vlan }, { key: 'ethertype', value: ETH_P.qinq }, { key: 'proto', value: ETH_P.vlan }],
  th: [],
};
const BASES: Record<NonNullable<Field['header']>, Base> = {
  ip: 'network_header', ip6: 'network_header', arp: 'network_header', ether: 'll_header', vlan: 'll_header', th: 'transport_header',
};

function pf(name: string, type: string, header: NonNullable<Field['header']>, offset: number, len: number, extra: Partial<Field> = {}): Field {
  const deps = extra.deps ?? [...DEPS[header]];
  if (extra.l4proto !== undefined) deps.push({ key: 'l4', value: extra.l4proto });
  return { name, type: type === 'integer' ? fieldInteger(len) : dataType(type), load: payload(BASES[header], offset, len), header, ...extra, deps };
}

// A bit field of `bits` bits, `from` bits into the `len` bytes loaded at offset.
function bitfield(name: string, header: 'vlan', offset: number, len: number, from: number, bits: number): Field {
  const mask = new Uint8Array(len);
  for (let i = from; i < from + bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  return { ...pf(name, 'integer', header, offset, len), mask, shift: len * 8 - from - bits };
}

const meta = (name: string, type: string, key: string, extra: Partial<Field> = {}): Field =>
  ({ name, type: dataType(type), load: (dreg) => ({ type: 'meta', key, dreg }) as Expression, ...extra, deps: extra.deps ?? [] });

const FIELDS: Field[] = [
  pf('ip saddr', 'ipv4_addr', 'ip', 12, 4, { nfproto: 2 }),
  pf('ip daddr', 'ipv4_addr', 'ip', 16, 4, { nfproto: 2 }),
  pf('ip protocol', 'inet_proto', 'ip', 9, 1, { nfproto: 2 }),
  pf('ip6 saddr', 'ipv6_addr', 'ip6', 8, 16, { nfproto: 10 }),
  pf('ip6 daddr', 'ipv6_addr', 'ip6', 24, 16, { nfproto: 10 }),
  pf('ip6 nexthdr', 'inet_proto', 'ip6', 6, 1, { nfproto: 10 }),
  pf('tcp sport', 'inet_service', 'th', 0, 2, { l4proto: 6 }),
  pf('tcp dport', 'inet_service', 'th', 2, 2, { l4proto: 6 }),
  pf('udp sport', 'inet_service', 'th', 0, 2, { l4proto: 17 }),
  pf('udp dport', 'inet_service', 'th', 2, 2, { l4proto: 17 }),
  pf('sctp sport', 'inet_service', 'th', 0, 2, { l4proto: 132 }),
  pf('sctp dport', 'inet_service', 'th', 2, 2, { l4proto: 132 }),
  pf('th sport', 'inet_service', 'th', 0, 2),
  pf('th dport', 'inet_service', 'th', 2, 2),
  pf('ether daddr', 'ether_addr', 'ether', 0, 6),
  pf('ether saddr', 'ether_addr', 'ether', 6, 6),
  pf('ether type', 'ether_type', 'ether', 12, 2, { depKey: 'ethertype' }),
  bitfield('vlan pcp', 'vlan', 14, 1, 0, 3),
  bitfield('vlan dei', 'vlan', 14, 1, 3, 1),
  bitfield('vlan id', 'vlan', 14, 2, 4, 12),
  // nft keeps `ether type 8021q` before a lone `vlan type` (the field names the next header, as ether type does).
  pf('vlan type', 'ether_type', 'vlan', 16, 2, { depKey: 'ethertype', deps: [{ key: 'iiftype', value: ARPHRD_ETHER }] }),
  pf('arp htype', 'integer', 'arp', 0, 2),
  pf('arp ptype', 'ether_type', 'arp', 2, 2),
  pf('arp hlen', 'integer', 'arp', 4, 1),
  pf('arp plen', 'integer', 'arp', 5, 1),
  pf('arp operation', 'arp_op', 'arp', 6, 2),
  pf('arp saddr ether', 'ether_addr', 'arp', 8, 6),
  pf('arp saddr ip', 'ipv4_addr', 'arp', 14, 4),
  pf('arp daddr ether', 'ether_addr', 'arp', 18, 6),
  pf('arp daddr ip', 'ipv4_addr', 'arp', 24, 4),
  meta('meta l4proto', 'inet_proto', 'l4proto', { depKey: 'l4' }),
  meta('meta nfproto', 'nf_proto', 'nfproto', { depKey: 'nf' }),
  meta('meta protocol', 'ether_type', 'protocol', { depKey: 'proto' }),
  meta('meta iiftype', 'iface_type', 'iiftype', { depKey: 'iiftype' }),
  meta('meta oiftype', 'iface_type', 'oiftype'),
  meta('meta mark', 'mark', 'mark'),
  meta('iifname', 'ifname', 'iifname'),
  meta('oifname', 'ifname', 'oifname'),
  meta('iif', 'iface_index', 'iif'),
  meta('oif', 'iface_index', 'oif'),
  { name: 'ct state', type: dataType('ct_state'), load: (dreg) => ({ type: 'ct', key: 'state', dreg }), deps: [] },
  { name: 'ct mark', type: dataType('mark'), load: (dreg) => ({ type: 'ct', key: 'mark', dreg }), deps: [] },
];

const BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));

export type FieldName =
  | 'ip saddr' | 'ip daddr' | 'ip protocol' | 'ip6 saddr' | 'ip6 daddr' | 'ip6 nexthdr'
  | 'tcp sport' | 'tcp dport' | 'udp sport' | 'udp dport' | 'sctp sport' | 'sctp dport' | 'th sport' | 'th dport'
  | 'ether daddr' | 'ether saddr' | 'ether type' | 'vlan id' | 'vlan pcp' | 'vlan dei' | 'vlan type'
  | 'arp htype' | 'arp ptype' | 'arp hlen' | 'arp plen' | 'arp operation' | 'arp saddr ether' | 'arp saddr ip' | 'arp daddr ether' | 'arp daddr ip'
  | 'meta l4proto' | 'meta nfproto' | 'meta protocol' | 'meta iiftype' | 'meta oiftype' | 'meta mark' | 'iifname' | 'oifname' | 'iif' | 'oif'
  | 'ct state' | 'ct mark';

export function field(name: FieldName | string): Field {
  const f = BY_NAME.get(name);
  if (f === undefined) throw new TypeError(`unknown field ${show(name)}; known: ${[...BY_NAME.keys()].join(', ')}`);
  return f;
}

// Payload fields by where they load from: "base offset len" -> fields.
const BY_PLACE = new Map<string, Field[]>();
for (const f of FIELDS) {
  const e = f.load(1) as { type: string; base?: string; offset?: number; len?: number };
  if (e.type !== 'payload') continue;
  const k = `${e.base} ${e.offset} ${e.len}`;
  BY_PLACE.set(k, [...(BY_PLACE.get(k) ?? []), f]);
}

/**
 * The field a payload load reads, by base/offset/len (undefined if nft has
 * no name for it). `nh` is the network header in effect (from the table's
 * family or the dependencies matched so far), `l4` the transport protocol.
 * Bit fields are returned too: their value is only there once masked.
 */
export function payloadField(base: string | number, offset: number, len: number, nh: 'ip' | 'ip6' | 'arp' | undefined, l4: string | undefined): Field | undefined {
  const candidates = BY_PLACE.get(`${base} ${offset} ${len}`) ?? [];
  if (base === 'transport_header') return candidates.find((f) => f.name.startsWith(`${l4 ?? 'th'} `)) ?? candidates.find((f) => f.name.startsWith('th '));
  if (base === 'network_header') return candidates.find((f) => nh === undefined || f.header === nh) ?? (nh === undefined ? candidates[0] : undefined);
  return candidates[0];
}

const loadLen = (f: Field): number => (f.load(1) as { len: number }).len;

/**
 * The fields that together make up a load nft merged from several matches
 * (`ether saddr X ether type ip` is one 8-byte load at offset 6), longest
 * first at each offset; undefined unless it takes more than one.
 */
export function fieldsCovering(base: string | number, offset: number, len: number, nh: 'ip' | 'ip6' | 'arp' | undefined, l4: string | undefined): Field[] | undefined {
  // A load fills at most the 64 bytes of the register file; a longer one
  // (only in made-up input) is no merge of fields, and would cost len^2 here.
  if (len > 64) return undefined;
  const out: Field[] = [];
  for (let at = offset; at < offset + len;) {
    let f: Field | undefined;
    for (let n = offset + len - at; n >= 1 && f === undefined; n--) {
      const c = payloadField(base, at, n, nh, l4);
      if (c !== undefined && c.mask === undefined) f = c;
    }
    if (f === undefined) return undefined;
    out.push(f);
    at += loadLen(f);
  }
  return out.length > 1 ? out : undefined;
}

/** The bit fields loaded with exactly these bytes (`vlan pcp` and `vlan dei` share one). */
export function bitFields(base: string | number, offset: number, len: number): Field[] {
  return (BY_PLACE.get(`${base} ${offset} ${len}`) ?? []).filter((f) => f.mask !== undefined);
}

/** The field a meta/ct load reads. */
export function keyField(type: 'meta' | 'ct', key: string | number): Field | undefined {
  return FIELDS.find((f) => {
    const e = f.load(1) as { type: string; key?: string };
    return e.type === type && e.key === key;
  });
}
