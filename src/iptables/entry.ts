// The IP part of a rule (struct ipt_ip / ip6t_ip6): addresses and masks,
// interfaces, protocol, fragment flag and inversions, both ways.
import { tryParseIp } from '../addr.js';
import { checkInterface, interfaceMask, readInterface } from './iface.js';
import { protocolNumber } from './netdb.js';
import type { Rule, RuleInvert } from './types.js';
import { layoutOf, maskToPrefix, parseV4, putV4, readAddress, u16, u64, writeCString, writePrefixMask, type EntryLayout, type Family } from './wire.js';

const INV_VIA_IN = 0x01;
const INV_VIA_OUT = 0x02;
const INV_SRCIP = 0x08;
const INV_DSTIP = 0x10;
const INV_FRAG = 0x20;
const INV_PROTO = 0x40;
const F_FRAG = 0x01;
const F6_PROTO = 0x01;

/** The typed name of a protocol number: iptables' own names, else the number. */
const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 50: 'esp', 51: 'ah', 135: 'mh' };

/**
 * A rule's protocol as a number (0: any); throws TypeError for an unknown
 * name. Numbers may use the kernel's whole 16-bit field (iptables itself
 * writes at most 255).
 */
export function protocolOf(p: Rule['protocol'], what = 'protocol'): number {
  if (p === undefined) return 0;
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`${what} must be 0..65535`);
    return p;
  }
  if (typeof p !== 'string') throw new TypeError(`${what} must be a name or a number`);
  // The names nearly every rule has, without a regular expression or a lookup.
  if (p === 'tcp') return 6;
  if (p === 'udp') return 17;
  if (p === 'sctp') return 132;
  const n = /^\d+$/.test(p) ? Number(p) : protocolNumber(p);
  if (n === undefined || n > 255) throw new TypeError(`${what}: unknown protocol ${JSON.stringify(p)}`);
  return n;
}

/**
 * The fast path of writeRuleAddress for IPv4 'A.B.C.D' and 'A.B.C.D/N':
 * writes address (masked) and mask, or returns false for anything else.
 */
function writeV4Address(b: Uint8Array, addrAt: number, maskAt: number, s: string): boolean {
  const slash = s.indexOf('/');
  const addr = parseV4(s, 0, slash < 0 ? s.length : slash);
  if (addr < 0) return false;
  let prefix = 32;
  if (slash >= 0) {
    const rest = s.length - slash - 1;
    if (rest < 1 || rest > 2) return false;
    prefix = 0;
    for (let i = slash + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
      prefix = prefix * 10 + (c - 0x30);
    }
    if (prefix > 32 || (rest === 2 && s.charCodeAt(slash + 1) === 0x30)) return false;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  putV4(b, addrAt, (addr & mask) >>> 0);
  putV4(b, maskAt, mask);
  return true;
}

/** Writes address (masked, as iptables does) and mask of 'ADDR[/PLEN|/MASK]'. */
export function writeRuleAddress(b: Uint8Array, addrAt: number, maskAt: number, s: string, family: Family, what: string): void {
  if (family === 4 && writeV4Address(b, addrAt, maskAt, s)) return;
  const { addr, mask } = parseRuleAddress(s, family, what);
  b.set(addr, addrAt);
  b.set(mask, maskAt);
}

/** Checks a rule address without allocating in the common IPv4 case. */
export function checkRuleAddress(s: unknown, family: Family, what: string): void {
  if (family === 4 && typeof s === 'string' && writeV4Address(SCRATCH, 0, 4, s)) return;
  parseRuleAddress(s, family, what);
}

const SCRATCH = new Uint8Array(8);

/** Address and mask bytes of 'ADDR[/PLEN|/MASK]', the address masked as iptables does. */
export function parseRuleAddress(s: unknown, family: Family, what: string): { addr: Uint8Array; mask: Uint8Array } {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string like '10.0.0.0/8'`);
  const slash = s.indexOf('/');
  const ip = tryParseIp(slash < 0 ? s : s.slice(0, slash));
  if (ip === undefined || ip.family !== family) throw new TypeError(`${what}: not an IPv${family} address: ${JSON.stringify(s)}`);
  const len = family === 4 ? 4 : 16;
  const mask = new Uint8Array(len);
  if (slash < 0) mask.fill(0xff);
  else {
    const rest = s.slice(slash + 1);
    if (/^\d{1,3}$/.test(rest)) {
      const p = Number(rest);
      if (p > len * 8) throw new RangeError(`${what}: prefix length must be 0..${len * 8}`);
      writePrefixMask(mask, 0, len, p);
    } else {
      const m = tryParseIp(rest);
      if (m === undefined || m.family !== family) throw new TypeError(`${what}: bad mask in ${JSON.stringify(s)}`);
      mask.set(m.bytes);
    }
  }
  const addr = ip.bytes.map((x, i) => x & mask[i]!);
  return { addr, mask };
}

function readRuleAddress(b: Uint8Array, addrAt: number, maskAt: number, l: EntryLayout, family: Family, inverted: boolean): string | undefined {
  let any = inverted;
  for (let i = 0; i < l.addrLen && !any; i++) any = b[addrAt + i] !== 0 || b[maskAt + i] !== 0;
  if (!any) return undefined;
  const addr = readAddress(b, addrAt, family);
  const prefix = maskToPrefix(b, maskAt, l.addrLen);
  return prefix >= 0 ? `${addr}/${prefix}` : `${addr}/${readAddress(b, maskAt, family)}`;
}

/** The rule fields of an entry's header; `goto` from the flags. */
export function decodeRuleHeader(b: Uint8Array, at: number, family: Family, withCounters: boolean): { rule: Rule; goto: boolean } {
  const l = layoutOf(family);
  const inv = b[at + l.invflags]!;
  const flags = b[at + l.flags]!;
  const rule: Rule = {};
  const src = readRuleAddress(b, at + l.src, at + l.smsk, l, family, (inv & INV_SRCIP) !== 0);
  if (src !== undefined) rule.source = src;
  const dst = readRuleAddress(b, at + l.dst, at + l.dmsk, l, family, (inv & INV_DSTIP) !== 0);
  if (dst !== undefined) rule.destination = dst;
  const iin = readInterface(b, at + l.iniface, at + l.iniface_mask);
  if (iin !== undefined) rule.inInterface = iin;
  const iout = readInterface(b, at + l.outiface, at + l.outiface_mask);
  if (iout !== undefined) rule.outInterface = iout;
  const proto = u16(b, at + l.proto);
  if (proto !== 0) rule.protocol = PROTO_NAMES[proto] ?? proto;
  if (family === 4 && flags & F_FRAG) rule.fragment = true;
  if ((inv & (INV_SRCIP | INV_DSTIP | INV_VIA_IN | INV_VIA_OUT | INV_PROTO | INV_FRAG)) !== 0) {
    const i: RuleInvert = {};
    if (inv & INV_SRCIP) i.source = true;
    if (inv & INV_DSTIP) i.destination = true;
    if (inv & INV_VIA_IN) i.inInterface = true;
    if (inv & INV_VIA_OUT) i.outInterface = true;
    if (inv & INV_PROTO) i.protocol = true;
    if (inv & INV_FRAG) i.fragment = true;
    rule.invert = i;
  }
  if (withCounters) {
    const packets = u64(b, at + l.counters);
    const bytes = u64(b, at + l.counters + 8);
    if (packets !== 0 || bytes !== 0) rule.counters = { packets, bytes };
  }
  return { rule, goto: (flags & l.gotoFlag) !== 0 };
}

/** Checks the IP part of a rule. */
export function checkRuleHeader(r: Rule, family: Family, what: string): void {
  if (r.source !== undefined) checkRuleAddress(r.source, family, `${what}.source`);
  if (r.destination !== undefined) checkRuleAddress(r.destination, family, `${what}.destination`);
  if (r.inInterface !== undefined) checkInterface(r.inInterface, `${what}.inInterface`);
  if (r.outInterface !== undefined) checkInterface(r.outInterface, `${what}.outInterface`);
  protocolOf(r.protocol, `${what}.protocol`);
  if (r.fragment !== undefined && typeof r.fragment !== 'boolean') throw new TypeError(`${what}.fragment must be a boolean`);
  if (r.fragment && family === 6) throw new TypeError(`${what}.fragment is IPv4 only`);
  if (r.invert !== undefined) {
    if (typeof r.invert !== 'object' || r.invert === null) throw new TypeError(`${what}.invert must be an object`);
    for (const k of Object.keys(r.invert)) {
      if (!['source', 'destination', 'inInterface', 'outInterface', 'protocol', 'fragment'].includes(k)) {
        throw new TypeError(`${what}.invert: unknown key ${JSON.stringify(k)}`);
      }
    }
  }
}

/** Writes the IP part into zeroed bytes at `at` (offsets and counters are written by the caller). */
export function encodeRuleHeader(r: Rule, b: Uint8Array, at: number, family: Family, goto: boolean): void {
  const l = layoutOf(family);
  let inv = 0;
  if (r.source !== undefined) writeRuleAddress(b, at + l.src, at + l.smsk, r.source, family, 'source');
  if (r.destination !== undefined) writeRuleAddress(b, at + l.dst, at + l.dmsk, r.destination, family, 'destination');
  if (r.inInterface !== undefined) {
    writeCString(b, at + l.iniface, r.inInterface, 16);
    b.set(interfaceMask(r.inInterface), at + l.iniface_mask);
  }
  if (r.outInterface !== undefined) {
    writeCString(b, at + l.outiface, r.outInterface, 16);
    b.set(interfaceMask(r.outInterface), at + l.outiface_mask);
  }
  const proto = protocolOf(r.protocol);
  b[at + l.proto] = proto & 0xff;
  b[at + l.proto + 1] = proto >>> 8;
  let flags = goto ? l.gotoFlag : 0;
  if (family === 4 && r.fragment) flags |= F_FRAG;
  if (family === 6 && proto !== 0) flags |= F6_PROTO;
  b[at + l.flags] = flags;
  const i = r.invert;
  if (i !== undefined) {
    if (i.source) inv |= INV_SRCIP;
    if (i.destination) inv |= INV_DSTIP;
    if (i.inInterface) inv |= INV_VIA_IN;
    if (i.outInterface) inv |= INV_VIA_OUT;
    if (i.protocol) inv |= INV_PROTO;
    if (i.fragment) inv |= INV_FRAG;
  }
  b[at + l.invflags] = inv;
}
