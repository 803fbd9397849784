// The nftables backend against kube-proxy's nftables layout, in one run
// (node --expose-gc --import tsx scripts/bench/proxy-nft.ts [options]; --expose-gc
// adds the live heap of the model and of the backend to the RSS figures):
//
//   --services N        the main size (default 10000), x --endpoints E (10)
//   --changes N         one-endpoint changes timed per size (200)
//   --curve A,B,...     sizes for the change-latency curve (1000,3000,10000,30000)
//   --kube-proxy N      services for kube-proxy's layout via nft -f (default --services; 0 skips)
//   --kube-changes N    changes timed for kube-proxy's layout (20)
//   --shards S          shard count of the backend (default DEFAULT_SHARDS)
//   --shard-sweep A,... shard counts to compare at --services (full sync, change latency, new-connection cost)
//
// Every measurement runs in a fresh network namespace of its own. The
// backend is driven with a ProxyState (scripts/bench/proxy-nft-state.ts):
// "one endpoint change" is one pod of one random service replaced, timed
// from the state change to the committed transaction. kube-proxy's layout
// (scripts/bench/proxy-nft-kube.ts) is loaded with `nft -f` as kube-proxy
// does, and changed the same way with the transaction kube-proxy's partial
// sync would send.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Nftables } from '../../src/index.js';
import { NftablesBackend } from '../../src/proxy/backend/nftables/index.js';
import type { Endpoint } from '../../src/proxy/model/types.js';
import { DEFAULT_SHARDS } from '../../src/proxy/backend/nftables/names.js';
import { benchState, NODE_IP, replaceEndpoint, scaleEndpoints, servicePortOf } from './proxy-nft-state.js';
import { kubeProxyApply, kubeProxyLoad } from './proxy-nft-kube.js';
import { newFlowCost } from './proxy-nft-conn.js';
import { arg, latency, mib, ms, showLatency as lat, withNetns, type Latency } from './proxy-util.js';

const SERVICES = Number(arg('services', '10000'));
const ENDPOINTS = Number(arg('endpoints', '10'));
const CHANGES = Number(arg('changes', '200'));
const CURVE = arg('curve', '1000,3000,10000,30000').split(',').filter(Boolean).map(Number);
const KUBE = Number(arg('kube-proxy', String(SERVICES)));
const KUBE_CHANGES = Number(arg('kube-changes', '20'));
const SHARDS = Number(arg('shards', String(DEFAULT_SHARDS)));
const SWEEP = arg('shard-sweep', '').split(',').filter(Boolean).map(Number);


/** Random one-endpoint changes: service i, endpoint j, a new address each time. */
function* changes(services: number, n: number, seed = 1): Generator<{ i: number; j: number; generation: number }> {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < n; k++) yield { i: Math.floor(rnd() * services), j: Math.floor(rnd() * ENDPOINTS), generation: 1 + (k % 50) };
}

interface Ours { full: number; fullCpu: number; fullAgain: number; replace: Latency; scale: Latency; written: number; rss: number; maxRss: number; heapState?: number; heapAfter?: number }


// The live JS heap after a full collection (node --expose-gc), else undefined.
function liveHeap(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Our backend: first full sync, a second (steady) one, then `n` changes of
 * each kind: a pod replaced (one endpoint's address changes) and a service
 * scaled by one (an endpoint removed, or added back).
 */
async function ours(services: number, n: number, shards = SHARDS, ns?: string): Promise<Ours> {
  const run = async (netns: string): Promise<Ours> => {
    const nft = await Nftables.open({ netns });
    const backend = new NftablesBackend({ netns, families: [4], detectLocal: { mode: 'ClusterCIDR', cidrs: ['10.0.0.0/8'] }, masqueradeAll: false,
      masqueradeBit: 14, nodePortAddresses: { primary: true } }, { nftables: nft, shards });
    await backend.setup();
    const state = benchState(services, ENDPOINTS);
    const heapState = liveHeap();
    let t = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await backend.sync(state, { full: true, changed: new Set() });
    const full = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const fullCpu = (cpu.user + cpu.system) / 1000;
    t = performance.now();
    await backend.sync(state, { full: true, changed: new Set() });
    const fullAgain = performance.now() - t;
    const cpuOf: number[][] = [[], []];
    const timed = async (kind: 0 | 1, change: () => string): Promise<number> => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await backend.sync(state, { full: false, changed: new Set([change()]) });
      const c = process.cpuUsage(c0);
      cpuOf[kind]!.push((c.user + c.system) / 1000);
      return performance.now() - t0;
    };
    const replace: number[] = [];
    const scale: number[] = [];
    for (const c of changes(services, n)) replace.push(await timed(0, () => replaceEndpoint(state, c.i, c.j, c.generation)));
    for (const c of changes(services, n, 2)) scale.push(await timed(1, () => scaleEndpoints(state, c.i, ENDPOINTS, c.generation).key));
    const rss = process.memoryUsage().rss;
    const heapAfter = liveHeap();
    await backend.close();
    await nft.close();
    return { full, fullCpu, fullAgain, replace: latency(replace, cpuOf[0]), scale: latency(scale, cpuOf[1]), written: r.written, rss, maxRss: process.resourceUsage().maxRSS * 1024,
      ...(heapState !== undefined ? { heapState, heapAfter } : {}) };
  };
  return ns !== undefined ? run(ns) : withNetns(run);
}

/** kube-proxy's layout: nft -f of its full sync, then `n` changes of each kind as its partial syncs, and the per-flow cost. */
function kubeProxy(services: number, n: number): Promise<{ full: number; fullCpu: number; replace: Latency; scale: Latency; lines: number; flow: { service: number; direct: number } }> {
  return withNetns(async (ns) => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-bench-'));
    try {
      const state = benchState(services, ENDPOINTS);
      const { wall: full, cpu: fullCpu, lines } = kubeProxyLoad(ns, dir, state.services.values(), (key) => state.endpoints.get(key)!, NODE_IP);
      const change = (key: string, gone: Endpoint | undefined): number => kubeProxyApply(ns, dir, state.services.get(key)!, state.endpoints.get(key)!, gone, NODE_IP);
      const replace: number[] = [];
      const scale: number[] = [];
      for (const c of changes(services, n)) {
        const key = servicePortOf(c.i).key;
        const gone = state.endpoints.get(key)![c.j]!;
        const t = performance.now();
        replaceEndpoint(state, c.i, c.j, c.generation);
        change(key, gone);
        replace.push(performance.now() - t);
      }
      for (const c of changes(services, n, 2)) {
        const t = performance.now();
        const { key, gone } = scaleEndpoints(state, c.i, ENDPOINTS, c.generation);
        change(key, gone);
        scale.push(performance.now() - t);
      }
      return { full, fullCpu, replace: latency(replace), scale: latency(scale), lines, flow: newFlowCost(ns) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function main(): Promise<void> {
  console.log(`# nftables proxy benchmark: ${SERVICES} services x ${ENDPOINTS} endpoints, ${SHARDS} shards, kernel ${execFileSync('uname', ['-r']).toString().trim()}, ` +
    `nft ${execFileSync('nft', ['--version']).toString().trim()}`);
  const main = await ours(SERVICES, CHANGES);
  console.log(`ours: first full sync ${ms(main.full)} ms (CPU ${ms(main.fullCpu)} ms, ${main.written} operations), again ${ms(main.fullAgain)} ms; ` +
    `pod replaced ${lat(main.replace)}, scaled by one ${lat(main.scale)} (${CHANGES} each); RSS ${mib(main.rss)} MiB (peak ${mib(main.maxRss)} MiB)` +
    (main.heapState !== undefined ? `; live heap: the model ${mib(main.heapState)} MiB, with the backend ${mib(main.heapAfter!)} MiB` : ''));
  if (KUBE > 0) {
    const kp = await kubeProxy(KUBE, KUBE_CHANGES);
    console.log(`kube-proxy layout (${KUBE} services, ${kp.lines} nft lines): nft -f ${ms(kp.full)} ms (CPU ${ms(kp.fullCpu)} ms); pod replaced ${lat(kp.replace)}, ` +
      `scaled by one ${lat(kp.scale)} (${KUBE_CHANGES} each); a new flow ${kp.flow.service.toFixed(2)} us through a cluster IP, ${kp.flow.direct.toFixed(2)} us direct`);
    if (KUBE === SERVICES) {
      console.log(`ratio: full sync ${(kp.full / main.full).toFixed(1)}x faster (CPU time ${(kp.fullCpu / main.fullCpu).toFixed(1)}x); pod replaced p50 ${(kp.replace.p50 / main.replace.p50).toFixed(0)}x, ` +
        `scaled by one p50 ${(kp.scale.p50 / main.scale.p50).toFixed(0)}x faster`);
    }
  }
  for (const n of CURVE) {
    const r = n === SERVICES ? main : await ours(n, Math.min(CHANGES, 200));
    console.log(`curve ${n} services: full sync ${ms(r.full)} ms, pod replaced ${lat(r.replace)}, scaled by one ${lat(r.scale)}, RSS ${mib(r.rss)} MiB`);
  }
  if (SWEEP.length > 0) {
    const bare = await withNetns(async (ns) => newFlowCost(ns, false));
    console.log(`no ruleset: a new flow costs the node ${bare.direct.toFixed(2)} us`);
  }
  for (const s of SWEEP) {
    const r = await withNetns(async (ns) => {
      const o = await ours(SERVICES, Math.min(CHANGES, 200), s, ns);
      return { ...o, flow: newFlowCost(ns) };
    });
    console.log(`shards ${s}: full sync ${ms(r.full)} ms, pod replaced ${lat(r.replace)}, scaled by one ${lat(r.scale)}, ` +
      `a new flow ${r.flow.service.toFixed(2)} us through a cluster IP, ${r.flow.direct.toFixed(2)} us to an endpoint directly`);
  }
}

await main();
