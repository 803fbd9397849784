// Address ranges for the firewall set: CIDRs as first and last address,
// overlapping ones merged (a set of concatenated ranges refuses overlaps).
import { formatIp, parseCidr, parseIp } from '../../../addr.js';

/** An inclusive range of addresses of one family, as text. */
export interface AddressRange {
  readonly first: string;
  readonly last: string;
}

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, len: number): string {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatIp(out);
}

function bounds(cidr: string): { len: number; first: bigint; last: bigint } {
  const c = parseCidr(cidr, 'loadBalancerSourceRanges');
  const bits = c.bytes.length * 8;
  const host = (1n << BigInt(bits - c.prefixLength)) - 1n;
  const first = toBig(c.bytes) & ~host;
  return { len: c.bytes.length, first, last: first | host };
}

/** Whether `ip` lies in `cidr` (false across families). */
export function cidrContains(cidr: string, ip: string): boolean {
  const b = bounds(cidr);
  const a = parseIp(ip, 'address');
  if (a.bytes.length !== b.len) return false;
  const v = toBig(a.bytes);
  return v >= b.first && v <= b.last;
}

/** The CIDRs (and single addresses) as sorted ranges, overlapping and adjacent ones merged. */
export function mergeRanges(cidrs: readonly string[]): AddressRange[] {
  const all = cidrs.map(bounds).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: { len: number; first: bigint; last: bigint }[] = [];
  for (const r of all) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.len === r.len && r.first <= prev.last + 1n) {
      if (r.last > prev.last) prev.last = r.last;
    } else {
      out.push({ ...r });
    }
  }
  return out.map((r) => ({ first: fromBig(r.first, r.len), last: fromBig(r.last, r.len) }));
}
