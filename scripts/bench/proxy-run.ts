// One size of the whole-proxy benchmark: the saved cluster served by
// `dataplane-cluster --state` (its own process, in the root namespace), a
// node namespace reaching it over a veth, and the compiled dataplane-proxy
// binary in that namespace. Times its start to the first full sync, then
// one-endpoint changes from the API write (an EndpointSlice PUT) to the
// commit seen in the kernel (KernelWatch), and reads its RSS from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { Nftables, printRule } from '../../src/index.js';
import { DEFAULT_SHARDS, servicePortBase, shardOf, shardTable } from '../../src/proxy/backend/nftables/names.js';
import { ProxyProcess } from '../../test/fixtures/proxy/process.js';
import { BENCH_NODE, BENCH_NODE_IP, CLUSTER_CIDR, CLUSTER_FLAGS, podIP, serviceName } from './proxy-cluster.js';
import { KernelWatch } from './proxy-kernel.js';
import { wallNow } from './proxy-util.js';

const ROOT = join(import.meta.dirname, '../..');

/** A one-endpoint change: endpoint `j` of service `i` gets the address of `generation`. */
export interface Change { readonly i: number; readonly j: number; readonly generation: number }

/** `n` random changes (seeded), each giving its endpoint an address it does not have. */
export function changeSequence(services: number, endpoints: number, n: number, seed = 1): Change[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const current = new Map<string, number>();
  const out: Change[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * services);
    const j = Math.floor(rnd() * endpoints);
    const generation = ((current.get(`${i}/${j}`) ?? 0) % 14) + 1;
    current.set(`${i}/${j}`, generation);
    out.push({ i, j, generation });
  }
  return out;
}

/** What one size measured. */
export interface ProxyFigures {
  readonly services: number;
  /** Spawn to the first 'Synced' (full) log line, and that sync's own duration (its `ms`). */
  readonly startToSynced: number;
  readonly fullSync: number;
  /** Spawn to the 'Starting dataplane-proxy' log line (Node start and module loading). */
  readonly startup: number;
  readonly tables: number;
  /**
   * API write -> commit seen in the kernel; -> the watch event seen by
   * another watcher (this benchmark's own, in the root namespace); -> the
   * proxy's 'Synced' log line; and the syncs' own `ms`.
   */
  readonly toKernel: number[];
  readonly toWatch: number[];
  readonly toLog: number[];
  readonly syncMs: number[];
  /** Commits not made by a thread of the proxy's process (should be 0). */
  readonly foreignCommits: number;
  /** /proc/PID/status: VmRSS after the first sync (settled 2 s), VmHWM then, VmRSS and VmHWM after the changes. */
  readonly rssSynced: number;
  readonly hwmSynced: number;
  readonly rssAfter: number;
  readonly hwmAfter: number;
  /** Of rssSynced: anonymous memory (heaps, malloc) and mapped files (node's binary and libraries). */
  readonly rssAnonSynced: number;
  readonly rssFileSynced: number;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]) * 1024;
}

let links = 0;

/** The node's namespace: the node IP, and a /30 link to the root namespace for the API. */
function nodeNamespace(ns: string): { apiHost: string; remove: () => void } {
  const link = `dpb${process.pid % 100000}${++links}`.slice(0, 15);
  const third = (process.pid + links) % 250 + 1;
  const apiHost = `169.254.${third}.1`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  ip('addr', 'add', `${apiHost}/30`, 'dev', link);
  ip('link', 'set', link, 'up');
  ip('-n', ns, 'addr', 'add', `169.254.${third}.2/30`, 'dev', 'eth0');
  ip('-n', ns, 'addr', 'add', `${BENCH_NODE_IP}/24`, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  return {
    apiHost,
    remove: () => {
      try { ip('link', 'del', link); } catch { /* went with the namespace */ }
      ip('netns', 'del', ns);
    },
  };
}

/** dataplane-cluster serving a copy of `stateFile` on `host`; resolves once it listens. */
async function startCluster(stateFile: string, host: string, dir: string): Promise<{ url: string; kubeconfig: string; child: ChildProcess }> {
  const state = join(dir, 'serving.json');
  copyFileSync(stateFile, state);
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, [join(ROOT, 'dist/testing/cli.js'), '--state', state, '--address', host, '--port', '0', '--kubeconfig', kubeconfig,
    ...CLUSTER_FLAGS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /listening on (\S+)/.exec(l);
      if (m !== null) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`dataplane-cluster exited ${code}`)));
  });
  return { url, kubeconfig, child };
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// The new address is in the kernel: the service's endpoint map, or (ClientIP affinity) its chain's rules.
async function inKernel(nft: Nftables, i: number, ip: string): Promise<boolean> {
  const { namespace, name } = serviceName(i);
  const base = servicePortBase({ namespace, name, portName: 'http', protocol: 'tcp' });
  const table = shardTable(shardOf({ namespace, name }, DEFAULT_SHARDS));
  const sets = await nft.listSets({ family: 'ip', table }, { elements: false });
  if (sets.some((s) => s.name === `service-${base}`)) {
    return JSON.stringify(await nft.listElements({ family: 'ip', table, name: `service-${base}` })).includes(`"${ip}"`);
  }
  return (await nft.listRules({ family: 'ip', table, chain: `service-${base}` })).some((r) => printRule(r).includes(`${ip}:8080`));
}

/** A watch of every EndpointSlice from now on: when each MODIFIED event arrives. */
class SliceWatch {
  readonly #waiters = new Map<string, (at: number) => void>();
  readonly #abort = new AbortController();

  static async start(url: string): Promise<SliceWatch> {
    const w = new SliceWatch();
    const rv = (await api(url, 'GET', '/apis/discovery.k8s.io/v1/endpointslices?limit=1')).metadata.resourceVersion as string;
    const res = await fetch(`${url}/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=${rv}`, { signal: w.#abort.signal });
    void w.#read(res.body!).catch(() => {});
    return w;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    let buf = '';
    const text = new TextDecoder();
    for await (const chunk of body) {
      buf += text.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const at = wallNow();
        const e = JSON.parse(buf.slice(0, nl)) as { type: string; object: { metadata: { namespace: string; name: string } } };
        buf = buf.slice(nl + 1);
        const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
        if (e.type !== 'MODIFIED') continue;
        this.#waiters.get(key)?.(at);
        this.#waiters.delete(key);
      }
    }
  }

  /** The arrival time of the next event of slice `ns/name`. */
  next(key: string): Promise<number> {
    return new Promise((resolve) => this.#waiters.set(key, resolve));
  }

  stop(): void {
    this.#abort.abort();
  }
}

interface Timing { url: string; proxy: ProxyProcess; watch: KernelWatch; nft: Nftables; endpoints: number }

// Each change: the slice read (untimed), one endpoint's address changed and
// written back with PUT; timed from just before the PUT to the kernel's
// commit, to another watcher's event, and to the proxy's log line. The new
// address is then looked up in the kernel.
async function timeChanges(t: Timing, changes: readonly Change[]): Promise<Pick<ProxyFigures, 'toKernel' | 'toWatch' | 'toLog' | 'syncMs' | 'foreignCommits'>> {
  const out = { toKernel: [] as number[], toWatch: [] as number[], toLog: [] as number[], syncMs: [] as number[], foreignCommits: 0 };
  const slices = await SliceWatch.start(t.url);
  try {
    for (const c of changes) {
      const { namespace, name } = serviceName(c.i);
      const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}-bench`;
      const slice = await api(t.url, 'GET', path);
      const ip = podIP(c.i, c.j, t.endpoints, c.generation);
      slice.endpoints[c.j].addresses = [ip];
      slice.endpoints[c.j].targetRef.name = `${name}-${c.j}-${c.generation}`;
      const kernel = t.watch.next(servicePortBase({ namespace, name, portName: 'http', protocol: 'tcp' }));
      const event = slices.next(`${namespace}/${name}-bench`);
      const logged = t.proxy.nextSync({ full: false, timeoutMs: 30_000 });
      const t0 = wallNow();
      await api(t.url, 'PUT', path, slice);
      const [k, e, l] = await Promise.all([kernel, event, logged]);
      out.toKernel.push(k.at - t0);
      out.toWatch.push(e - t0);
      out.toLog.push(l.time - t0);
      out.syncMs.push(l.ms as number);
      if (k.pid === undefined || !existsSync(`/proc/${t.proxy.pid}/task/${k.pid}`)) out.foreignCommits++;
      if (!(await inKernel(t.nft, c.i, ip))) throw new Error(`service ${c.i}: ${ip} is not in the kernel after its commit`);
    }
  } finally {
    slices.stop();
  }
  return out;
}

/**
 * Has the proxy (run with --heapsnapshot-signal=SIGUSR2) write a heap
 * snapshot into its working directory (the repository), and waits until it is complete.
 */
/** The resident memory of `pid` by mapping (/proc/PID/smaps): malloc's heap, anonymous mappings by size class, files by name. */
function smapsSummary(pid: number): string {
  const by = new Map<string, number>();
  let name = '';
  let size = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) {
      const [lo, hi] = line.split(' ')[0]!.split('-').map((x) => parseInt(x, 16));
      size = (hi! - lo!) / 2 ** 20;
      name = head[1] !== '' ? head[1]!.replace(/^.*\//, '') : `[anon ${size >= 64 ? '>=64' : size >= 1 ? '1-64' : '<1'} MiB]`;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) / 1024);
  }
  return [...by].filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
}

async function heapSnapshot(pid: number): Promise<void> {
  const before = new Set(readdirSync(ROOT));
  process.kill(pid, 'SIGUSR2');
  for (let size = -1; ;) {
    await new Promise((r) => setTimeout(r, 2000));
    const file = readdirSync(ROOT).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    const now = statSync(join(ROOT, file)).size;
    if (now === size && now > 0) return void console.log(`heap snapshot of the proxy after its first sync: ${file}`);
    size = now;
  }
}

/** The proxy at one size: first full sync, `changes`, RSS (and a heap snapshot after the first sync if asked). */
export async function runProxy(o: { services: number; endpoints: number; stateFile: string; dir: string; changes: readonly Change[]; nodeOptions: string[];
  env?: Record<string, string>; heapSnapshot?: boolean; smaps?: boolean; settleS?: number }): Promise<ProxyFigures> {
  const ns = `dp-bench-${process.pid}-${o.services}`;
  const node = nodeNamespace(ns);
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  let proxy: ProxyProcess | undefined;
  let watch: KernelWatch | undefined;
  try {
    cluster = await startCluster(o.stateFile, node.apiHost, o.dir);
    const spawned = wallNow();
    proxy = ProxyProcess.start(ns, [`--kubeconfig=${cluster.kubeconfig}`, `--hostname-override=${BENCH_NODE}`, `--cluster-cidr=${CLUSTER_CIDR}`,
      '--proxy-mode=nftables', '--iptables-min-sync-period=0s', '-v=2'], { compiled: true, nodeOptions: o.nodeOptions, ...(o.env !== undefined ? { env: o.env } : {}) });
    const synced = await proxy.waitFor((l) => l.msg === 'Synced' && l.full === true, 600_000);
    const started = await proxy.waitFor((l) => l.msg === 'Starting dataplane-proxy');
    // `ip netns exec` execs node in its place: the pid is the proxy's own.
    if (readFileSync(`/proc/${proxy.pid}/comm`, 'utf8').trim() !== 'node') throw new Error('the proxy\'s pid is not node\'s');
    const nft = await Nftables.open({ netns: ns });
    const tables = (await nft.listTables({ family: 'ip' })).filter((t) => t.name.startsWith('dataplane-proxy')).length;
    const trace: string[] = [];
    for (let s = 0; s < (o.settleS ?? 2); s++) {
      await new Promise((r) => setTimeout(r, 1000));
      if (o.settleS !== undefined && s % 5 === 4) trace.push(`${s + 1} s ${(procStatus(proxy.pid, 'VmRSS') / 2 ** 20).toFixed(0)}`);
    }
    if (trace.length > 0) console.log(`RSS after the first sync (MiB): ${trace.join(', ')}`);
    const rssSynced = procStatus(proxy.pid, 'VmRSS');
    const hwmSynced = procStatus(proxy.pid, 'VmHWM');
    const rssAnonSynced = procStatus(proxy.pid, 'RssAnon');
    const rssFileSynced = procStatus(proxy.pid, 'RssFile');
    if (o.smaps === true) console.log(`RSS by mapping after the first sync (MiB): ${smapsSummary(proxy.pid)}`);
    if (o.heapSnapshot === true) await heapSnapshot(proxy.pid);
    watch = await KernelWatch.start(ns);
    const timed = await timeChanges({ url: cluster.url, proxy, watch, nft, endpoints: o.endpoints }, o.changes);
    if (watch.lost > 0) throw new Error(`the kernel dropped ${watch.lost} event batches: the timings are void`);
    await nft.close();
    return {
      services: o.services, startToSynced: synced.time - spawned, fullSync: synced.ms as number, startup: started.time - spawned, tables,
      ...timed, rssSynced, hwmSynced, rssAnonSynced, rssFileSynced, rssAfter: procStatus(proxy.pid, 'VmRSS'), hwmAfter: procStatus(proxy.pid, 'VmHWM'),
    };
  } finally {
    await watch?.stop().catch(() => {});
    await proxy?.stop();
    cluster?.child.kill('SIGKILL');
    node.remove();
  }
}
