// The few statements the proxy needs that the library's builders do not
// spell: written as the expressions nft itself generates for the same text
// (checked with `nft --debug=netlink`), so `nft list ruleset` prints them
// back as that text.
import type { Expression } from '../../../nft/index.js';
import type { L4Protocol } from '../../model/types.js';
import type { FamilyNames } from './family.js';

// Registers and flags from linux/netfilter/nf_tables.h.
const REG_1 = 1;
const REG32_00 = 8;
const NFTA_FIB_F_SADDR = 1;
const RTN_LOCAL = 2;
const IPS_DST_NAT = 0x20;
const NF_NAT_RANGE_MAP_IPS = 1;
const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

function le32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** `fib saddr type local`: the packet comes from an address of this host. */
export function fibSaddrLocal(): Expression[] {
  return [{ type: 'fib', flags: NFTA_FIB_F_SADDR, result: 'type', dreg: REG_1 }, { type: 'cmp', sreg: REG_1, op: 'eq', data: le32(RTN_LOCAL) }];
}

/** `ct status dnat`: the connection's destination was translated. */
export function ctStatusDnat(): Expression[] {
  return [{ type: 'ct', key: 'status', dreg: REG_1 },
    { type: 'bitwise', sreg: REG_1, dreg: REG_1, len: 4, mask: le32(IPS_DST_NAT), xor: le32(0) },
    { type: 'cmp', sreg: REG_1, op: 'neq', data: le32(0) }];
}

/** `meta mark set meta mark ^ BITS` (clears bits known to be set). */
export function xorMark(bits: number): Expression[] {
  return [{ type: 'meta', key: 'mark', dreg: REG_1 },
    { type: 'bitwise', sreg: REG_1, dreg: REG_1, len: 4, op: 'mask_xor', mask: le32(0xffffffff), xor: le32(bits) },
    { type: 'meta', key: 'mark', sreg: REG_1 }];
}

/** `iifname [!=] "NAME"`, or with `prefix` `iifname [!=] "NAME*"` (nft compares only the prefix bytes). */
export function iifname(name: string, op: '==' | '!=', prefix: boolean): Expression[] {
  const data = prefix ? Buffer.from(name) : Buffer.concat([Buffer.from(name), Buffer.alloc(16 - Buffer.byteLength(name))]);
  return [{ type: 'meta', key: 'iifname', dreg: REG_1 }, { type: 'cmp', sreg: REG_1, op: op === '==' ? 'eq' : 'neq', data }];
}

/**
 * `dnat ip to numgen random mod N map @MAP`: picks entry 0..N-1 of a named
 * map of `integer : ipv4_addr . inet_service` and translates to it. The map
 * lookup leaves the address at register 1 and the port in the 32-bit
 * register after the address (reg 9 for IPv4, reg 12 for IPv6).
 */
export function dnatNumgenMap(fam: FamilyNames, map: string, n: number): Expression[] {
  const port = REG32_00 + (fam.family === 4 ? 1 : 4);
  return [
    { type: 'numgen', dreg: REG_1, modulus: n, mode: 'random', offset: 0 },
    { type: 'lookup', set: map, sreg: REG_1, dreg: REG_1 },
    { type: 'nat', nat: 'dnat', family: fam.table, regAddrMin: REG_1, regAddrMax: REG_1, regProtoMin: port, regProtoMax: port,
      flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED },
  ];
}

/** `numgen random mod N V`: matches with chance 1/N. */
export function numgenIs(n: number, v: number): Expression[] {
  return [{ type: 'numgen', dreg: REG_1, modulus: n, mode: 'random', offset: 0 }, { type: 'cmp', sreg: REG_1, op: 'eq', data: le32(v) }];
}

// nft keeps a map's `typeof` in the set's user data (TLVs: type, length,
// value); without it nft lists a map keyed by numgen as `type 0`. Layout as
// nft 1.0.6 writes it for `typeof numgen random mod 1 : ip daddr . tcp dport`.
const UD_KEYBYTEORDER = 0;
const UD_DATABYTEORDER = 1;
const UD_KEY_TYPEOF = 3;
const UD_DATA_TYPEOF = 4;
const UD_DATA_INTERVAL = 6;
const TYPEOF_EXPR = 0;
const TYPEOF_DATA = 1;
// nft's expression and protocol ids in typeof descriptions.
const EXPR_PAYLOAD = 7;
const EXPR_CONCAT = 13;
const EXPR_NUMGEN = 23;
const NUMGEN_RANDOM = 1;
const BYTEORDER_HOST = 1;
const PROTO_IP = { desc: 12, daddr: 12 };
const PROTO_IP6 = { desc: 13, daddr: 9 };
// The transport protocols' ids as nft 1.0.6 writes them for `tcp dport`, `udp dport`, `sctp dport`.
const PROTO_L4: Record<L4Protocol, number> = { tcp: 8, udp: 6, sctp: 10 };
const DPORT = 2;

function tlv(type: number, ...values: Uint8Array[]): Uint8Array {
  const value = Buffer.concat(values);
  return Buffer.concat([Uint8Array.of(type, value.length), value]);
}

const u32 = (type: number, n: number): Uint8Array => tlv(type, le32(n));

function typeofExpr(expr: number, ...data: Uint8Array[]): Uint8Array[] {
  return [u32(TYPEOF_EXPR, expr), tlv(TYPEOF_DATA, ...data)];
}

function payload(desc: number, field: number): Uint8Array[] {
  return typeofExpr(EXPR_PAYLOAD, u32(0, desc), u32(1, field));
}

/**
 * The user data of a map keyed by `numgen random mod N` whose values are
 * endpoints (`ip daddr . tcp dport`, with the service's protocol), so that
 * nft lists it with its `typeof` (and takes the listing back).
 */
export function numgenMapUserdata(fam: FamilyNames, value: L4Protocol): Uint8Array {
  const k = `${fam.family}/${value}`;
  let ud = userdata.get(k);
  if (ud === undefined) userdata.set(k, (ud = buildUserdata(fam, value)));
  return ud;
}

const userdata = new Map<string, Uint8Array>();

function buildUserdata(fam: FamilyNames, value: L4Protocol): Uint8Array {
  const ip = fam.family === 4 ? PROTO_IP : PROTO_IP6;
  const key = typeofExpr(EXPR_NUMGEN, u32(0, NUMGEN_RANDOM), u32(1, 1), u32(2, 0));
  const data = typeofExpr(EXPR_CONCAT, tlv(0, ...payload(ip.desc, ip.daddr)), tlv(1, ...payload(PROTO_L4[value], DPORT)));
  return Buffer.concat([
    u32(UD_KEYBYTEORDER, BYTEORDER_HOST), u32(UD_DATABYTEORDER, 0),
    tlv(UD_KEY_TYPEOF, ...key), tlv(UD_DATA_TYPEOF, ...data), u32(UD_DATA_INTERVAL, 0),
  ]);
}
