// Address helpers of the model: canonical text for IPs and CIDRs (as Go's
// net.IP/net.IPNet print them), so keys and backends see one spelling.
import { formatIp, parseCidr, tryParseIp, type IpFamily } from '../../addr.js';

/** The canonical text of an IP ('fd00:0::1' -> 'fd00::1'), or undefined if it is not one. */
export function canonicalIp(s: string): { family: IpFamily; text: string } | undefined {
  const ip = tryParseIp(s.trim());
  return ip === undefined ? undefined : { family: ip.family, text: formatIp(ip.bytes) };
}

/** A CIDR as its network ('10.1.2.3/8' -> '10.0.0.0/8'); a bare IP is a /32 or /128. Undefined if invalid. */
export function canonicalCidr(s: string): { family: IpFamily; text: string } | undefined {
  let c;
  try {
    c = parseCidr(s.trim());
  } catch {
    return undefined;
  }
  const bytes = c.bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, c.prefixLength - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { family: c.family, text: `${formatIp(bytes)}/${c.prefixLength}` };
}

/** True when `ip` lies inside `cidr` (same family). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = canonicalCidr(cidr);
  const addr = canonicalIp(ip);
  if (net === undefined || addr === undefined || net.family !== addr.family) return false;
  const slash = net.text.indexOf('/');
  return canonicalCidr(`${addr.text}/${net.text.slice(slash + 1)}`)?.text === net.text;
}
