// The whole proxy against kube-proxy's nftables layout, in one run:
//
//   node --import tsx scripts/bench/proxy.ts [options]     (as root; builds dist/ first)
//
//   --curve A,B,...      cluster sizes (services; default 1000,3000,10000,30000)
//   --endpoints E        endpoints per service (10)
//   --changes N          one-endpoint changes timed per size (200)
//   --kube-proxy A,...   sizes at which kube-proxy's layout is loaded with nft -f too (10000; '' for none)
//   --kube-changes N     changes timed for kube-proxy's layout (20)
//   --node-options '...' node flags for the proxy process, after the deploy manifest's NODE_OPTIONS (investigations: --trace-gc, ...)
//   --no-deploy-node-options  without the NODE_OPTIONS and MALLOC_ARENA_MAX of deploy/dataplane-proxy.yaml (the defaults)
//   --heap-snapshot      a heap snapshot of the proxy after its first sync (Heap.*.heapsnapshot in the repository)
//   --smaps              the proxy's resident memory by mapping after its first sync (/proc/PID/smaps)
//   --settle S           seconds between the first sync and the "settled" RSS sample (default 2), RSS printed every 5 s
//   --svg FILE           the curve as an SVG plot (docs/proxy-benchmark.svg; '' for none)
//   --no-build           use dist/ as it is
//
// Per size: the cluster (proxy-cluster.ts: the issue's mix, one slice per
// service) is built in process, saved, and served by `dataplane-cluster
// --state` in its own process; the compiled `dataplane-proxy` runs in a
// node namespace and reaches it over a veth (proxy-run.ts). Measured: its
// start to the first full sync (its log), one endpoint change from the
// EndpointSlice PUT to the commit seen in the kernel (nf_tables events of
// the node's namespace; the proxy's own 'Synced' log line as a cross-check),
// and its RSS (/proc). kube-proxy's layout of the same services (the
// proxy's model of the saved objects, turned into kube-proxy 1.32's nft
// script by proxy-nft-kube.ts) is loaded with `nft -f` in a namespace of
// its own and changed the same way, each change timed around its `nft -f`.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

import type { EndpointSlice } from '../../src/proxy/model/k8s.js';
import { EndpointsChangeTracker } from '../../src/proxy/model/trackers.js';
import { servicePorts } from '../../src/proxy/model/service.js';
import type { Endpoint, ServicePort } from '../../src/proxy/model/types.js';
import { BENCH_NODE, BENCH_NODE_IP, podIP, serviceName } from './proxy-cluster.js';
import { kubeProxyApply, kubeProxyLoad } from './proxy-nft-kube.js';
import { changeSequence, runProxy, type Change, type ProxyFigures } from './proxy-run.js';
import { lineCharts } from './proxy-svg.js';
import { arg, latency, mib, ms, numbers, pct, showLatency, withNetns, type Latency } from './proxy-util.js';

const ROOT = join(import.meta.dirname, '../..');
const CURVE = numbers('curve', '1000,3000,10000,30000');
const ENDPOINTS = Number(arg('endpoints', '10'));
const CHANGES = Number(arg('changes', '200'));
const KUBE = numbers('kube-proxy', '10000');
const KUBE_CHANGES = Number(arg('kube-changes', '20'));
/**
 * The DaemonSet's memory settings (deploy/dataplane-proxy.yaml), unless
 * --no-deploy-node-options: its NODE_OPTIONS become the proxy's node flags
 * (then --node-options), its MALLOC_ARENA_MAX the proxy's environment.
 */
const DEPLOY_ENV: Partial<Record<string, string>> = process.argv.includes('--no-deploy-node-options') ? {} : deployEnv();
const NODE_OPTIONS = [...(DEPLOY_ENV.NODE_OPTIONS ?? '').split(' ').filter(Boolean), ...arg('node-options', '').split(' ').filter(Boolean)];
const PROXY_ENV: Record<string, string> = DEPLOY_ENV.MALLOC_ARENA_MAX !== undefined ? { MALLOC_ARENA_MAX: DEPLOY_ENV.MALLOC_ARENA_MAX } : {};
const SVG = arg('svg', 'docs/proxy-benchmark.svg');
const HEAP_SNAPSHOT = process.argv.includes('--heap-snapshot');

/** The DaemonSet container's environment variables that have a value (not those taken from a field). */
function deployEnv(): Record<string, string> {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/dataplane-proxy.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
  const env = docs.find((d) => d?.kind === 'DaemonSet')?.spec.template.spec.containers[0].env as Obj[] | undefined;
  return Object.fromEntries((env ?? []).filter((e) => typeof e.value === 'string').map((e) => [String(e.name), String(e.value)]));
}

interface KubeFigures { services: number; full: number; fullCpu: number; lines: number; change: Latency }

/** Builds the cluster of `services` in a child process (its memory is not ours) and saves it to `file`. */
function buildState(services: number, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'proxy-cluster.ts'), [String(services), String(ENDPOINTS), file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { ms: number }).ms) : reject(new Error(`building the cluster exited ${code}`))));
  });
}

type Obj = Record<string, any>;

/** The proxy's model of the saved objects: service ports, and endpoints by key through the change tracker. */
function modelOf(stateFile: string): { services: Map<string, ServicePort>; endpoints: Map<string, readonly Endpoint[]>; slices: Map<string, Obj>; tracker: EndpointsChangeTracker } {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { objects: Record<string, Obj[]> };
  const services = new Map<string, ServicePort>();
  for (const svc of state.objects['/services']!) for (const [k, sp] of servicePorts(svc, { families: [4] })) services.set(k, sp);
  const tracker = new EndpointsChangeTracker(BENCH_NODE, [4]);
  const slices = new Map<string, Obj>();
  for (const s of state.objects['discovery.k8s.io/endpointslices']!) {
    tracker.endpointSliceUpdate(s as EndpointSlice, false);
    slices.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
  }
  const endpoints = new Map<string, readonly Endpoint[]>();
  tracker.applyTo(endpoints);
  return { services, endpoints, slices, tracker };
}

/** kube-proxy's layout of the same services: nft -f of its full sync, then the changes as its partial syncs. */
function kubeProxy(services: number, stateFile: string, changes: readonly Change[], dir: string): Promise<KubeFigures> {
  const m = modelOf(stateFile);
  return withNetns(async (ns) => {
    const full = kubeProxyLoad(ns, dir, m.services.values(), (key) => m.endpoints.get(key) ?? [], BENCH_NODE_IP);
    const times: number[] = [];
    for (const c of changes) {
      const { namespace, name } = serviceName(c.i);
      const key = `${namespace}/${name}:http/tcp`;
      const slice = structuredClone(m.slices.get(`${namespace}/${name}-bench`)!);
      const before = m.endpoints.get(key)!;
      const t = performance.now();
      slice.endpoints[c.j].addresses = [podIP(c.i, c.j, ENDPOINTS, c.generation)];
      m.tracker.endpointSliceUpdate(slice as EndpointSlice, false);
      m.tracker.applyTo(m.endpoints);
      const after = m.endpoints.get(key)!;
      const gone = before.find((e) => !after.some((a) => a.key === e.key));
      kubeProxyApply(ns, dir, m.services.get(key)!, after, gone, BENCH_NODE_IP);
      times.push(performance.now() - t);
      m.slices.set(`${namespace}/${name}-bench`, slice);
    }
    return { services, full: full.wall, fullCpu: full.cpu, lines: full.lines, change: latency(times) };
  });
}

/** Per change: from the watch event (as this benchmark's own watcher got it) to the commit in the kernel. */
const eventToKernel = (r: ProxyFigures): number[] => r.toKernel.map((k, i) => k - r.toWatch[i]!);

function report(ours: ProxyFigures[], kube: KubeFigures[]): void {
  console.log('\n| services | start -> first full sync (the sync) | one endpoint change: API write -> kernel, p50 / p99 | watch event -> kernel, p50 | the sync, p50 | RSS settled / peak |');
  console.log('|---|---|---|---|---|---|');
  for (const r of ours) {
    const k = latency(r.toKernel);
    console.log(`| ${r.services.toLocaleString('en')} | ${ms(r.startToSynced)} ms (${ms(r.fullSync)} ms) | ${ms(k.p50)} / ${ms(k.p99)} ms | ${ms(pct(eventToKernel(r), 50))} ms | ` +
      `${ms(pct(r.syncMs, 50))} ms | ${mib(r.rssSynced)} / ${mib(r.hwmAfter)} MiB |`);
  }
  for (const k of kube) {
    const o = ours.find((r) => r.services === k.services);
    console.log(`kube-proxy's layout, ${k.services} services (${k.lines} nft lines): nft -f ${ms(k.full)} ms (CPU ${ms(k.fullCpu)} ms); one endpoint change (${KUBE_CHANGES}) ${showLatency(k.change)}`);
    if (o === undefined) continue;
    console.log(`ratio at ${k.services}: full sync ${(k.full / o.fullSync).toFixed(1)}x faster (start -> synced: ${(k.full / o.startToSynced).toFixed(1)}x); ` +
      `one endpoint change p50 ${(k.change.p50 / pct(o.toKernel, 50)).toFixed(0)}x faster`);
  }
}

function plot(ours: ProxyFigures[], kube: KubeFigures[]): void {
  const xs = ours.map((r) => r.services);
  const s = (f: (r: ProxyFigures) => number) => ours.map((r) => [r.services, f(r)] as const);
  const svg = lineCharts([
    { title: 'First full sync', yLabel: 'seconds', logY: true, series: [
      { name: 'dataplane-proxy: start -> synced', color: '#1f77b4', points: s((r) => r.startToSynced / 1000) },
      { name: 'dataplane-proxy: the sync', color: '#1f77b4', dashed: true, points: s((r) => r.fullSync / 1000) },
      { name: "kube-proxy's layout: nft -f", color: '#d62728', points: kube.map((k) => [k.services, k.full / 1000] as const) },
    ] },
    { title: 'One endpoint change: API write -> kernel', yLabel: 'milliseconds', logY: true, target: { y: 5, label: 'target p50 5 ms' }, series: [
      { name: 'dataplane-proxy p50', color: '#1f77b4', points: s((r) => pct(r.toKernel, 50)) },
      { name: 'dataplane-proxy p99', color: '#1f77b4', dashed: true, points: s((r) => pct(r.toKernel, 99)) },
      { name: "kube-proxy's layout: nft -f p50", color: '#d62728', points: kube.map((k) => [k.services, k.change.p50] as const) },
    ] },
    { title: 'dataplane-proxy RSS', yLabel: 'MiB', target: { y: 200, label: 'target 200 MiB' }, series: [
      { name: 'peak (VmHWM)', color: '#ff7f0e', points: s((r) => r.hwmAfter / 2 ** 20) },
      { name: 'settled after the first sync', color: '#2ca02c', points: s((r) => r.rssSynced / 2 ** 20) },
    ] },
  ], xs, `scripts/bench/proxy.ts, ${ENDPOINTS} endpoints per service, kernel ${execFileSync('uname', ['-r']).toString().trim()}, ${new Date().toISOString().slice(0, 10)}`);
  writeFileSync(SVG, svg);
  writeFileSync(SVG.replace(/\.svg$/, '.json'), `${JSON.stringify({ ours, kube }, null, 1)}\n`);
  console.log(`wrote ${SVG}`);
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`# dataplane-proxy benchmark: ${CURVE.join(', ')} services x ${ENDPOINTS} endpoints, kernel ${execFileSync('uname', ['-r']).toString().trim()}, ` +
    `${execFileSync('nft', ['--version']).toString().trim()}, proxy's node flags '${NODE_OPTIONS.join(' ')}'${Object.entries(PROXY_ENV).map(([k, v]) => ` ${k}=${v}`).join('')}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'dp-bench-proxy-'));
  const ours: ProxyFigures[] = [];
  const kube: KubeFigures[] = [];
  try {
    for (const n of CURVE) {
      const file = join(dir, `cluster-${n}.json`);
      const built = await buildState(n, file);
      const changes = changeSequence(n, ENDPOINTS, CHANGES);
      const r = await runProxy({ services: n, endpoints: ENDPOINTS, stateFile: file, dir, changes, nodeOptions: HEAP_SNAPSHOT ? [...NODE_OPTIONS, '--heapsnapshot-signal=SIGUSR2'] : NODE_OPTIONS, env: PROXY_ENV, heapSnapshot: HEAP_SNAPSHOT, smaps: process.argv.includes('--smaps'),
        ...(process.argv.includes('--settle') ? { settleS: numbers('settle', '2')[0]! } : {}) });
      ours.push(r);
      console.log(`${n} services (cluster built in ${ms(built)} ms): start -> first full sync ${ms(r.startToSynced)} ms (startup ${ms(r.startup)} ms, the sync ${ms(r.fullSync)} ms, ` +
        `${r.tables} tables); one endpoint change x ${CHANGES}: API write -> kernel ${showLatency(latency(r.toKernel))}, -> watch event ` +
        `${showLatency(latency(r.toWatch))}, event -> kernel ${showLatency(latency(eventToKernel(r)))}, API write -> the proxy's 'Synced' log ` +
        `${showLatency(latency(r.toLog))}, the sync itself p50 ${ms(pct(r.syncMs, 50))} ms; commits by another process ${r.foreignCommits}; ` +
        `RSS ${mib(r.rssSynced)} MiB settled after the first sync (anonymous ${mib(r.rssAnonSynced)}, files ${mib(r.rssFileSynced)}; peak ${mib(r.hwmSynced)} MiB), ${mib(r.rssAfter)} MiB after the changes (peak ${mib(r.hwmAfter)} MiB)`);
      if (KUBE.includes(n)) {
        const k = await kubeProxy(n, file, changes.slice(0, KUBE_CHANGES), dir);
        kube.push(k);
        console.log(`${n} services, kube-proxy's layout: nft -f ${ms(k.full)} ms (CPU ${ms(k.fullCpu)} ms, ${k.lines} lines); one endpoint change ${showLatency(k.change)}`);
      }
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report(ours, kube);
  if (SVG !== '') plot(ours, kube);
}

await main();
