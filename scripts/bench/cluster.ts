// Benchmark of the test cluster at the proxy benchmark's scale: create
// SERVICES services with PODS ready endpoint pods each (in process, through
// the same API path as HTTP) until the EndpointSlice controller has caught
// up; the initial list of every service and slice by two @kubernetes/client-node
// informers in another process; watch fan-out latency to WATCHERS watchers in
// another process; memory. Prints figures; it asserts nothing.
//
//   node --import tsx scripts/bench/cluster.ts [SERVICES=10000] [PODS=10] [WATCHERS=5]
//
// Targets (issue 9): creation <= 30 s, initial list <= 2 s, fan-out p50 <= 10 ms.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

function ms(t0: number): number {
  return performance.now() - t0;
}

/** Absolute wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function client(kubeconfig: string, mode: string, watchers: number): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  if (mode === 'list') {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const disc = kc.makeApiClient(k8s.DiscoveryV1Api);
    const t0 = performance.now();
    const services = k8s.makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
    const slices = k8s.makeInformer(kc, '/apis/discovery.k8s.io/v1/endpointslices', () => disc.listEndpointSliceForAllNamespaces());
    await Promise.all([services.start(), slices.start()]);
    const t = ms(t0);
    const endpoints = slices.list().reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);
    process.send!({ listMs: t, services: services.list().length, slices: slices.list().length, endpoints });
    await Promise.all([services.stop(), slices.stop()]);
    return;
  }
  const latencies: number[] = [];
  const w = new k8s.Watch(kc);
  let ready = 0;
  for (let i = 0; i < watchers; i++) {
    await w.watch('/api/v1/namespaces/bench-watch/configmaps', { resourceVersion: mode }, (_type, obj) => {
      const sent = Number(obj?.metadata?.annotations?.['bench/sent']);
      if (sent > 0) latencies.push(wallNow() - sent);
    }, () => {});
    ready++;
  }
  process.send!({ ready });
  process.on('message', (m: { done?: boolean }) => {
    if (m.done) { process.send!({ latencies }); process.exit(0); }
  });
}

async function main(): Promise<void> {
  const [services = 10_000, podsPer = 10, watchers = 5] = process.argv.slice(2).map(Number);
  const { startTestCluster } = await import('../../src/testing/index.js');
  const cluster = await startTestCluster({ eventWindow: 10_000 });
  const nodes = 20;
  for (let i = 0; i < nodes; i++) cluster.createNode({ name: `node-${i}`, internalIPs: [`192.168.${i}.1`], zone: `zone-${i % 3}` });
  cluster.createNamespace('bench');

  // 1. creation
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let s = 0; s < services; s++) {
    const app = `svc-${s}`;
    cluster.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: 'bench' }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    for (let p = 0; p < podsPer; p++) {
      const n = s * podsPer + p;
      cluster.createPod({ name: `${app}-${p}`, namespace: 'bench', labels: { app }, nodeName: `node-${n % nodes}`, ips: [`10.${64 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`] });
    }
    // let the controller and the event loop run between services, as with clients in flight
    if (s % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  const writesMs = ms(t0);
  await cluster.settle();
  const createMs = ms(t0);
  const cpu = process.cpuUsage(cpu0);
  const slices = cluster.list('EndpointSlice', 'bench');
  const endpoints = slices.reduce((n, sl) => n + (sl.endpoints?.length ?? 0), 0);
  globalThis.gc?.();
  const mem = process.memoryUsage();
  console.log(`create: ${services} services x ${podsPer} pods (${services * (1 + 2 * podsPer)} writes): writes ${(writesMs / 1000).toFixed(2)} s, `
    + `slices settled ${(createMs / 1000).toFixed(2)} s (target <= 30 s), ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s of CPU; ${slices.length} slices, ${endpoints} endpoints`);
  console.log(`memory after create: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);

  // 2. initial list by client-node informers (another process)
  const lister = fork(self, ['client', cluster.kubeconfigPath, 'list', '0'], { execArgv: ['--import', 'tsx'] });
  const listed = await new Promise<{ listMs: number; services: number; slices: number; endpoints: number }>((r) => lister.once('message', r as never));
  console.log(`informer initial list: ${listed.services} services + ${listed.slices} slices (${listed.endpoints} endpoints) in ${(listed.listMs / 1000).toFixed(2)} s (target <= 2 s)`);
  await new Promise((r) => lister.once('exit', r));

  // 3. watch fan-out (another process)
  cluster.createNamespace('bench-watch');
  const rv = String(cluster.api.store.rv);
  const watcher = fork(self, ['client', cluster.kubeconfigPath, rv, String(watchers)], { execArgv: ['--import', 'tsx'] });
  await new Promise((r) => watcher.once('message', r as never));
  await new Promise((r) => setTimeout(r, 200));
  const writes = 300;
  for (let i = 0; i < writes; i++) {
    cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w-${i}`, namespace: 'bench-watch', annotations: { 'bench/sent': String(wallNow()) } } });
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
  watcher.send({ done: true });
  const { latencies } = await new Promise<{ latencies: number[] }>((r) => watcher.once('message', r as never));
  latencies.sort((a, b) => a - b);
  console.log(`watch fan-out: ${watchers} watchers x ${writes} writes = ${latencies.length} deliveries; p50 ${pct(latencies, 50).toFixed(2)} ms, `
    + `p90 ${pct(latencies, 90).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms, max ${latencies[latencies.length - 1]!.toFixed(2)} ms (target p50 <= 10 ms)`);
  await cluster.stop();
}

if (process.argv[2] === 'client') {
  await client(process.argv[3]!, process.argv[4]!, Number(process.argv[5] ?? 0));
} else {
  await main();
}
