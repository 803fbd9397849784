// The x_tables binary layout, in TypeScript: struct ipt_entry / ip6t_entry
// and the xt_entry_match / xt_entry_target headers (linux/netfilter_ipv4/
// ip_tables.h, netfilter_ipv6/ip6_tables.h, netfilter/x_tables.h), and
// small helpers for the fixed-size fields extensions use. Little-endian
// host order for everything but addresses and NAT ports, as the kernel
// keeps them on x86_64.
import { formatIp } from '../addr.js';

export type Family = 4 | 6;

/** Offsets into struct ipt_entry (IPv4) or ip6t_entry (IPv6). */
export interface EntryLayout {
  /** sizeof the entry header. */
  size: number;
  src: number;
  dst: number;
  smsk: number;
  dmsk: number;
  addrLen: number;
  iniface: number;
  outiface: number;
  iniface_mask: number;
  outiface_mask: number;
  proto: number;
  /** ip6t_ip6.tos; -1 for IPv4. */
  tos: number;
  flags: number;
  invflags: number;
  nfcache: number;
  target_offset: number;
  next_offset: number;
  comefrom: number;
  counters: number;
  /** IPT_F_GOTO / IP6T_F_GOTO. */
  gotoFlag: number;
}

export const LAYOUT4: EntryLayout = {
  size: 112, src: 0, dst: 4, smsk: 8, dmsk: 12, addrLen: 4, iniface: 16, outiface: 32, iniface_mask: 48,
  outiface_mask: 64, proto: 80, tos: -1, flags: 82, invflags: 83, nfcache: 84, target_offset: 88, next_offset: 90,
  comefrom: 92, counters: 96, gotoFlag: 0x02,
};

export const LAYOUT6: EntryLayout = {
  size: 168, src: 0, dst: 16, smsk: 32, dmsk: 48, addrLen: 16, iniface: 64, outiface: 80, iniface_mask: 96,
  outiface_mask: 112, proto: 128, tos: 130, flags: 131, invflags: 132, nfcache: 136, target_offset: 140,
  next_offset: 142, comefrom: 144, counters: 152, gotoFlag: 0x04,
};

export const layoutOf = (family: Family): EntryLayout => (family === 6 ? LAYOUT6 : LAYOUT4);

/** sizeof(struct xt_entry_match) == sizeof(struct xt_entry_target). */
export const EXT_HEADER = 32;
/** XT_EXTENSION_MAXNAMELEN: names are at most 28 bytes plus NUL. */
export const EXT_NAME_LEN = 29;
/** XT_FUNCTION_MAXNAMELEN: the ERROR target's chain name field. */
export const CHAIN_NAME_LEN = 30;
/** sizeof(struct xt_standard_target), sizeof(struct xt_error_target). */
export const STANDARD_TARGET_SIZE = 40;
export const ERROR_TARGET_SIZE = 64;
/** The `struct ipt_replace` header the addon fills in front of the entries. */
export const REPLACE_HEADER = 96;

/** XT_ALIGN: x_tables aligns every match, target and entry to 8 bytes. */
export const align8 = (n: number): number => (n + 7) & ~7;

/** Standard verdicts (-NF_x - 1) and XT_RETURN. */
export const VERDICT = { DROP: -1, ACCEPT: -2, QUEUE: -4, RETURN: -5 } as const;

export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** A NUL-terminated string in a fixed-size field. */
export function readCString(b: Uint8Array, at: number, max: number): string {
  let end = at;
  const limit = at + max;
  while (end < limit && b[end] !== 0) end++;
  // One flat string (appending characters one by one builds a chain of partial strings, hundreds of bytes per name).
  return UTF8.decode(b.subarray(at, end));
}

const UTF8 = new TextDecoder();

/** Writes s (UTF-8) into a zeroed field of `max` bytes, leaving room for the NUL. */
export function writeCString(b: Uint8Array, at: number, s: string, max: number): void {
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
  if (ascii) {
    const n = Math.min(s.length, max - 1);
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
    return;
  }
  const bytes = Buffer.from(s, 'utf8');
  b.set(bytes.subarray(0, max - 1), at);
}

/** Byte length of s in UTF-8. */
export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

export const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
export const u32 = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
export const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
export const i32 = (b: Uint8Array, at: number): number => u32(b, at) | 0;
/** A u64 as a number (exact below 2^53). */
export const u64 = (b: Uint8Array, at: number): number => u32(b, at) + u32(b, at + 4) * 0x100000000;

export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}
export function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}
export function putBe16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
export function put64(b: Uint8Array, at: number, v: number): void {
  put32(b, at, v % 0x100000000);
  put32(b, at + 4, Math.floor(v / 0x100000000));
}

/**
 * Parses a dotted-quad IPv4 address in s[from, to) (no leading zeros, as
 * src/addr.ts) into a 32-bit number, or -1. No allocation: encoding a large
 * table parses one or two addresses per rule.
 */
export function parseV4(s: string, from = 0, to = s.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 0x30);
      digits++;
      if (digits > 3) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

export function putV4(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** An address field as text (inet_ntop). */
export function readAddress(b: Uint8Array, at: number, family: Family): string {
  if (family === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  return ntop6(b.subarray(at, at + 16));
}

/**
 * inet_ntop(AF_INET6) as glibc prints it: formatIp, except that an address
 * whose first 96 bits are zero and whose next group is non-zero (an
 * "IPv4-compatible" address) ends in dotted quad, e.g. ::1.2.3.4.
 */
export function ntop6(bytes: Uint8Array): string {
  let zeros = true;
  for (let i = 0; i < 12; i++) if (bytes[i] !== 0) { zeros = false; break; }
  if (zeros && (bytes[12] !== 0 || bytes[13] !== 0)) return `::${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return formatIp(bytes);
}

/** The prefix length of a contiguous mask, or -1. */
export function maskToPrefix(b: Uint8Array, at: number, len: number): number {
  let bits = 0;
  let i = 0;
  for (; i < len && b[at + i] === 0xff; i++) bits += 8;
  if (i < len) {
    const v = b[at + i]!;
    let n = 0;
    while (n < 8 && (v & (0x80 >> n)) !== 0) n++;
    if (((0xff << (8 - n)) & 0xff) !== v) return -1;
    bits += n;
    for (i++; i < len; i++) if (b[at + i] !== 0) return -1;
  }
  return bits;
}

/** Fills a mask field with `prefix` leading one bits. */
export function writePrefixMask(b: Uint8Array, at: number, len: number, prefix: number): void {
  for (let i = 0; i < len; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    b[at + i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
}
