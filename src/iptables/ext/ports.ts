// Port numbers and ranges, shared by tcp, udp, sctp, multiport and conntrack.
import { servicePort } from '../netdb.js';
import { IptablesParseError, parseUint } from './ext.js';

/** One port, or an inclusive range. */
export type PortSpec = number | { from: number; to: number };

/** [min, max] of a PortSpec. */
export function portBounds(p: PortSpec): [number, number] {
  return typeof p === 'number' ? [p, p] : [p.from, p.to];
}

/** The PortSpec for [min, max]: a number when they are equal. */
export const portSpec = (min: number, max: number): PortSpec => (min === max ? min : { from: min, to: max });

export function checkPortSpec(p: unknown, what: string): [number, number] {
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`${what} must be a port 0..65535`);
    return [p, p];
  }
  if (typeof p === 'object' && p !== null && 'from' in p && 'to' in p) {
    const { from, to } = p as { from: unknown; to: unknown };
    if (typeof from !== 'number' || typeof to !== 'number' || !Number.isInteger(from) || !Number.isInteger(to)) {
      throw new TypeError(`${what}: from and to must be integers`);
    }
    if (from < 0 || to > 65535 || from > to) throw new RangeError(`${what} must be a range within 0..65535 with from <= to`);
    return [from, to];
  }
  throw new TypeError(`${what} must be a port number or { from, to }`);
}

/** xtables_parse_port: a number or a service name of `protocol`. */
export function parsePort(s: string, protocol: string, what: string): number {
  if (/^\d/.test(s)) return parseUint(s, what, 0, 65535);
  const port = servicePort(s, protocol);
  if (port === undefined) throw new IptablesParseError(`${what}: invalid port/service ${JSON.stringify(s)}`);
  return port;
}

/** `PORT`, `MIN:MAX`, `:MAX`, `MIN:` as tcp/udp take them. */
export function parsePortRange(s: string, protocol: string, what: string): PortSpec {
  const colon = s.indexOf(':');
  if (colon < 0) return parsePort(s, protocol, what);
  const min = colon === 0 ? 0 : parsePort(s.slice(0, colon), protocol, what);
  const max = colon === s.length - 1 ? 0xffff : parsePort(s.slice(colon + 1), protocol, what);
  if (min > max) throw new IptablesParseError(`${what}: invalid port range (min > max)`);
  return portSpec(min, max);
}

/** `N` or `MIN:MAX` as iptables-save prints a range. */
export function savePortRange(p: PortSpec): string {
  const [min, max] = portBounds(p);
  return min === max ? `${min}` : `${min}:${max}`;
}
