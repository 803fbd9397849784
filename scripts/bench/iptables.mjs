// Benchmark (not a test) against iptables-legacy 1.8.9, in one process tree
// on one kernel: a kube-proxy iptables ruleset (test/fixtures/iptables/
// kube-proxy.mjs: ClusterIP services, N services x M endpoints, kube-proxy's
// large-cluster form) written into empty filter and nat tables, by us
// (replace() of the typed tables, and restore() of the text: parse + replace)
// vs iptables-legacy-restore of the same text; read back by get() (chains
// checked, rules decoded when first read), get() with every rule decoded,
// and get() + toString(), each in a fresh node process as
// iptables-legacy-save runs in its own (timed inside it, node's start left
// out), vs iptables-legacy-save, and get() again in this process beside
// the typed tables; and one service changed
// on the populated table (a new endpoint in place of an old one), p50/p99: replace() of the
// whole nat table from the typed tables kept in memory (how a proxy holding
// its model syncs), update() (read, edit, commit under the xtables lock:
// how the proxy's iptables mode syncs), and iptables-legacy-restore
// --noflush of that service's chains (kube-proxy's partial sync). Rounds
// alternate ours and theirs, each write into a fresh netns; medians. Wall
// time and CPU time (user+sys: ours from process.cpuUsage(), the tools' from
// bash's `times`). Where strace is installed, the kernel's share too: the
// IPT_SO_GET_ENTRIES of iptables-legacy-save, and the calls of one
// --noflush change (every reader and writer pays them).
//
//   npm run build:ts && node scripts/bench/iptables.mjs [SERVICES=10000] [ENDPOINTS=10] [CHANGES=20] [ROUNDS=3]
//
// Needs root, iptables-legacy and bash; makes network namespaces and deletes them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Iptables, IptablesTableEdit, applyIptablesScript, parseIptables, parseIptablesCommand, splitIptablesArgs } from '../../dist/index.js';
import { chainName, kubeProxyRules } from '../../test/fixtures/iptables/kube-proxy.mjs';

// `--read NETNS WHAT`: one read in this fresh process (as iptables-legacy-save runs in its own), timed inside it; prints JSON.
if (process.argv[2] === '--read') {
  const ipt = await Iptables.open({ netns: process.argv[3] });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const tables = [await ipt.get('filter'), await ipt.get('nat')];
  if (process.argv[4] === 'decode') for (const tb of tables) for (const c of tb.chains) void c.rules.length;
  if (process.argv[4] === 'text') for (const tb of tables) void tb.toString().length;
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ wall, cpu: (c.user + c.system) / 1000 }));
  await ipt.close();
  process.exit(0);
}

const SERVICES = Number(process.argv[2] ?? 10000);
const ENDPOINTS = Number(process.argv[3] ?? 10);
const CHANGES = Number(process.argv[4] ?? 20);
const ROUNDS = Number(process.argv[5] ?? 3);

const sh = (cmd, args, input) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, input });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const dir = mkdtempSync(join(tmpdir(), 'dp-bench-ipt-'));
const spaces = [];
let counter = 0;

function netns() {
  const name = `dp-bench-ipt-${process.pid}-${++counter}`;
  sh('ip', ['netns', 'add', name]);
  spaces.push(name);
  return name;
}

function drop(name) {
  sh('ip', ['netns', 'del', name]);
  spaces.splice(spaces.indexOf(name), 1);
}

/** Runs a shell command line inside a netns; wall ms, and the children's CPU ms from bash's `times`. */
function tool(ns, line) {
  const t0 = performance.now();
  const out = sh('ip', ['netns', 'exec', ns, 'bash', '-c', `${line}; times`]);
  const wall = performance.now() - t0;
  const times = out.trim().split('\n').pop().match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
  const cpu = times === null ? NaN : (Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 1000;
  return { wall, cpu };
}

/** Runs fn in this process; wall ms and CPU ms (every thread: JS, the addon's pool thread, the kernel work it does). */
async function ours(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, result };
}

const fmt = (x) => `${(x.wall / 1000).toFixed(2)} s (cpu ${(x.cpu / 1000).toFixed(2)} s)`;
const ratio = (theirs, mine) => `${(theirs.wall / mine.wall).toFixed(2)}x (cpu ${(theirs.cpu / mine.cpu).toFixed(2)}x)`;
const med = (runs) => ({ wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) });

/** The iptables-restore --noflush text of service i with its endpoint 0 moved to `ip` (kube-proxy's partial sync). */
function changedService(i, ip) {
  const name = `ns${i % 17}/svc-${i}:http`;
  const proto = i % 5 === 3 ? 'udp' : 'tcp';
  const svc = chainName('KUBE-SVC-', name, proto);
  const eps = Array.from({ length: ENDPOINTS }, (_, e) => (e === 0 ? ip : `10.${128 + (e % 64)}.${(i >> 8) & 255}.${i & 255}`));
  const seps = eps.map((e) => chainName('KUBE-SEP-', name, proto, e));
  const old = chainName('KUBE-SEP-', name, proto, `10.128.${(i >> 8) & 255}.${i & 255}`);
  const svcIp = `172.30.${(i >> 8) & 255}.${i & 255}`;
  const port = 80 + (i % 7);
  // As kube-proxy writes it: every chain it touches declared (which flushes it), the stale one deleted.
  const lines = ['*nat', `:${svc} - [0:0]`, ...seps.map((s) => `:${s} - [0:0]`), `:${old} - [0:0]`];
  lines.push(`-A ${svc} ! -s 10.128.0.0/9 -d ${svcIp}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${port} -j KUBE-MARK-MASQ`);
  seps.forEach((s, e) => lines.push(`-A ${svc}${e < ENDPOINTS - 1 ? ` -m statistic --mode random --probability ${(1 / (ENDPOINTS - e)).toFixed(10)}` : ''} -j ${s}`));
  seps.forEach((s, e) => lines.push(`-A ${s} -s ${eps[e]}/32 -j KUBE-MARK-MASQ`, `-A ${s} -p ${proto} -m ${proto} -j DNAT --to-destination ${eps[e]}:${8080 + (i % 3)}`));
  lines.push(`-X ${old}`, 'COMMIT', '');
  return { text: lines.join('\n'), svc, seps, old };
}

/** Plays that text onto a table in memory (the edit a proxy makes to its own model). */
function playChange(table, text) {
  const edit = new IptablesTableEdit(table);
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      const chain = line.slice(1, line.indexOf(' '));
      if (table.chain(chain) === undefined) edit.newChain(chain);
      else edit.flush(chain);
    } else if (line.startsWith('-')) {
      edit.apply(parseIptablesCommand(splitIptablesArgs(line), 4));
    }
  }
}

try {
  const text = kubeProxyRules({ services: SERVICES, endpoints: ENDPOINTS, mixed: false });
  const file = join(dir, 'rules');
  writeFileSync(file, text);
  const lines = text.split('\n').length;
  console.log(`kube-proxy iptables ruleset: ${SERVICES} services x ${ENDPOINTS} endpoints, ${lines} lines of iptables-restore input`);

  // Write.
  const theirWrites = [];
  const ourReplaces = [];
  const ourRestores = [];
  const ourParses = [];
  let tables;
  for (let r = 0; r < ROUNDS; r++) {
    const t = netns();
    theirWrites.push(tool(t, `iptables-legacy-restore < ${file}`));
    drop(t);
    const p = await ours(() => {
      const script = parseIptables(text);
      return script.tables.map((st) => applyIptablesScript(undefined, st, 4));
    });
    ourParses.push({ wall: p.wall, cpu: p.cpu });  // not the tables: one copy alive at a time
    tables = p.result;
    const o = netns();
    const ipt = await Iptables.open({ netns: o, lock: false });
    ourReplaces.push(await ours(async () => { for (const tb of tables) await ipt.replace(tb.name, tb.chains); }));
    await ipt.close();
    drop(o);
    const o2 = netns();
    const ipt2 = await Iptables.open({ netns: o2, lock: false });
    ourRestores.push(await ours(() => ipt2.restore(text)));
    await ipt2.close();
    drop(o2);
  }
  const theirWrite = med(theirWrites);
  const ourReplace = med(ourReplaces);
  const ourRestore = med(ourRestores);
  console.log(`\nwrite into empty tables (median of ${ROUNDS}):`);
  console.log(`  iptables-legacy-restore          ${fmt(theirWrite)}`);
  console.log(`  ours: replace() of typed tables  ${fmt(ourReplace)}   ${ratio(theirWrite, ourReplace)} faster`);
  console.log(`  ours: restore() of the text      ${fmt(ourRestore)}   ${ratio(theirWrite, ourRestore)} faster  (parse alone ${fmt(med(ourParses))})`);

  // Read (both namespaces hold the same tables).
  const oursNs = netns();
  const theirsNs = netns();
  // With the xtables lock, as iptables-legacy takes it: update() holds it from its read to its commit.
  const ipt = await Iptables.open({ netns: oursNs });
  for (const tb of tables) await ipt.replace(tb.name, tb.chains);
  tool(theirsNs, `iptables-legacy-restore < ${file}`);
  // Each read in a fresh process, as iptables-legacy-save runs in its own (timed inside it: node's start left out);
  // get() is measured again beside the typed tables in the change phase.
  const theirReads = [];
  const ourGets = [];
  const ourDecodes = [];
  const ourSaves = [];
  let same = true;
  const fresh = (what) => JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--read', oursNs, what], { encoding: 'utf8' }));
  for (let r = 0; r < ROUNDS; r++) {
    theirReads.push(tool(theirsNs, 'iptables-legacy-save > /dev/null'));
    ourGets.push(fresh('get'));
    ourDecodes.push(fresh('decode'));
    ourSaves.push(fresh('text'));
  }
  const saved = sh('ip', ['netns', 'exec', theirsNs, 'iptables-legacy-save', '-t', 'nat']).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  same = (await ipt.get('nat')).toString() === saved;
  const theirRead = med(theirReads);
  const ourGet = med(ourGets);
  const ourSave = med(ourSaves);
  console.log(`\nread all tables (median of ${ROUNDS}, ours each in a fresh process; nat text identical to iptables-legacy-save's: ${same ? 'yes' : 'NO'}):`);
  console.log(`  iptables-legacy-save                  ${fmt(theirRead)}`);
  console.log(`  ours: get() (rules decoded when read) ${fmt(ourGet)}   ${ratio(theirRead, ourGet)} faster`);
  console.log(`  ours: get() + every rule decoded      ${fmt(med(ourDecodes))}   ${ratio(theirRead, med(ourDecodes))} faster`);
  console.log(`  ours: get() + toString()              ${fmt(ourSave)}   ${ratio(theirRead, ourSave)} faster`);
  // The kernel's share: IPT_SO_GET_ENTRIES (copying every entry out with its counters) as strace -T times it
  // in iptables-legacy-save; every reader pays it, so none is faster than save's time over it.
  const traced = () => {
    const r = spawnSync('ip', ['netns', 'exec', theirsNs, 'strace', '-T', '-e', 'trace=getsockopt', 'iptables-legacy-save'],
      { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) return NaN;
    let sum = 0;
    for (const m of r.stderr.matchAll(/IPT_SO_GET_ENTRIES.*<([\d.]+)>$/gm)) sum += Number(m[1]) * 1000;
    return sum;
  };
  const kernel = median(Array.from({ length: ROUNDS }, traced));
  if (Number.isFinite(kernel)) {
    console.log(`  the kernel's IPT_SO_GET_ENTRIES alone  ${(kernel / 1000).toFixed(2)} s (strace -T in iptables-legacy-save): a reader with no work of its own would be ${(theirRead.wall / kernel).toFixed(2)}x faster`);
  }

  // One service changed on the populated table.
  const nat = tables.find((tb) => tb.name === 'nat');
  const heapGets = [];
  for (let r = 0; r < ROUNDS; r++) heapGets.push(await ours(async () => [await ipt.get('filter'), await ipt.get('nat')]));
  const heap = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
  console.log(`  ours: get() in this process, beside the typed tables   ${fmt(med(heapGets))}   ${ratio(theirRead, med(heapGets))} faster  (a ${heap} MiB heap: a major GC per read)`);
  const full = [];
  const updates = [];
  const theirChanges = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 7919) % SERVICES;
    const change = changedService(i, `10.200.${k >> 8}.${k & 255}`);
    playChange(nat, change.text);
    full.push(await ours(() => ipt.replace('nat', nat.chains)));
    const other = changedService((i + 1) % SERVICES, `10.201.${k >> 8}.${k & 255}`);
    updates.push(await ours(() => ipt.update('nat', (tx) => playChange(tx.table, other.text))));
    playChange(nat, other.text);
    writeFileSync(join(dir, 'change1'), change.text);
    writeFileSync(join(dir, 'change2'), other.text);
    theirChanges.push(tool(theirsNs, `iptables-legacy-restore --noflush < ${join(dir, 'change1')} && iptables-legacy-restore --noflush < ${join(dir, 'change2')}`));
  }
  const theirChange = { wall: median(theirChanges.map((x) => x.wall / 2)), cpu: median(theirChanges.map((x) => x.cpu / 2)) };
  const p = (xs, q) => `${(pct(xs.map((x) => x.wall), q)).toFixed(0)} ms`;
  console.log(`\none service changed on the populated table (${CHANGES} changes, p50 / p99 wall, median cpu):`);
  console.log(`  iptables-legacy-restore --noflush   p50 ${theirChange.wall.toFixed(0)} ms (cpu ${theirChange.cpu.toFixed(0)} ms)`);
  console.log(`  ours: replace() of the nat table    p50 ${p(full, 50)} / p99 ${p(full, 99)} (cpu ${median(full.map((x) => x.cpu)).toFixed(0)} ms)   ${(theirChange.wall / median(full.map((x) => x.wall))).toFixed(2)}x`);
  console.log(`  ours: update() (read, edit, commit) p50 ${p(updates, 50)} / p99 ${p(updates, 99)} (cpu ${median(updates.map((x) => x.cpu)).toFixed(0)} ms)   ${(theirChange.wall / median(updates.map((x) => x.wall))).toFixed(2)}x`);
  const final = sh('ip', ['netns', 'exec', theirsNs, 'iptables-legacy-save', '-t', 'nat']).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  console.log(`  after the changes, nat text identical in both namespaces: ${(await ipt.get('nat')).toString() === final ? 'yes' : 'NO'}`);
  // The kernel's share of one such change (any writer's floor: the table read out, the whole table replaced).
  const last = changedService(1, '10.202.0.1');
  writeFileSync(join(dir, 'change3'), last.text);
  const r = spawnSync('ip', ['netns', 'exec', theirsNs, 'strace', '-T', '-e', 'trace=getsockopt,setsockopt', 'iptables-legacy-restore', '--noflush', join(dir, 'change3')],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status === 0) {
    const call = (name) => [...r.stderr.matchAll(new RegExp(`${name}.*<([\\d.]+)>$`, 'gm'))].reduce((a, m) => a + Number(m[1]) * 1000, 0);
    const [get, replace, counters] = ['IPT_SO_GET_ENTRIES', 'IPT_SO_SET_REPLACE', 'IPT_SO_SET_ADD_COUNTERS'].map(call);
    console.log(`  the kernel's share of one --noflush change (strace -T): ${(get + replace + counters).toFixed(0)} ms ` +
      `(IPT_SO_GET_ENTRIES ${get.toFixed(0)}, IPT_SO_SET_REPLACE ${replace.toFixed(0)}, IPT_SO_SET_ADD_COUNTERS ${counters.toFixed(0)})`);
  }
  await ipt.close();
} finally {
  for (const s of [...spaces]) sh('ip', ['netns', 'del', s]);
  rmSync(dir, { recursive: true, force: true });
}
