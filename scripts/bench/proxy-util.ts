// What the proxy benchmarks share: command-line options, percentiles,
// network namespaces of their own, and `nft -f` timed with its CPU time.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `--name VALUE` from the command line, else `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

/** A comma-separated list of numbers option. */
export function numbers(name: string, def: string): number[] {
  return arg(name, def).split(',').filter(Boolean).map(Number);
}

/** The p-th percentile (nearest rank) of `xs`. */
export const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** Milliseconds, two decimals below 10. */
export const ms = (t: number): string => (t < 10 ? t.toFixed(2) : t.toFixed(0));
export const mib = (b: number): string => (b / 2 ** 20).toFixed(0);

/** p50 and p99 of some latencies, with the p50 of their CPU times when measured. */
export interface Latency { p50: number; p99: number; cpu50?: number }

export const latency = (xs: readonly number[], cpu?: readonly number[]): Latency =>
  ({ p50: pct(xs, 50), p99: pct(xs, 99), ...(cpu !== undefined ? { cpu50: pct(cpu, 50) } : {}) });

export const showLatency = (l: Latency): string => `p50 ${ms(l.p50)} ms p99 ${ms(l.p99)} ms${l.cpu50 !== undefined ? ` (CPU p50 ${ms(l.cpu50)} ms)` : ''}`;

/** Absolute wall-clock milliseconds with sub-millisecond resolution, comparable across processes (Date.now's epoch). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

let nsCount = 0;

/** A fresh network namespace (lo up) for `f`, deleted after it. */
export function withNetns<T>(f: (ns: string) => Promise<T>): Promise<T> {
  const ns = `dp-bench-${process.pid}-${++nsCount}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  return f(ns).finally(() => execFileSync('ip', ['netns', 'del', ns]));
}

// Runs a command and reports its CPU time (user + system of the child, from getrusage(RUSAGE_CHILDREN)).
const RUSAGE = 'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE)\n' +
  'sys.stderr.write(r.stderr.decode()[:2000])\nu = resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(u.ru_utime + u.ru_stime)\nsys.exit(r.returncode)';

/** `nft -f` of these lines in `ns`: wall milliseconds, and with `cpu` its CPU milliseconds (through a small python wrapper). */
export function nftFile(ns: string, dir: string, lines: readonly string[], cpu = false): { wall: number; cpu: number } {
  const file = join(dir, 'rules.nft');
  writeFileSync(file, lines.join('\n') + '\n');
  const cmd = ['ip', 'netns', 'exec', ns, 'nft', '-f', file];
  const t = performance.now();
  const r = cpu ? spawnSync('python3', ['-c', RUSAGE, ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`nft -f failed: ${r.stderr.slice(0, 2000)}`);
  return { wall, cpu: cpu ? Number(r.stdout) * 1000 : NaN };
}
