// Whether two service ports or endpoint lists are the same: the same
// objects, or equal field by field (every field of the model's types).
// The trackers use it to find what changed, a backend to leave alone what
// it has planned already. Pure.
import type { Endpoint, ServicePort } from './types.js';

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

const PORT_FIELDS = ['key', 'namespace', 'name', 'portName', 'protocol', 'family', 'clusterIP', 'port', 'nodePort', 'stickyMaxAgeSeconds',
  'externalPolicyLocal', 'internalPolicyLocal', 'healthCheckNodePort', 'trafficDistribution'] as const;

/** Whether two service ports are equal (kube-proxy compares with reflect.DeepEqual). */
export function sameServicePort(a: ServicePort, b: ServicePort): boolean {
  if (a === b) return true;
  return PORT_FIELDS.every((f) => a[f] === b[f]) && sameList(a.externalIPs, b.externalIPs) && sameList(a.loadBalancerVIPs, b.loadBalancerVIPs) &&
    sameList(a.loadBalancerSourceRanges, b.loadBalancerSourceRanges);
}

const ENDPOINT_FIELDS = ['ip', 'port', 'key', 'isLocal', 'ready', 'serving', 'terminating', 'nodeName', 'zone'] as const;

/** Whether two endpoints are equal. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a === b || (ENDPOINT_FIELDS.every((f) => a[f] === b[f]) && sameSet(a.zoneHints, b.zoneHints) && sameSet(a.nodeHints, b.nodeHints));
}

/** Whether two endpoint lists are the same, in the same order. */
export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a === b || (a.length === b.length && a.every((e, i) => sameEndpoint(e, b[i]!)));
}
