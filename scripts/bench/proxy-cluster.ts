// The whole-proxy benchmark's cluster: N Services in the mix
// (shapeOf in proxy-nft-state.ts: 10% ClientIP affinity, 10% NodePort, 5%
// LoadBalancer with two loadBalancerSourceRanges, 5% NodePort with
// externalTrafficPolicy Local), each with one EndpointSlice of E ready
// endpoints, the first on the benchmark's node. The Services have no
// selector and the slices are written as an endpoints controller of our own
// would write them (targetRef, nodeName, zone, owner, trigger time), so a
// benchmark changes an endpoint by writing its slice, and the API write is
// the start of what it times. Built in process through the test cluster's
// API path (allocators, validation, the LoadBalancer controller) and saved
// as a state file for `dataplane-cluster --state FILE`:
//
//   node --import tsx scripts/bench/proxy-cluster.ts SERVICES ENDPOINTS FILE
import { randomUUID } from 'node:crypto';

import { shapeOf } from './proxy-nft-state.js';

/** The node the proxy runs as, and its address (in the benchmark's node namespace). */
export const BENCH_NODE = 'bench-node';
export const BENCH_NODE_IP = '192.168.0.2';
/** Pod addresses: 10.128.0.0/9 inside the cluster CIDR 10.0.0.0/8; the service CIDR is the cluster's default 10.96.0.0/16. */
export const CLUSTER_CIDR = '10.0.0.0/8';
/** What dataplane-cluster must be started with to serve the saved state (NodePorts for 20% of 30,000 services). */
export const CLUSTER_FLAGS = ['--node-port-range', '30000-39999', '--lb-pool', '100.64.0.0/20'];
export const NAMESPACES = 200;
/** The managed-by label of our slices (the test cluster's EndpointSlice controller leaves them alone). */
export const MANAGED_BY = 'bench.dataplane.dev';

type Obj = Record<string, any>;

const ip4 = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Endpoint j of service i; each `generation` > 0 is a set of fresh addresses (a replaced pod's). */
export function podIP(i: number, j: number, endpoints: number, generation = 0): string {
  return ip4(0x0a800000 + generation * 0x80000 + i * endpoints + j);
}

export const serviceName = (i: number): { namespace: string; name: string } => ({ namespace: `ns-${i % NAMESPACES}`, name: `svc-${i}` });

/** Service i as a user would create it. */
export function serviceManifest(i: number): Obj {
  const s = shapeOf(i);
  const spec: Obj = {
    type: s.loadBalancer ? 'LoadBalancer' : s.nodePort !== 0 ? 'NodePort' : 'ClusterIP',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
  };
  if (s.affinity) Object.assign(spec, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } });
  if (s.loadBalancer) spec.loadBalancerSourceRanges = ['203.0.113.0/24', '198.51.100.0/24'];
  if (s.local) spec.externalTrafficPolicy = 'Local';
  return { apiVersion: 'v1', kind: 'Service', metadata: { ...serviceName(i) }, spec };
}

/** The one slice of service i, with `ips` as its endpoints' addresses (endpoint 0 on the benchmark's node). */
export function sliceManifest(i: number, ips: readonly string[], owner: { uid: string }, triggerTime = new Date()): Obj {
  const { namespace, name } = serviceName(i);
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name: `${name}-bench`, namespace,
      labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': triggerTime.toISOString().replace(/\.\d+Z$/, 'Z') },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpoints: ips.map((ip, j) => ({
      addresses: [ip], conditions: { ready: true, serving: true, terminating: false },
      nodeName: j === 0 ? BENCH_NODE : `node-${j}`, zone: `zone-${j % 3}`,
      targetRef: { kind: 'Pod', namespace, name: `${name}-${j}`, uid: randomUUID() },
    })),
  };
}

/** Builds the cluster in process and saves it to `file`; resolves to how long it took. */
export async function buildClusterState(services: number, endpoints: number, file: string): Promise<number> {
  const t0 = performance.now();
  const { startTestCluster } = await import('../../src/testing/index.js');
  const cluster = await startTestCluster({ nodePortRange: [30000, 39999], loadBalancerPool: ['100.64.0.0/20'], eventWindow: 100 });
  try {
    cluster.createNode({ name: BENCH_NODE, internalIPs: [BENCH_NODE_IP], zone: 'zone-0' });
    for (let n = 1; n < endpoints; n++) cluster.createNode({ name: `node-${n}`, internalIPs: [`192.168.1.${n}`], zone: `zone-${n % 3}` });
    for (let k = 0; k < Math.min(NAMESPACES, services); k++) cluster.createNamespace(`ns-${k}`);
    for (let i = 0; i < services; i++) {
      const svc = cluster.create(serviceManifest(i));
      cluster.create(sliceManifest(i, Array.from({ length: endpoints }, (_, j) => podIP(i, j, endpoints)), svc.metadata as { uid: string }));
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await cluster.settle();
    await new Promise((r) => setTimeout(r, 50));
    const pending = cluster.list('Service').filter((s) => s.spec.type === 'LoadBalancer' && !s.status?.loadBalancer?.ingress?.length);
    if (pending.length > 0) throw new Error(`${pending.length} LoadBalancer services got no ingress IP`);
    cluster.save(file);
  } finally {
    await cluster.stop();
  }
  return performance.now() - t0;
}

if (process.argv[1]?.endsWith('proxy-cluster.ts')) {
  const [services, endpoints, file] = process.argv.slice(2);
  const ms = await buildClusterState(Number(services), Number(endpoints), file!);
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
}
