import { show } from './check.js';
// IP address text <-> bytes, strict: no zone ids, no leading zeros in IPv4.

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  bytes: Uint8Array;
}

const V4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseV4(s: string): Uint8Array | undefined {
  const m = V4.exec(s);
  if (m === null) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseGroups(part: string, allowV4Tail: boolean): number[] | undefined {
  if (part === '') return [];
  const items = part.split(':');
  const groups: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (allowV4Tail && i === items.length - 1 && item.includes('.')) {
      const v4 = parseV4(item);
      if (v4 === undefined) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(item)) {
      groups.push(parseInt(item, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseV6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(s, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 address; undefined if it is neither. */
export function tryParseIp(s: string): IpAddress | undefined {
  if (typeof s !== 'string') return undefined;
  const v4 = parseV4(s);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseV6(s);
  return v6 === undefined ? undefined : { family: 6, bytes: v6 };
}

/** Parses an IP address or throws a TypeError naming `what`. */
export function parseIp(s: string, what = 'address'): IpAddress {
  const ip = tryParseIp(s);
  if (ip === undefined) throw new TypeError(`${what}: not an IPv4 or IPv6 address: ${show(s)}`);
  return ip;
}

/** Parses 'ADDR/PLEN' (or a bare address, meaning /32 or /128). */
export function parseCidr(s: string, what = 'address'): IpAddress & { prefixLength: number } {
  if (typeof s !== 'string') throw new TypeError(`${what}: expected a string like '10.0.0.1/32'`);
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash), what);
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ...ip, prefixLength: max };
  const p = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) {
    throw new RangeError(`${what}: prefix length must be 0..${max}: ${show(s)}`);
  }
  return { ...ip, prefixLength: Number(p) };
}

/** Formats 4 or 16 bytes as text (IPv6 per RFC 5952: lower case, longest zero run compressed). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) throw new TypeError(`not an IP address: ${bytes.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.subarray(12).join('.')}`;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}
