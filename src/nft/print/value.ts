// Constants as nft prints them (datatype_print and the print methods of
// its types): symbols, numbers in the type's format, addresses, times,
// strings, interface names. A value is nft's: an unsigned integer of `len`
// bits in the byte order the printer expects (see ValueNode).
import { bytesText } from '../text.js';
import { formatIp } from '../../addr.js';
import { baseType, type DataType } from '../datatypes.js';
import { PROTOCOL_NAMES, symbolOf, type Symbols } from '../symbols.js';

/** What printing may look up outside the ruleset. */
export interface PrintEnv {
  /** The name of an interface index in the listed namespace (iif/oif print names where nft does). */
  ifname?(index: number): string | undefined;
}

/** Bytes -> unsigned integer, big-endian. */
export function bytesToBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Unsigned integer -> `n` bytes, big-endian (higher bits dropped). */
export function bigToBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** nft's mpz_switch_byteorder: the value's `bytes` bytes reversed. */
export function switchByteorder(v: bigint, bytes: number): bigint {
  return bytesToBig(bigToBytes(v, bytes).reverse());
}

/**
 * An IPv6 address as glibc's inet_ntop writes it (what nft prints): the
 * longest run of zero words (two or more) as `::`, and IPv4-compatible and
 * IPv4-mapped addresses with the IPv4 part dotted (`::18.52.18.52`).
 */
export function ipv6Text(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let best = { base: -1, len: 0 }, cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base < 0) cur = { base: i, len: 1 }; else cur.len++;
    } else if (cur.base >= 0) {
      if (best.base < 0 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base >= 0 && (best.base < 0 || cur.len > best.len)) best = cur;
  if (best.base >= 0 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

/** Sub-second parts of a time, nft's time_print (ms): `1d2h3m4s5ms`. */
export function timeText(ms: bigint | number): string {
  let rest = BigInt(ms);
  let out = '';
  for (const [unit, n] of [['d', 86400000n], ['h', 3600000n], ['m', 60000n], ['s', 1000n], ['ms', 1n]] as [string, bigint][]) {
    const q = rest / n;
    if (q > 0n) out += `${q}${unit}`;
    rest %= n;
  }
  return out;
}

function integerText(t: DataType, v: bigint): string {
  for (let d: DataType | undefined = t; d !== undefined; d = d.base) {
    if (d.hex !== undefined) return `0x${v.toString(16).padStart(d.hex.width, '0')}`;
  }
  return v.toString();
}

function symbolicText(table: Symbols, t: DataType, v: bigint, len: number, quoted: boolean): string {
  const name = v <= 0xffffffffn ? symbolOf(table, v) : undefined;
  if (name !== undefined) return quoted ? `"${name}"` : name;
  return rootText(t, v, len);
}

// What expr_basetype(expr)->print does: the root type's printer, with the value's own number format.
function rootText(t: DataType, v: bigint, len: number): string {
  const root = baseType(t);
  return root.printer === 'string' ? stringText(v, len) : integerText(t, v);
}

// nft prints a string's bytes as they are (bytesText).
function stringText(v: bigint, len: number): string {
  const bytes = Buffer.from(bigToBytes(v, Math.ceil(len / 8))).reverse();
  const nul = bytes.indexOf(0);
  return `"${bytesText(bytes.subarray(0, nul < 0 ? bytes.length : nul))}"`;
}

// The offset of the local time zone from UTC in seconds, as nft adds it (tm_gmtoff).
function gmtoff(at: Date): number {
  return -at.getTimezoneOffset() * 60;
}

function dateText(ns: bigint): string {
  let s = Number(ns / 1000000000n);
  s += gmtoff(new Date(s * 1000));
  const d = new Date(s * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `"${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}"`;
}

function hourText(v: bigint): string {
  let seconds = Number(v & 0xffffffffn);
  seconds = (seconds + gmtoff(new Date())) % 86400;
  if (seconds < 0) seconds += 86400;
  const p = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return `"${p(h)}:${p(m)}${s !== 0 ? `:${p(s)}` : ''}"`;
}

function printerText(d: DataType, t: DataType, v: bigint, len: number, env: PrintEnv): string {
  switch (d.printer) {
    case 'string': return stringText(v, len);
    case 'lladdr': return Buffer.from(bigToBytes(v, Math.ceil(len / 8))).toString('hex').replace(/(..)(?!$)/g, '$1:');
    case 'ipv4': return formatIp(bigToBytes(v, 4));
    case 'ipv6': return ipv6Text(bigToBytes(v, 16));
    case 'inet_proto': return PROTOCOL_NAMES.get(Number(v & 0xffn)) ?? integerText(t, v);
    case 'time': return timeText(v);
    case 'date': return dateText(v);
    case 'hour': return hourText(v);
    case 'ifindex': {
      const name = env.ifname?.(Number(v & 0xffffffffn));
      return name !== undefined ? `"${name}"` : String(Number(v & 0xffffffffn) | 0);
    }
    case 'classid': {
      const h = Number(v & 0xffffffffn);
      if (h === 0xffffffff) return 'root';
      if (h === 0) return 'none';
      return `${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`;
    }
    case 'ct_label': {
      let bit = 0;
      while (bit < len && ((v >> BigInt(bit)) & 1n) === 0n) bit++;
      return bit >= len ? '18446744073709551615' : String(bit);
    }
    case 'cgroupv2': return v.toString();
    case 'verdict': return 'verdict';
    case 'invalid': return `0x${v.toString(16)} [invalid type]`;
    default: return integerText(t, v);
  }
}

/**
 * A value of type t as nft prints it (datatype_print: the first printer or
 * symbol table up the base chain); numeric is nft's NUMERIC_ALL (ranges
 * print numbers, not names).
 */
export function valueText(t: DataType, v: bigint, len: number, env: PrintEnv = {}, numeric = false): string {
  for (let d: DataType | undefined = t; d !== undefined; d = d.base) {
    if (d.symbols !== undefined) return numeric ? rootText(t, v, len) : symbolicText(d.symbols, t, v, len, d.quoted === true);
    if (d.printer === 'inet_proto' && numeric) return integerText(t, v);
    if (d.printer === 'time' && numeric) return `${(v & 0xffffffffffffffffn) / 1000n}s`;
    if (d.printer !== 'integer') return printerText(d, t, v, len, env);
  }
  return integerText(t, v);
}
