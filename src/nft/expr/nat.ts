// nat: `dnat to 10.0.1.5:8080`, `snat ip to 192.168.0.1-192.168.0.9`, `dnat ip
// to ip saddr map { ... }`, with the address and port taken from registers
// loaded before it, and NF_NAT_RANGE_* flags (persistent, random,
// fully-random, netmap for `prefix`).
import { dataType } from '../datatypes.js';
import { explicit, fromPrefix } from '../enums.js';
import { exprText, F_INTERVAL, setType, value, type Node, type Out } from '../print/ast.js';
import { DelinearizeError, slotOf, type RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { rangeToPrefix } from '../print/sets.js';
import { register } from './spec.js';

export const NAT_TYPES = fromPrefix<'snat' | 'dnat'>('nat type', 'NFT_NAT_');
/** The address family of the NAT addresses (NFPROTO_IPV4 / NFPROTO_IPV6). */
export const NAT_FAMILIES = explicit<'ip' | 'ip6'>('nat family', [['ip', 2], ['ip6', 10]]);

export interface NatExpr {
  type: 'nat';
  nat: 'snat' | 'dnat';
  family: 'ip' | 'ip6';
  regAddrMin?: number;
  regAddrMax?: number;
  regProtoMin?: number;
  regProtoMax?: number;
  /** NF_NAT_RANGE_* bits: 1 map-ips, 2 proto-specified, 4 random, 8 persistent, 16 fully-random, 64 netmap. */
  flags?: number;
}

/** nat_stmt: snat, dnat, masquerade and redirect print alike. */
export class NatStmt implements PostprocessStmt {
  readonly kind = 'nat';
  family = 0;
  prefix = false;
  addr: Node | undefined;
  proto: Node | undefined;
  constructor(readonly natType: string, readonly flags: number) {}

  postprocess(pp: RulePP): void {
    if (this.addr !== undefined) this.addr = pp.expr(this.addr);
    if (this.proto !== undefined) { pp.dep.reset(); this.proto = pp.expr(this.proto); }
  }

  print(o: Out): string {
    let t = this.natType;
    if (this.addr !== undefined || this.proto !== undefined) {
      if (this.family === 2) t += ' ip';
      else if (this.family === 10) t += ' ip6';
      if (this.prefix) t += ' prefix';
      t += ' to';
    }
    const a = this.addr;
    if (a !== undefined) {
      t += ' ';
      if (this.proto !== undefined && a.k === 'value' && a.dtype.name === 'ipv6_addr') t += `[${exprText(a, o)}]`;
      else if (this.proto !== undefined && a.k === 'range' && a.from.dtype.name === 'ipv6_addr') t += `[${exprText(a.from, o)}]-[${exprText(a.to, o)}]`;
      else t += exprText(a, o);
    }
    if (this.proto !== undefined) t += `${a === undefined ? ' ' : ''}:${exprText(this.proto, o)}`;
    return t + natFlags(this.flags);
  }
}

function natFlags(f: number): string {
  const names: string[] = [];
  if (f & U.NF_NAT_RANGE_PROTO_RANDOM) names.push('random');
  if (f & U.NF_NAT_RANGE_PROTO_RANDOM_FULLY) names.push('fully-random');
  if (f & U.NF_NAT_RANGE_PERSISTENT) names.push('persistent');
  return names.length > 0 ? ` ${names.join(',')}` : '';
}

// is_nat_addr_map / is_nat_proto_map: the map gives address ranges, or an address and a port.
function mapDataLen(addr: Node | undefined, interval: boolean): number | undefined {
  if (addr?.k !== 'map' || addr.mappings.k !== 'setref') return undefined;
  const data = addr.mappings.set.data;
  if (data === undefined || (interval && (data.flags & 0x20) === 0)) return undefined;
  return data.len;
}

/**
 * A map the printer was not given (printRule without the sets) has data of
 * unknown shape; the NAT statement shows it by the registers it reads from
 * the map's value. nft lays that value out from the address register on, in
 * 32-bit words: `addr . port` (port right after the address), `interval
 * addr` (first address, last address), `interval addr . port` (first
 * address, first port, last address, last port). Any other reading leaves
 * the shape unknown.
 */
function guessMapData(e: NatExpr, addr: Node | undefined, family: number): void {
  if (addr?.k !== 'map' || addr.mappings.k !== 'setref' || addr.mappings.set.guessed !== true || !e.regAddrMin) return;
  const set = addr.mappings.set;
  const words = family === 2 ? 1 : 4;
  const at = (reg: number | undefined): number | undefined => (reg ? slotOf(reg) - slotOf(e.regAddrMin!) : undefined);
  const addrMax = at(e.regAddrMax), protoMin = at(e.regProtoMin), protoMax = at(e.regProtoMax);
  const one = (x: number | undefined, v: number): boolean => x === undefined || x === v;
  let len: number | undefined, interval = false;
  if (one(addrMax, 0) && protoMin === words && one(protoMax, words)) len = words + 1;
  else if (addrMax === words && protoMin === undefined && protoMax === undefined) { len = 2 * words; interval = true; }
  else if (protoMin === words && addrMax === words + 1 && protoMax === 2 * words + 1) { len = 2 * words + 2; interval = true; }
  if (len === undefined) return;
  set.data = { ...(set.data ?? value(0n, 0)), len: len * 32, flags: interval ? F_INTERVAL : 0 };
}

// A constant of a size nft never loads for this (a made-up rule): printing it as nft text would mean something else.
function sized(e: Node, bits: number[]): Node {
  if (e.k === 'value' && !bits.includes(e.len)) throw new DelinearizeError(`a ${e.len}-bit constant where nft loads ${bits.join(' or ')} bits`);
  return e;
}

/** The port part of a NAT statement: one register, or a range of two (masq and redir share it). */
export function natProto(p: RuleParser, s: NatStmt, min: number | undefined, max: number | undefined, what: string): void {
  const service = dataType('inet_service');
  if (min) {
    const proto = sized(p.need(min, `${what} statement has no proto expression`), [16]);
    setType(proto, service, 'big');
    s.proto = proto;
  }
  if (max && max !== min) {
    const proto = sized(p.need(max, `${what} statement has no proto expression`), [16]);
    setType(proto, service, 'big');
    s.proto = s.proto !== undefined ? { k: 'range', from: s.proto, to: proto, len: 0, dtype: service, order: 'big', flags: 0 } : proto;
  }
}

// netlink_parse_nat.
function delinearize(e: NatExpr, p: RuleParser): void {
  const s = new NatStmt(String(e.nat), e.flags ?? 0);
  // Whether the text has a port of its own (nft then sends flags proto-specified).
  const done = (): void => { p.hint(p.index, { natProto: s.proto !== undefined }); p.emit(s); };
  const family = NAT_FAMILIES.number(e.family);
  if (p.family === 'inet') s.family = family;
  if (s.flags & U.NF_NAT_RANGE_NETMAP) s.prefix = true;
  const addrType = dataType(family === 2 ? 'ipv4_addr' : 'ipv6_addr');
  if (e.regAddrMin) {
    s.addr = sized(p.need(e.regAddrMin, 'NAT statement has no address expression'), [family === 2 ? 32 : 128]);
    setType(s.addr, addrType, 'big');
  }
  guessMapData(e, s.addr, family);
  const len = mapDataLen(s.addr, true);
  if (len !== undefined && (family === 2 ? len === 64 || len === 128 : len === 256 || len === 320)) {
    s.family = family;
    done();
    return;
  }
  if (e.regAddrMax && e.regAddrMax !== e.regAddrMin) {
    const addr = sized(p.need(e.regAddrMax, 'NAT statement has no address expression'), [family === 2 ? 32 : 128]);
    setType(addr, addrType, 'big');
    s.addr = s.addr !== undefined ? rangeToPrefix({ k: 'range', from: s.addr, to: addr, len: 0, dtype: addrType, order: 'big', flags: 0 }) : addr;
  }
  const plen = mapDataLen(s.addr, false);
  if (plen !== undefined && plen === (family === 2 ? 64 : 160)) {
    s.family = family;
    done();
    return;
  }
  natProto(p, s, e.regProtoMin, e.regProtoMax, 'NAT');
  done();
}

export const nat = register({
  name: 'nat',
  fields: [
    { key: 'nat', attr: U.NFTA_NAT_TYPE, kind: 'be32', enum: NAT_TYPES },
    { key: 'family', attr: U.NFTA_NAT_FAMILY, kind: 'be32', enum: NAT_FAMILIES },
    { key: 'regAddrMin', attr: U.NFTA_NAT_REG_ADDR_MIN, kind: 'reg' },
    { key: 'regAddrMax', attr: U.NFTA_NAT_REG_ADDR_MAX, kind: 'reg' },
    { key: 'regProtoMin', attr: U.NFTA_NAT_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_NAT_REG_PROTO_MAX, kind: 'reg' },
    { key: 'flags', attr: U.NFTA_NAT_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // The kernel adds map-ips and proto-specified to what nft sends (which is
  // proto-specified for a separate port only), and lists one address or port
  // as both ends of a range.
  recreate: (e, hint) => {
    const keep = (((e.flags as number | undefined) ?? 0) & ~(U.NF_NAT_RANGE_MAP_IPS | U.NF_NAT_RANGE_PROTO_SPECIFIED)) >>> 0;
    // Without the printer's word (an address and port from immediates), a port register is a port of its own.
    const proto = hint.natProto ?? e.regProtoMin !== undefined;
    const flags = (keep | (proto ? U.NF_NAT_RANGE_PROTO_SPECIFIED : 0)) >>> 0;
    const addrMax = e.regAddrMax !== undefined && e.regAddrMax === e.regAddrMin, protoMax = e.regProtoMax !== undefined && e.regProtoMax === e.regProtoMin;
    if (!addrMax && !protoMax && flags === (e.flags ?? 0)) return e;
    const out = { ...e };
    if (addrMax) delete out.regAddrMax;
    if (protoMax) delete out.regProtoMax;
    if (flags !== 0) out.flags = flags;
    else delete out.flags;
    return out;
  },
});
