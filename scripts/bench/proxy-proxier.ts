// The proxy's own work, without a kernel: informer events through the change
// trackers and the runner into a Backend that does nothing, at N services
// x M endpoints. What every mode pays on top of its backend.
//
//   node --expose-gc --import tsx scripts/bench/proxy-proxier.ts [--services N] [--endpoints M] [--changes K]
//
// Prints: the initial events (a Service and a slice per service), the
// first full sync (trackers applied, stats), K one-endpoint changes
// (slice event -> sync done, p50/p99), and the heap and RSS with the model
// loaded. There is no peer tool to compare with: kube-proxy's equivalent is
// Go code inside its process.
import type { Backend } from '../../src/proxy/backend/backend.js';
import { ProxyHealth } from '../../src/proxy/health/proxy-health.js';
import { ProxyMetrics } from '../../src/proxy/metrics.js';
import type { EndpointSlice, Service } from '../../src/proxy/model/k8s.js';
import { Proxier } from '../../src/proxy/proxier.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const N = arg('services', 10_000);
const M = arg('endpoints', 10);
const K = arg('changes', 500);

const ip = (a: number, i: number): string => `10.${a + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function service(i: number): Service {
  return {
    metadata: { namespace: 'bench', name: `s${i}`, resourceVersion: '1' },
    spec: { type: 'ClusterIP', clusterIP: ip(96, i), clusterIPs: [ip(96, i)], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  };
}

function slice(i: number, version: number, unready = -1): EndpointSlice {
  return {
    metadata: { namespace: 'bench', name: `s${i}-1`, resourceVersion: String(version), labels: { 'kubernetes.io/service-name': `s${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: M }, (_, k) => ({
      addresses: [ip(200, i * M + k)], conditions: { ready: k !== unready, serving: true, terminating: false }, nodeName: `node-${k}`,
    })),
  };
}

const idle: Backend = {
  mode: 'nftables',
  setup: async () => {},
  cleanup: async () => {},
  close: async () => {},
  sync: async () => ({ noLocalEndpoints: { internal: 0, external: 0 }, written: 0 }),
};

let onSync: () => void = () => {};
const proxier = new Proxier({
  nodeName: 'node-0', families: [4], backend: idle, minSyncPeriodMs: 0, syncPeriodMs: 3_600_000,
  metrics: new ProxyMetrics('nftables', [4], { processMetrics: false }), health: new ProxyHealth(7_200_000), onSync: () => onSync(),
});
const synced = (): Promise<void> => new Promise((resolve) => { onSync = resolve; });
const keepAlive = setInterval(() => {}, 1000);
const ms = (t: number): string => `${t.toFixed(t < 10 ? 2 : 0)} ms`;

let t = performance.now();
for (let i = 0; i < N; i++) {
  proxier.onServiceAdd(service(i));
  proxier.onEndpointSliceAdd(slice(i, 1));
}
console.log(`${N} services x ${M} endpoints: ${2 * N} events in ${ms(performance.now() - t)}`);

t = performance.now();
let done = synced();
proxier.start();
proxier.onServicesSynced();
proxier.onEndpointSlicesSynced();
await done;
console.log(`first full sync (model side) in ${ms(performance.now() - t)}`);

const lat: number[] = [];
for (let j = 0; j < K; j++) {
  const i = (j * 7919) % N;
  done = synced();
  const t0 = performance.now();
  proxier.onEndpointSliceUpdate(slice(i, 2 + j, j % M), false);
  await done;
  lat.push(performance.now() - t0);
}
lat.sort((a, b) => a - b);
console.log(`one endpoint change, slice event -> sync done: p50 ${ms(lat[Math.floor(K / 2)]!)}, p99 ${ms(lat[Math.floor(K * 0.99)]!)}`);
globalThis.gc?.();
const mem = process.memoryUsage();
console.log(`heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (tsx included)`);
await proxier.stop();
clearInterval(keepAlive);
