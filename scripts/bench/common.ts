// What the benches share: their numeric options, and what a step cost, ours
// (this process) and a peer tool's (a shell snippet): wall time and
// user/system CPU, printed the same way.
import { execFileSync } from 'node:child_process';

/** `--name N` from the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Milliseconds: wall time, user CPU, system CPU. */
export interface Cost { wall: number; user: number; sys: number }

/** Times an async step of this process: wall, and this process's CPU (process.cpuUsage). */
export async function ours(fn: () => Promise<unknown>): Promise<Cost> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wall, user: c.user / 1000, sys: c.system / 1000 };
}

/** Runs a shell snippet: its wall time, and its children's CPU from bash's `times`. */
export function theirs(script: string): Cost {
  const t0 = process.hrtime.bigint();
  const out = execFileSync('bash', ['-c', `${script}\ntimes`], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const lines = out.trim().split('\n');
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[lines.length - 1]!);
  const ms = (min: string, s: string) => (Number(min) * 60 + Number(s)) * 1000;
  return { wall, user: m ? ms(m[1]!, m[2]!) : NaN, sys: m ? ms(m[3]!, m[4]!) : NaN };
}

/** '12.90 s wall (user 8.00 s, sys 7.10 s)' */
export const fmt = (c: Cost): string => `${(c.wall / 1000).toFixed(2)} s wall (user ${(c.user / 1000).toFixed(2)} s, sys ${(c.sys / 1000).toFixed(2)} s)`;

/** The p-th percentile of a sorted list. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
