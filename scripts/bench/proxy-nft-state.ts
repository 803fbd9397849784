// The benchmark's cluster, as data: N services x E endpoints with the
// issue's mix (10% ClientIP affinity, 10% NodePort, 5% LoadBalancer with
// loadBalancerSourceRanges, 5% externalTrafficPolicy Local), built as the
// backend's ProxyState, and the one-endpoint changes the latency is measured
// with. Kept apart from the timing so a whole-proxy variant can turn the
// same services into Service and EndpointSlice objects.
import type { Endpoint, NodeInfo, ProxyState, ServicePort } from '../../src/proxy/model/types.js';

export const NODE_NAME = 'bench-node';
export const NODE_IP = '192.168.0.2';

/** What kind of service the i-th one is. */
export interface ServiceShape {
  readonly affinity: boolean;
  readonly nodePort: number;
  readonly loadBalancer: boolean;
  readonly local: boolean;
}

/** The mix, by index: i % 20 picks the kind (NodePorts are 30000 + i: unique, past the default range). */
export function shapeOf(i: number): ServiceShape {
  const k = i % 20;
  const lb = k === 2;
  const local = k === 3;
  const np = k === 1 || k === 11 || lb || local;
  return { affinity: k === 0 || k === 10, nodePort: np ? 30000 + i : 0, loadBalancer: lb, local };
}

const ip4 = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
/** The i-th cluster IP (172.16.0.0/12) and load-balancer IP (100.64.0.0/10). */
export const clusterIP = (i: number): string => ip4(0xac100000 + i);
export const loadBalancerIP = (i: number): string => ip4(0x64400000 + i);

/** Endpoint j of service i: 10.0.0.0/8, `generation` > 0 for pods that replaced earlier ones (11.0.0.0/8 onwards). */
export function endpointIP(i: number, j: number, endpoints: number, generation = 0): string {
  return ip4(0x0a000000 + generation * 0x01000000 + i * endpoints + j);
}

export function servicePortOf(i: number): ServicePort {
  const s = shapeOf(i);
  const namespace = `ns-${i % 200}`;
  const name = `svc-${i}`;
  return {
    namespace, name, portName: 'http', protocol: 'tcp', key: `${namespace}/${name}:http/tcp`, family: 4,
    clusterIP: clusterIP(i), port: 80, nodePort: s.nodePort, externalIPs: [],
    loadBalancerVIPs: s.loadBalancer ? [loadBalancerIP(i)] : [],
    loadBalancerSourceRanges: s.loadBalancer ? ['203.0.113.0/24', '198.51.100.0/24'] : [],
    stickyMaxAgeSeconds: s.affinity ? 10800 : 0, externalPolicyLocal: s.local, internalPolicyLocal: false,
    healthCheckNodePort: s.local ? 32000 + (i % 700) : 0,
  };
}

/** An endpoint as the trackers make it; the first endpoint of each service is on this node. */
export function endpointOf(i: number, j: number, endpoints: number, generation = 0): Endpoint {
  const ip = endpointIP(i, j, endpoints, generation);
  return {
    ip, port: 8080, key: `${ip}:8080`, isLocal: j === 0, ready: true, serving: true, terminating: false,
    nodeName: j === 0 ? NODE_NAME : `node-${j}`, zoneHints: new Set(), nodeHints: new Set(),
  };
}

export function benchNode(): NodeInfo {
  return { name: NODE_NAME, labels: {}, primaryIPs: { 4: NODE_IP }, deleting: false };
}

/** A mutable ProxyState of `services` x `endpoints`. */
export function benchState(services: number, endpoints: number): ProxyState & { services: Map<string, ServicePort>; endpoints: Map<string, Endpoint[]> } {
  const svcs = new Map<string, ServicePort>();
  const eps = new Map<string, Endpoint[]>();
  for (let i = 0; i < services; i++) {
    const s = servicePortOf(i);
    svcs.set(s.key, s);
    eps.set(s.key, Array.from({ length: endpoints }, (_, j) => endpointOf(i, j, endpoints)));
  }
  return { services: svcs, endpoints: eps, node: benchNode() };
}

/**
 * One endpoint change, as when a pod is replaced: endpoint `j` of service
 * `i` gets a new address. Returns the service port key that changed.
 */
export function replaceEndpoint(state: ReturnType<typeof benchState>, i: number, j: number, generation: number): string {
  const key = servicePortOf(i).key;
  const list = [...state.endpoints.get(key)!];
  list[j] = endpointOf(i, j, list.length, generation);
  state.endpoints.set(key, list);
  return key;
}

/**
 * One endpoint more or less (a deployment scaled by one): service `i`
 * loses its last endpoint, or gets a new one when it has fewer than
 * `endpoints`. Returns the key that changed and the endpoint removed, if any.
 */
export function scaleEndpoints(state: ReturnType<typeof benchState>, i: number, endpoints: number, generation: number): { key: string; gone?: Endpoint } {
  const key = servicePortOf(i).key;
  const list = [...state.endpoints.get(key)!];
  const gone = list.length >= endpoints ? list.pop() : undefined;
  if (gone === undefined) list.push(endpointOf(i, list.length, endpoints, generation));
  state.endpoints.set(key, list);
  return gone !== undefined ? { key, gone } : { key };
}
