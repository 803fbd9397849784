// An address and mask pair as the conntrack match keeps it (two
// nf_inet_addr, 32 bytes): written 'A' (mask all ones) or 'A/PLEN'.
import { tryParseIp } from '../../addr.js';
import { maskToPrefix, readAddress, writePrefixMask, type Family } from '../wire.js';
import { IptablesParseError } from './ext.js';

interface HostMask {
  bytes: Uint8Array;
  /** undefined: every mask byte 0xff (no /PLEN given). */
  prefix?: number;
  /** A non-contiguous IPv4 mask in dotted form. */
  dotted?: Uint8Array;
}

function split(s: string, family: Family): HostMask | undefined {
  const slash = s.indexOf('/');
  const ip = tryParseIp(slash < 0 ? s : s.slice(0, slash));
  if (ip === undefined || ip.family !== family) return undefined;
  if (slash < 0) return { bytes: ip.bytes };
  const rest = s.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (/^\d{1,3}$/.test(rest) && Number(rest) <= max) return { bytes: ip.bytes, prefix: Number(rest) };
  const mask = tryParseIp(rest);
  if (mask === undefined || mask.family !== family) return undefined;
  const prefix = maskToPrefix(mask.bytes, 0, mask.bytes.length);
  return prefix >= 0 ? { bytes: ip.bytes, prefix } : { bytes: ip.bytes, dotted: mask.bytes };
}

export function checkHostMask(v: unknown, family: Family, what: string): void {
  if (typeof v !== 'string' || split(v, family) === undefined) {
    throw new TypeError(`${what} must be an IPv${family} address, optionally with /PLEN`);
  }
}

/** --ctorigsrc and friends: a numeric address with an optional /PLEN (or a contiguous dotted mask). */
export function parseHostMask(s: string, family: Family, what: string): string {
  const h = split(s, family);
  if (h === undefined || h.dotted !== undefined) throw new IptablesParseError(`${what}: bad address "${s}"`);
  const addr = readAddress(h.bytes, 0, family);
  return h.prefix === undefined ? addr : `${addr}/${h.prefix}`;
}

/** Writes the address at `at` and its mask at `at + 16`. */
export function writeHostMask(b: Uint8Array, at: number, s: string, family: Family): void {
  const h = split(s, family)!;
  b.set(h.bytes, at);
  if (h.dotted !== undefined) b.set(h.dotted, at + 16);
  else if (h.prefix === undefined) b.fill(0xff, at + 16, at + 32);
  else writePrefixMask(b, at + 16, 16, h.prefix);
}

/**
 * Given that text, what iptables-save prints; given 32 bytes (address,
 * mask), their typed text, or undefined when the text could not give the
 * same bytes back (an IPv4 address or mask with bytes set past its 4).
 */
export function addressText(v: string, family: Family): string;
export function addressText(v: Uint8Array, family: Family): string | undefined;
export function addressText(v: Uint8Array | string, family: Family): string | undefined {
  if (typeof v === 'string') {
    const h = split(v, family)!;
    const addr = readAddress(h.bytes, 0, family);
    if (h.dotted !== undefined) return `${addr}/${readAddress(h.dotted, 0, family)}`;
    const max = family === 4 ? 32 : 128;
    return h.prefix === undefined || h.prefix === max ? addr : `${addr}/${h.prefix}`;
  }
  const len = family === 4 ? 4 : 16;
  if (!v.subarray(len, 16).every((x) => x === 0)) return undefined;
  const addr = readAddress(v, 0, family);
  if (v.subarray(16, 32).every((x) => x === 0xff)) return addr;
  if (!v.subarray(16 + len, 32).every((x) => x === 0)) return undefined;
  const prefix = maskToPrefix(v, 16, len);
  return prefix >= 0 ? `${addr}/${prefix}` : `${addr}/${readAddress(v, 16, family)}`;
}
