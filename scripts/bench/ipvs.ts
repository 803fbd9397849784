// IPVS benchmark against ipvsadm, run inside the VM (real IPVS):
//
//   bash scripts/vm/run.sh node --expose-gc --import tsx scripts/bench/ipvs.ts [--services N] [--dests M] [--updates K] [--rounds R]
//
// In one run on one kernel: load N virtual services x M real servers from
// empty with Ipvs.apply() vs `ipvsadm -R` of the same set (each in its own
// fresh netns); list everything with Ipvs.list() vs `ipvsadm -Sn` (R rounds,
// alternating, medians compared: ipvsadm's own time varies a lot); update one
// real server's weight K times in a table of 10 services and in the full
// table (p50/p99). Prints wall time, user/sys CPU and the ratios.
// Ours: process.cpuUsage(); ipvsadm: bash's `times` (children's CPU).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ipvs, type IpvsOperation } from '../../src/index.js';
import { arg, fmt, ours, percentile, theirs, type Cost } from './common.js';

const SERVICES = arg('services', 10_000);
const DESTS = arg('dests', 10);
const UPDATES = arg('updates', 200);
const ROUNDS = arg('rounds', 3);

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
let nsCounter = 0;
function netns(): string {
  const name = `bench-${process.pid}-${++nsCounter}`;
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

const vip = (i: number) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
const rip = (i: number, j: number) => `172.${16 + ((i >> 16) & 0x0f)}.${(i >> 8) & 0xff}.${((i & 0xff) + j * 7) & 0xff}`;

function table(n: number, m: number): { ops: IpvsOperation[]; text: string } {
  const ops: IpvsOperation[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const service = { protocol: 'tcp', address: vip(i + 1), port: 80 } as const;
    ops.push({ op: 'addService', service: { ...service, scheduler: 'rr' } });
    lines.push(`-A -t ${vip(i + 1)}:80 -s rr`);
    for (let j = 0; j < m; j++) {
      ops.push({ op: 'addDest', service, dest: { address: rip(i + 1, j), port: 8080 + j, forward: 'masq', weight: 1 } });
      lines.push(`-a -t ${vip(i + 1)}:80 -r ${rip(i + 1, j)}:${8080 + j} -m -w 1`);
    }
  }
  return { ops, text: `${lines.join('\n')}\n` };
}

// The round with the median wall time (its user/sys with it).
function median(rounds: Cost[]): Cost {
  return [...rounds].sort((x, y) => x.wall - y.wall)[Math.floor(rounds.length / 2)]!;
}

// Updates one real server's weight, alternating between the two tables
// (small, large, small, ...) so both see the same conditions; a few rounds
// first to warm up.
async function updateLatency(tables: { ipvs: Ipvs; services: number }[]): Promise<{ p50: number; p99: number }[]> {
  const times: number[][] = tables.map(() => []);
  for (let k = -20; k < UPDATES; k++) {
    for (const [t, { ipvs, services }] of tables.entries()) {
      const i = ((k + 20) * 7919) % services;
      const service = { protocol: 'tcp', address: vip(i + 1), port: 80 } as const;
      const t0 = process.hrtime.bigint();
      await ipvs.updateDest(service, { address: rip(i + 1, 0), port: 8080, forward: 'masq', weight: 1 + (Math.abs(k) % 5) });
      if (k >= 0) times[t]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times.map((ts) => {
    ts.sort((a, b) => a - b);
    return { p50: percentile(ts, 50), p99: percentile(ts, 99) };
  });
}

async function main(): Promise<void> {
  console.log(`IPVS benchmark: ${SERVICES} services x ${DESTS} real servers, ${UPDATES} updates, kernel ${sh('uname', ['-r']).trim()}`);
  const { ops, text } = table(SERVICES, DESTS);
  const file = join(mkdtempSync(join(tmpdir(), 'ipvs-bench-')), 'rules');
  writeFileSync(file, text);

  const a = netns();
  const b = netns();
  const ipvs = await Ipvs.open({ netns: a });
  await ipvs.info(); // resolve the family before timing

  const loadOurs = await ours(async () => {
    const results = await ipvs.apply(ops);
    const failed = results.filter((r) => r.error !== undefined);
    if (failed.length > 0) throw new Error(`${failed.length} operations failed, first: ${failed[0]!.error!.message}`);
  });
  const loadTheirs = theirs(`ip netns exec ${b} ipvsadm -R < ${file}`);

  // The list, ROUNDS times, ours and ipvsadm's alternating, so both see the
  // same conditions; the load's garbage is collected first (with
  // --expose-gc) so the list is charged only for its own.
  let listed = 0;
  const oursRounds: Cost[] = [];
  const theirsRounds: Cost[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    oursRounds.push(await ours(async () => { listed = (await ipvs.list()).reduce((n, s) => n + 1 + s.dests.length, 0); }));
    theirsRounds.push(theirs(`ip netns exec ${b} ipvsadm -Sn > /dev/null`));
  }
  const listOurs = median(oursRounds);
  const listTheirs = median(theirsRounds);
  const saved = sh('ip', ['netns', 'exec', b, 'ipvsadm', '-Sn']).trim().split('\n').length;
  if (listed !== ops.length || saved !== ops.length) throw new Error(`listed ${listed} (ours) and ${saved} (ipvsadm), expected ${ops.length}`);

  const c = netns();
  const small = await Ipvs.open({ netns: c });
  // Not the list's garbage: collect it now (with --expose-gc) rather than during the timed updates.
  (globalThis as { gc?: () => void }).gc?.();
  await small.apply(table(10, DESTS).ops);
  const [little, big] = await updateLatency([{ ipvs: small, services: 10 }, { ipvs, services: SERVICES }]) as [
    { p50: number; p99: number }, { p50: number; p99: number }];

  console.log(`load   ours:    ${fmt(loadOurs)}`);
  console.log(`load   ipvsadm -R: ${fmt(loadTheirs)}`);
  console.log(`load   ratio: ${(loadTheirs.wall / loadOurs.wall).toFixed(1)}x faster (target >= 5x)`);
  const walls = (cs: Cost[]) => cs.map((c) => (c.wall / 1000).toFixed(2)).join(', ');
  console.log(`list   rounds (s): ours ${walls(oursRounds)}; ipvsadm -Sn ${walls(theirsRounds)}`);
  console.log(`list   ours (median of ${ROUNDS}):    ${fmt(listOurs)} (${listed} objects)`);
  console.log(`list   ipvsadm -Sn (median of ${ROUNDS}): ${fmt(listTheirs)}`);
  console.log(`list   ratio: ${(listTheirs.wall / listOurs.wall).toFixed(1)}x faster (target >= 3x)`);
  console.log(`update p50/p99 at 10 services: ${little.p50.toFixed(3)} / ${little.p99.toFixed(3)} ms`);
  console.log(`update p50/p99 at ${SERVICES} services: ${big.p50.toFixed(3)} / ${big.p99.toFixed(3)} ms`);
  console.log(`update ratio (large/small p50): ${(big.p50 / little.p50).toFixed(2)} (target <= 1.2)`);

  await ipvs.close();
  await small.close();
  for (const ns of [a, b, c]) sh('ip', ['netns', 'del', ns]);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
