// Benchmark (not a test): the commit half of scripts/bench/nft.mjs, with CPU
// times split into user and system (kernel) time, so runs on a busy machine
// can be compared. Each tool gets a fresh network namespace.
//
//   npm run build:ts && node scripts/bench/nft-commit.mjs [SERVICES=1000] [WHO=both] [CHANGES=0]
//     WHO: ours | nft | both
//     CHANGES: one-service commits on the populated table afterwards (ours, and nft -f of each)
//   BENCH_SHAPE=rules ...   endpoints picked by numgen rules instead of a verdict map per service
//   BENCH_PLAIN=1 ...       commit the plain batch (transaction order, nft's encoding), as before plan.ts
//
// Needs root.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Nftables, Transaction } from '../../dist/index.js';
import { base, nftText, service, SHAPE } from './nft-shape.mjs';

const SERVICES = Number(process.argv[2] ?? 1000);
const WHO = process.argv[3] ?? 'both';
const CHANGES = Number(process.argv[4] ?? 0);

const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
const now = () => process.hrtime.bigint();
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const dir = mkdtempSync(join(tmpdir(), 'dp-bench-'));
const made = [];
const netns = (name) => { sh('ip', ['netns', 'add', name]); made.push(name); return name; };

try {
  console.log(`${SERVICES} services x 2 endpoints (${SHAPE === 'rules' ? 'numgen rules' : 'numgen vmap per service'})`);
  let ourText;
  if (WHO === 'ours' || WHO === 'both') {
    const ns = netns(`dp-bc-ours-${process.pid}`);
    const handle = await Nftables.open({ netns: ns });
    const c0 = process.cpuUsage();
    let t0 = now();
    const tx = new Transaction();
    if (process.env.BENCH_PLAIN === '1') { const plain = tx.encode.bind(tx); tx.encode = () => plain(); }
    base(tx);
    for (let i = 0; i < SERVICES; i++) service(tx, i);
    const build = ms(t0);
    const c1 = process.cpuUsage(c0);
    t0 = now();
    await handle.commit(tx);
    const commit = ms(t0);
    const c2 = process.cpuUsage(c0);
    const cpu = (u) => (u / 1e3).toFixed(0);
    console.log(`ours:   build ${build.toFixed(0)} ms wall (cpu ${cpu(c1.user + c1.system)}), commit ${commit.toFixed(0)} ms wall (user ${cpu(c2.user - c1.user)}, sys ${cpu(c2.system - c1.system)}); total cpu ${cpu(c2.user + c2.system)} ms`);
    ourText = sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']);
    if (CHANGES > 0) {
      const times = [];
      const cc0 = process.cpuUsage();
      for (let k = 0; k < CHANGES; k++) {
        const one = new Transaction();
        if (process.env.BENCH_PLAIN === '1') { const plain = one.encode.bind(one); one.encode = () => plain(); }
        service(one, SERVICES + k);
        const t = now();
        await handle.commit(one);
        times.push(ms(t));
      }
      const cc = process.cpuUsage(cc0);
      console.log(`ours:   one-service change x${CHANGES}: p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms; per change user ${(cc.user / 1e3 / CHANGES).toFixed(2)} ms, sys ${(cc.system / 1e3 / CHANGES).toFixed(2)} ms`);
    }
    await handle.close();
  }
  if (WHO === 'nft' || WHO === 'both') {
    const ns = netns(`dp-bc-nft-${process.pid}`);
    const file = join(dir, 'ruleset.nft');
    writeFileSync(file, nftText(SERVICES));
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'ip', 'netns', 'exec', ns, 'nft', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
    const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    console.log(`nft -f: ${(wall * 1e3).toFixed(0)} ms wall; user ${(user * 1e3).toFixed(0)} ms, sys ${(sys * 1e3).toFixed(0)} ms`);
    if (ourText !== undefined) {
      const nftOut = sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']);
      console.log(`rulesets identical in nft list ruleset (modulo __mapN): ${ourText.replace(/__map\d+/g, '') === nftOut.replace(/__map\d+/g, '')}`);
    }
    if (CHANGES > 0) {
      const times = [];
      let user = 0;
      let sys = 0;
      for (let k = 0; k < CHANGES; k++) {
        const one = new Transaction();
        service(one, SERVICES + k);
        const f = join(dir, `one-${k}.nft`);
        writeFileSync(f, one.toString());
        const t = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'ip', 'netns', 'exec', ns, 'nft', '-f', f], { encoding: 'utf8' });
        if (t.status !== 0) throw new Error(`nft -f failed: ${t.stderr}`);
        const [w, u, sy] = t.stderr.trim().split('\n').pop().split(' ').map(Number);
        times.push(w * 1e3);
        user += u * 1e3;
        sys += sy * 1e3;
      }
      console.log(`nft -f: one-service change x${CHANGES}: p50 ${pct(times, 50).toFixed(0)} ms, p99 ${pct(times, 99).toFixed(0)} ms (process wall, 10 ms resolution); per change user ${(user / CHANGES).toFixed(1)} ms, sys ${(sys / CHANGES).toFixed(1)} ms`);
    }
  }
} finally {
  for (const ns of made) sh('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
