// CIDR arithmetic the IPVS backend needs beyond the model's (cidrContains):
// a range's first and last address (interval set elements), its family.
import { formatIp, parseCidr } from '../../../index.js';

function mask(bytes: Uint8Array, prefixLength: number, fill: boolean): Uint8Array {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    const keep = (0xff << (8 - bits)) & 0xff;
    return (b & keep) | (fill ? ~keep & 0xff : 0);
  });
}

/** The first and last address of a CIDR: '10.0.0.0/8' -> ['10.0.0.0', '10.255.255.255']. */
export function cidrRange(cidr: string): [string, string] {
  const c = parseCidr(cidr);
  return [formatIp(mask(c.bytes, c.prefixLength, false)), formatIp(mask(c.bytes, c.prefixLength, true))];
}

/** The family of a CIDR or address (4 or 6). */
export function cidrFamily(cidr: string): 4 | 6 {
  return parseCidr(cidr).family;
}
