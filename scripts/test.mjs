#!/usr/bin/env node
// Runs every test suite this machine supports and prints one closing line
// "N passed, N failed, N skipped" for the whole run.
//
//   native  C++ unit tests of the netlink core (g++)           always
//   unit    TypeScript, no privilege                           always
//   host    the real host kernel, a fresh netns per test       needs root + iproute2
//   vm      real IPVS: a Debian kernel under qemu              needs qemu + busybox-static
//
// Usage: node scripts/test.mjs [native|unit|host|vm ...]
// With CI=true a privileged suite that cannot run is a failure, not a skip.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const mocha = ['node_modules/mocha/bin/mocha.js', '--config', '.mocharc.json'];

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function hostSupport() {
  if (process.getuid?.() !== 0) return 'needs root (run as root, or in a user namespace with CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  if (!have('ip')) return 'needs iproute2 (apt-get install iproute2)';
  const probe = `dp-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status !== 0) return 'cannot create a network namespace (`ip netns add` failed)';
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return null;
}

function vmSupport() {
  const missing = ['qemu-system-x86_64', 'busybox', 'xz'].filter((c) => !have(c) && !existsSync(`/bin/${c}`));
  if (missing.length > 0) {
    return `needs ${missing.join(', ')} (apt-get install --no-install-recommends qemu-system-x86 busybox-static xz-utils)`;
  }
  return null;
}

const suites = {
  native: { run: () => ['bash', ['scripts/native-test.sh']] },
  unit: { run: () => ['node', [...mocha, 'test/unit/**/*.test.ts']] },
  host: { privileged: true, support: hostSupport, run: () => ['node', [...mocha, 'test/host/**/*.test.ts']] },
  vm: {
    privileged: true,
    support: vmSupport,
    run: () => ['bash', ['scripts/vm/run.sh', 'node', ...mocha, 'test/vm/**/*.test.ts']],
  },
};

function runSuite(name) {
  const [cmd, args] = suites[name].run();
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATAPLANE_SUITE: name } });
    const stats = [];
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = /##dataplane-stats (\{.*\})\s*$/.exec(line);
        if (m) stats.push(JSON.parse(m[1]));
      }
    });
    child.on('close', (code, signal) => {
      const total = stats.reduce((t, s) => ({ passes: t.passes + s.passes, failures: t.failures + s.failures, pending: t.pending + s.pending }),
        { passes: 0, failures: 0, pending: 0 });
      if (code !== 0 && total.failures === 0) {
        console.log(`[test] suite ${name} exited with ${signal ?? code} without reporting a failure: counted as one`);
        total.failures += 1;
      }
      if (stats.length === 0 && code === 0) {
        console.log(`[test] suite ${name} reported no results: counted as a failure`);
        total.failures += 1;
      }
      total.seconds = (Date.now() - started) / 1000;
      resolve(total);
    });
  });
}

const wanted = process.argv.slice(2);
for (const w of wanted) if (!(w in suites)) { console.error(`unknown suite ${w}; known: ${Object.keys(suites).join(' ')}`); process.exit(2); }
const order = wanted.length > 0 ? wanted : Object.keys(suites);
const summary = [];
let passed = 0, failed = 0, skipped = 0;
for (const name of order) {
  const s = suites[name];
  const why = s.support?.() ?? null;
  if (why !== null) {
    if (ci) {
      console.log(`[test] suite ${name} cannot run here (${why}): CI=true, so this is a failure`);
      failed += 1;
      summary.push(`${name}: FAILED to run (${why})`);
    } else {
      console.log(`[test] skipping suite ${name}: ${why}`);
      skipped += 1;
      summary.push(`${name}: skipped (${why})`);
    }
    continue;
  }
  console.log(`\n[test] ===== suite ${name} =====`);
  const r = await runSuite(name);
  passed += r.passes; failed += r.failures; skipped += r.pending;
  summary.push(`${name}: ${r.passes} passed, ${r.failures} failed, ${r.pending} skipped in ${r.seconds.toFixed(1)} s`);
}
console.log('\n[test] summary');
for (const line of summary) console.log(`[test]   ${line}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
