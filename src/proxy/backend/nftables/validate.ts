// Checks a service port and its endpoints before they are planned, so bad
// input fails with a TypeError/RangeError naming the field, before any
// transaction is built or anything is sent.
import { parseCidr, tryParseIp, type IpFamily } from '../../../addr.js';
import type { Endpoint, ServicePort } from '../../model/types.js';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
// nft names (and so namespaces, service and port names in them) take these characters.
const NAME = /^[A-Za-z0-9_.-]*$/;

function address(ip: unknown, family: IpFamily, what: string): void {
  const a = typeof ip === 'string' ? tryParseIp(ip) : undefined;
  if (a === undefined || a.family !== family) throw new TypeError(`${what}: not an IPv${family} address: ${JSON.stringify(ip)}`);
}

function port(n: unknown, what: string, zero = false): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (zero ? 0 : 1) || n > 65535) throw new RangeError(`${what}: not a port number: ${String(n)}`);
}

/** Throws if the service port or one of its endpoints could not be written into the ruleset. */
export function checkServicePort(svc: ServicePort, endpoints: readonly Endpoint[]): void {
  for (const [k, v] of [['namespace', svc.namespace], ['name', svc.name], ['portName', svc.portName]] as const) {
    if (typeof v !== 'string' || !NAME.test(v) || (k !== 'portName' && v === '')) throw new TypeError(`${k}: not a Kubernetes name: ${JSON.stringify(v)}`);
  }
  if (!PROTOCOLS.has(svc.protocol)) throw new TypeError(`protocol: expected tcp, udp or sctp, got ${JSON.stringify(svc.protocol)}`);
  if (svc.family !== 4 && svc.family !== 6) throw new TypeError(`family: expected 4 or 6, got ${String(svc.family)}`);
  address(svc.clusterIP, svc.family, 'clusterIP');
  port(svc.port, 'port');
  port(svc.nodePort, 'nodePort', true);
  svc.externalIPs.forEach((ip, i) => address(ip, svc.family, `externalIPs[${i}]`));
  svc.loadBalancerVIPs.forEach((ip, i) => address(ip, svc.family, `loadBalancerVIPs[${i}]`));
  svc.loadBalancerSourceRanges.forEach((c, i) => {
    if (parseCidr(c, `loadBalancerSourceRanges[${i}]`).family !== svc.family) throw new TypeError(`loadBalancerSourceRanges[${i}]: not an IPv${svc.family} CIDR: ${c}`);
  });
  const age = svc.stickyMaxAgeSeconds;
  if (!Number.isInteger(age) || age < 0 || age > 86400) throw new RangeError(`stickyMaxAgeSeconds: expected 0..86400, got ${String(age)}`);
  endpoints.forEach((ep, i) => {
    address(ep.ip, svc.family, `endpoints[${i}].ip`);
    port(ep.port, `endpoints[${i}].port`);
  });
}
