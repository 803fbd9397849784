// IPVS mode of dataplane-proxy against the tools kube-proxy's IPVS mode
// amounts to, run inside the VM (real IPVS):
//
//   bash scripts/vm/run.sh node --expose-gc --import tsx scripts/bench/proxy-ipvs.ts \
//     [--services 10000] [--endpoints 10] [--small 100] [--changes 200] [--connections 200] [--no-peer]
//
// In one run on one kernel, each node in a fresh network namespace:
// 1. the first full sync of SERVICES ClusterIP services x ENDPOINTS endpoints
//    (IpvsBackend.sync: virtual and real servers, kube-ipvs0 addresses, our
//    nftables table) vs `ipvsadm -R` of the same table plus the address
//    binding with `ip -batch`;
// 2. one endpoint change (one endpoint replaced: a real server added, the
//    old one drained and deleted), partial sync, p50/p99, with SMALL and with
//    SERVICES services, alternating;
// 3. connection setup through a virtual IP (connect, and connect plus one
//    answer, measured by the client) with 10 and with SERVICES services.
// The backend runs against other namespaces here, so its sysctls go through
// `ip netns exec sysctl` (a benchmark may shell out; the proxy never does).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { IpvsBackend, type SysctlAccess } from '../../src/proxy/backend/ipvs/index.js';
import { Client, startServer } from '../../test/fixtures/proxy-ipvs/agents.js';
import { backendOptions, endpoint, Model, service } from '../../test/fixtures/proxy-ipvs/state.js';
import { arg, fmt, ours, percentile, theirs, type Cost } from './common.js';

const SERVICES = arg('services', 10_000);
const ENDPOINTS = arg('endpoints', 10);
const SMALL = arg('small', 100);
const CHANGES = arg('changes', 200);
const CONNECTIONS = arg('connections', 200);

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, input });
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const spaces: string[] = [];
function netns(name: string): string {
  const ns = `${name}-${process.pid}`;
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  spaces.push(ns);
  return ns;
}

const vip = (i: number) => `10.${96 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
const rip = (i: number, j: number) => `172.${16 + ((i >> 16) & 0x0f)}.${(i >> 8) & 0xff}.${((i & 0xff) + j * 7) & 0xff}`;
const svcOf = (i: number) => service(`bench/svc-${i}`, { clusterIP: vip(i + 1), port: 80 });
// Endpoints on other nodes, as most are in a large cluster (no hairpin elements). A change
// replaces the first endpoint with another (variant 1) and back.
const epsOf = (i: number, variant = 0) => Array.from({ length: ENDPOINTS },
  (_, j) => endpoint(rip(i + 1, j === 0 && variant === 1 ? ENDPOINTS : j), 8080, { isLocal: false }));

function model(n: number): Model {
  const m = new Model();
  for (let i = 0; i < n; i++) m.set(svcOf(i), epsOf(i));
  return m;
}

function sysctlIn(ns: string): SysctlAccess {
  return {
    read: async (name) => sh('ip', ['netns', 'exec', ns, 'sysctl', '-n', name.replaceAll('/', '.')]).trim(),
    write: async (name, value) => { sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${name.replaceAll('/', '.')}=${value}`]); },
  };
}

async function backendIn(ns: string): Promise<IpvsBackend> {
  const b = new IpvsBackend(backendOptions({ netns: ns, families: [4], detectLocal: { mode: 'ClusterCIDR', cidrs: ['10.200.0.0/16'] } }),
    { scheduler: 'rr' }, { sysctl: sysctlIn(ns) });
  await b.setup();
  return b;
}

const FULL = { full: true, changed: new Set<string>() };
const pct = (xs: number[], p: number) => percentile([...xs].sort((a, b) => a - b), p);

function counts(ns: string): { lines: number; addresses: number } {
  const lines = sh('ip', ['netns', 'exec', ns, 'ipvsadm', '-Sn']).trim().split('\n').filter(Boolean).length;
  const addresses = (JSON.parse(sh('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', 'kube-ipvs0']))[0].addr_info as { scope: string }[])
    .filter((a) => a.scope !== 'link').length;
  return { lines, addresses };
}

/** 1. First full sync vs ipvsadm -R + ip -batch, each into an empty namespace. */
async function firstSync(big: Model): Promise<{ backend: IpvsBackend; ns: string; us: Cost; them: Cost }> {
  const ns = netns('bench-ours');
  const backend = await backendIn(ns);
  gc();
  const us = await ours(() => backend.sync(big.state, FULL));
  const want = { lines: SERVICES * (1 + ENDPOINTS), addresses: SERVICES };
  const got = counts(ns);
  if (got.lines !== want.lines || got.addresses !== want.addresses) throw new Error(`ours: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);

  const peer = netns('bench-peer');
  sh('ip', ['-n', peer, 'link', 'add', 'kube-ipvs0', 'type', 'dummy']);
  sh('ip', ['-n', peer, 'link', 'set', 'kube-ipvs0', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'proxy-ipvs-bench-'));
  const rules: string[] = [];
  const addrs: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const v = vip(i + 1);
    rules.push(`-A -t ${v}:80 -s rr`);
    for (const e of epsOf(i)) rules.push(`-a -t ${v}:80 -r ${e.ip}:${e.port} -m -w 1`);
    addrs.push(`addr add ${v}/32 dev kube-ipvs0`);
  }
  writeFileSync(join(dir, 'rules'), `${rules.join('\n')}\n`);
  writeFileSync(join(dir, 'addrs'), `${addrs.join('\n')}\n`);
  if (process.argv.includes('--no-peer')) return { backend, ns, us, them: { wall: NaN, user: NaN, sys: NaN } };
  const them = theirs(`ip netns exec ${peer} ipvsadm -R < ${dir}/rules && ip -n ${peer} -batch ${dir}/addrs`);
  const theirCounts = counts(peer);
  if (theirCounts.lines !== want.lines || theirCounts.addresses !== want.addresses) throw new Error(`ipvsadm: ${JSON.stringify(theirCounts)}`);
  sh('ip', ['netns', 'del', peer]);
  spaces.splice(spaces.indexOf(peer), 1);
  return { backend, ns, us, them };
}

/** 2. One endpoint replaced in one service, partial sync; the two backends alternate. */
async function changes(nodes: { backend: IpvsBackend; model: Model; n: number }[]): Promise<{ p50: number; p99: number }[]> {
  const times: number[][] = nodes.map(() => []);
  const variants = nodes.map(() => new Map<number, number>());
  for (let k = -20; k < CHANGES; k++) {
    for (const [t, node] of nodes.entries()) {
      const i = ((k + 20) * 7919) % node.n;
      const variant = 1 - (variants[t]!.get(i) ?? 0);
      variants[t]!.set(i, variant);
      const key = node.model.set(svcOf(i), epsOf(i, variant));
      const t0 = process.hrtime.bigint();
      await node.backend.sync(node.model.state, { full: false, changed: new Set([key]) });
      if (k >= 0) times[t]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times.map((ts) => ({ p50: pct(ts, 50), p99: pct(ts, 99) }));
}

/** A client and a pod namespace on the node, the pod serving service 0. */
async function attach(node: string, tag: string): Promise<{ client: Client; procs: ChildProcess[] }> {
  const pod = netns(`bench-pod${tag}`);
  const cli = netns(`bench-cli${tag}`);
  const batch = (ns: string | undefined, lines: string[]) => sh('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], `${lines.join('\n')}\n`);
  batch(node, [`link add p${tag} type veth peer name eth0 netns ${pod}`, `link add c${tag} type veth peer name eth0 netns ${cli}`,
    `link set p${tag} up`, `link set c${tag} up`, `addr add 10.200.0.1/24 dev p${tag}`, `addr add 10.201.0.1/24 dev c${tag}`]);
  batch(pod, ['link set eth0 up', 'addr add 10.200.0.2/24 dev eth0', 'route add default via 10.200.0.1']);
  batch(cli, ['link set eth0 up', 'addr add 10.201.0.2/24 dev eth0', 'route add default via 10.201.0.1']);
  const server = await startServer(pod, 'pod', [80]);
  const client = Client.start(cli);
  return { client, procs: [server] };
}

/** 3. Connection setup through service 0's virtual IP, the nodes alternating in rounds. */
async function latency(nodes: { backend: IpvsBackend; model: Model; client: Client }[]): Promise<{ connect: number[]; total: number[] }[]> {
  for (const n of nodes) {
    const key = n.model.set(svcOf(0), [endpoint('10.200.0.2', 80, { isLocal: false })]);
    await n.backend.sync(n.model.state, { full: false, changed: new Set([key]) });
    const warm = await n.client.connect('tcp', vip(1), 80, 10);
    if (!warm.every((r) => r.ok)) throw new Error(`no answer through ${vip(1)}: ${JSON.stringify(warm[0])}`);
  }
  const out = nodes.map(() => ({ connect: [] as number[], total: [] as number[] }));
  const rounds = 10;
  for (let r = 0; r < rounds; r++) {
    for (const [i, n] of nodes.entries()) {
      for (const res of await n.client.connect('tcp', vip(1), 80, Math.ceil(CONNECTIONS / rounds))) {
        if (!res.ok) throw new Error(`connection failed: ${res.error}`);
        out[i]!.connect.push(res.connectMs!);
        out[i]!.total.push(res.ms!);
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`IPVS proxy benchmark: ${SERVICES} services x ${ENDPOINTS} endpoints; changes at ${SMALL} and ${SERVICES}; kernel ${sh('uname', ['-r']).trim()}`);
  const procs: ChildProcess[] = [];
  const clients: Client[] = [];
  const backends: IpvsBackend[] = [];
  try {
    const big = model(SERVICES);
    const first = await firstSync(big);
    backends.push(first.backend);
    console.log(`full sync  ours: ${fmt(first.us)}`);
    console.log(`full sync  ipvsadm -R + ip -batch: ${fmt(first.them)}`);
    console.log(`full sync  ratio: ${(first.them.wall / first.us.wall).toFixed(2)}x faster`);

    const smallNs = netns('bench-small');
    const small = { backend: await backendIn(smallNs), model: model(SMALL), n: SMALL };
    backends.push(small.backend);
    await small.backend.sync(small.model.state, FULL);
    gc();
    const [cs, cb] = await changes([small, { backend: first.backend, model: big, n: SERVICES }]) as [{ p50: number; p99: number }, { p50: number; p99: number }];
    console.log(`one endpoint change p50/p99 at ${SMALL} services: ${cs.p50.toFixed(2)} / ${cs.p99.toFixed(2)} ms`);
    console.log(`one endpoint change p50/p99 at ${SERVICES} services: ${cb.p50.toFixed(2)} / ${cb.p99.toFixed(2)} ms`);
    console.log(`one endpoint change ratio (p50 large/small): ${(cb.p50 / cs.p50).toFixed(2)} (target <= 1.2)`);

    const tenNs = netns('bench-ten');
    const ten = { backend: await backendIn(tenNs), model: model(10) };
    backends.push(ten.backend);
    await ten.backend.sync(ten.model.state, FULL);
    const a = await attach(tenNs, 't');
    const b = await attach(first.ns, 'b');
    procs.push(...a.procs, ...b.procs);
    clients.push(a.client, b.client);
    const [l10, lbig] = await latency([{ ...ten, client: a.client }, { backend: first.backend, model: big, client: b.client }]);
    const line = (n: number, l: { connect: number[]; total: number[] }) =>
      `connection setup with ${n} services: connect p50/p99 ${pct(l.connect, 50).toFixed(2)} / ${pct(l.connect, 99).toFixed(2)} ms, ` +
      `connect + answer p50/p99 ${pct(l.total, 50).toFixed(2)} / ${pct(l.total, 99).toFixed(2)} ms (${l.total.length} connections)`;
    console.log(line(10, l10!));
    console.log(line(SERVICES, lbig!));
    console.log(`connection setup ratio (p50 connect, ${SERVICES}/10): ${(pct(lbig!.connect, 50) / pct(l10!.connect, 50)).toFixed(2)}`);
  } finally {
    for (const c of clients) c.stop();
    for (const p of procs) p.kill();
    for (const b of backends) await b.close();
    for (const ns of spaces) sh('ip', ['netns', 'del', ns]);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
