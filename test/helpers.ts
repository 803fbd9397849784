// Shared by the privileged suites: throwaway network namespaces and the
// real command-line tools as oracles.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

let counter = 0;

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `ip -n NS -j ...` parsed. */
export function ipJson<T = unknown>(ns: string, ...args: string[]): T {
  return JSON.parse(sh('ip', ['-n', ns, '-j', ...args]) || '[]') as T;
}

/** A fresh named network namespace; call the returned function to delete it. */
export function makeNetns(): { name: string; remove: () => void } {
  const name = `dp-${process.pid}-${++counter}`;
  sh('ip', ['netns', 'add', name]);
  return { name, remove: () => { try { sh('ip', ['netns', 'del', name]); } catch { /* already gone */ } } };
}

/** Registers a fresh netns per test in the current describe block; read `.name` inside tests. */
export function freshNetnsPerTest(): { name: string } {
  const current = { name: '' };
  let ns: ReturnType<typeof makeNetns> | undefined;
  beforeEach(() => { ns = makeNetns(); current.name = ns.name; });
  afterEach(() => { ns?.remove(); ns = undefined; });
  return current;
}

/** Runs the `dataplane` command from the sources (dist/cli/main.js once built) with ARGS; never throws. */
export function dataplaneCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
