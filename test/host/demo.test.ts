// `npm run demo` as a user runs it: a child process whose printed outcome
// (who answered each Service before and after a pod is deleted) is checked,
// and whose leftovers are looked for with the system's own tools afterwards:
// network namespaces (`ip netns list`), links (`ip -o link`), processes
// (/proc/*/cmdline), nftables tables (`nft list tables`), files (the
// temporary directory, kubectl's cache in ~/.kube). Also interrupted midway
// (Ctrl-C to the process group, SIGTERM to the demo), run without root, and
// asked for a mode this build cannot show.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { join } from 'node:path';

import { sh } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const ENTRY = ['--import', 'tsx', join(ROOT, 'scripts/demo/main.ts')];
const PODS = ['nginx-1', 'nginx-2', 'nginx-3'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The demo's own process id (the node process running main.ts). */
  pid: number;
}

interface RunOptions {
  /** `npm run demo -- ARGS` instead of node running the entry directly. */
  npm?: boolean;
  /** Runs as this uid/gid through setpriv. */
  user?: number;
  /** Called with each stdout line as it comes; may signal the child. */
  onLine?: (line: string, signal: (s: NodeJS.Signals, group: boolean) => void) => void;
}

function runDemo(args: string[], o: RunOptions = {}): Promise<Run> {
  const [cmd, argv] = o.npm === true ? ['npm', ['run', 'demo', '--', ...args]]
    : o.user !== undefined ? ['setpriv', [`--reuid=${o.user}`, `--regid=${o.user}`, '--clear-groups', process.execPath, ...ENTRY, ...args]]
      : [process.execPath, [...ENTRY, ...args]];
  // A process group of its own, so a test can send what a terminal's Ctrl-C sends.
  const child = spawn(cmd, argv as string[], { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const signal = (s: NodeJS.Signals, group: boolean): void => {
    const pid = group ? -child.pid! : demoPid(stdout) ?? child.pid!;
    try { process.kill(pid, s); } catch { /* already gone */ }
  };
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) o.onLine?.(l, signal);
  });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  // Killed by a signal (npm, on Ctrl-C): 128 + its number, as a shell reports it.
  return new Promise((resolve) => child.on('close', (code, sig) => resolve({
    code: code ?? (sig !== null ? 128 + constants.signals[sig] : null), stdout, stderr, pid: demoPid(stdout) ?? child.pid!,
  })));
}

/** The demo's pid, from its namespace names (dpdemo-PID-node). */
function demoPid(stdout: string): number | undefined {
  const m = /dpdemo-(\d+)-node/.exec(stdout);
  return m === null ? undefined : Number(m[1]);
}

/** Who answered each service in one round: service -> pod -> connections. */
type Round = Map<string, Map<string, number>>;

/** The rounds of traffic the demo printed ("nginx-service  10 connections -> nginx-2 x10"), in order. */
function rounds(stdout: string): Round[] {
  const out: Round[] = [];
  let round: Round = new Map();
  for (const m of stdout.matchAll(/^ +(nginx-\S+) +(\d+) connections -> (.*)$/gm)) {
    const who = new Map([...m[3]!.matchAll(/(\S+) x(\d+)/g)].map((p) => [p[1]!, Number(p[2])]));
    assert.equal([...who.values()].reduce((a, b) => a + b, 0), Number(m[2]), m[0]);
    if (round.has(m[1]!)) { out.push(round); round = new Map(); }
    round.set(m[1]!, who);
  }
  if (round.size > 0) out.push(round);
  return out;
}

const pods = (who: Map<string, number> | undefined): string[] => [...(who?.keys() ?? [])].sort();

/** What a run with pid `pid` left behind: one line per leftover. */
function leftovers(pid: number, stdout: string): string[] {
  const found: string[] = [];
  const prefix = `dpdemo-${pid}-`;
  for (const ns of sh('ip', ['netns', 'list']).split('\n')) if (ns.startsWith(prefix)) found.push(`netns ${ns}`);
  for (const l of sh('ip', ['-o', 'link']).split('\n')) if (l.includes(` dpd${pid}@`) || l.includes(` dpd${pid}:`)) found.push(`link ${l}`);
  const dir = /kubeconfig +(\/\S+)\/kubeconfig/.exec(stdout)?.[1];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '); } catch { continue; }
    if (cmdline.includes(prefix) || (dir !== undefined && cmdline.includes(dir))) found.push(`process ${p}: ${cmdline}`);
  }
  if (dir !== undefined && existsSync(dir)) found.push(`directory ${dir}`);
  const api = /API server +http:\/\/([\d.]+):(\d+)/.exec(stdout);
  if (api !== null) {
    for (const sub of ['discovery', 'http']) {
      const cache = join(homedir(), '.kube/cache', sub, `${api[1]}_${api[2]}`);
      if (existsSync(cache)) found.push(`kubectl cache ${cache}`);
    }
  }
  for (const t of sh('nft', ['list', 'tables']).split('\n')) if (t.includes('dataplane-proxy')) found.push(`root namespace: ${t}`);
  return found;
}

describe('npm run demo', function () {
  this.timeout(120_000);

  it('spreads the twin over the three pods, keeps nginx-service on one, moves both off the deleted pod, exits 0 and leaves nothing', async () => {
    const r = await runDemo([], { npm: true });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [before, after, more] = rounds(r.stdout);
    assert.ok(before !== undefined && after !== undefined && more === undefined, r.stdout);
    // Before: the twin reached every pod (30 random picks miss one of 3 with odds of 1 in 60,000).
    assert.deepEqual(pods(before.get('nginx-no-affinity')), PODS, r.stdout);
    // nginx-service: all 10 connections to one pod, and that is the pod deleted.
    const [stuck, ...others] = pods(before.get('nginx-service'));
    assert.ok(stuck !== undefined && others.length === 0, r.stdout);
    assert.match(r.stdout, new RegExp(`delete pod ${stuck}\\n`));
    const left = PODS.filter((p) => p !== stuck);
    // After: the twin spreads over the two pods left; nginx-service sticks to one of them.
    assert.deepEqual(pods(after.get('nginx-no-affinity')), left, r.stdout);
    const stuckAfter = pods(after.get('nginx-service'));
    assert.equal(stuckAfter.length, 1, r.stdout);
    assert.ok(left.includes(stuckAfter[0]!), r.stdout);
    // It showed the ruleset: the sticky service's chain with its affinity sets, the twin's endpoint map.
    assert.match(r.stdout, /chain service-default\/nginx-service\/tcp\/http \{\n.*\n.*update @affinity-default\/nginx-service\/tcp\/http__/);
    assert.match(r.stdout, /map service-default\/nginx-no-affinity\/tcp\/http \{[^}]*elements = \{ 0 : 10\.244\.1\.\d+ \. 80, 1 : /);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('Ctrl-C (SIGINT to the process group) once the proxy runs: stops, removes everything, exits 130', async () => {
    const r = await runDemo([], { npm: true, onLine: (l, signal) => { if (/first full sync was done/.test(l)) signal('SIGINT', true); } });
    assert.match(r.stdout, /SIGINT: stopping/, r.stdout);
    assert.doesNotMatch(r.stdout, /FAILED/);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('Ctrl-C while kubectl deletes the pod (kubectl, the proxy and the cluster all busy): stops, removes everything, exits 130', async () => {
    const r = await runDemo([], { npm: true, onLine: (l, signal) => { if (/ delete pod nginx-\d$/.test(l)) signal('SIGINT', true); } });
    assert.match(r.stdout, /delete pod nginx-\d\n(.*\n)*.*SIGINT: stopping/, r.stdout);
    assert.doesNotMatch(r.stdout, /FAILED/);
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('SIGTERM to the demo while the pods are being created: stops, removes everything, exits 143', async () => {
    const r = await runDemo([], { onLine: (l, signal) => { if (/dpdemo-\d+-node +the node/.test(l)) signal('SIGTERM', false); } });
    assert.match(r.stdout, /SIGTERM: stopping/, r.stdout);
    assert.equal(r.code, 143, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('without root: says it needs root and how, exits 2, creates nothing', async () => {
    const r = await runDemo([], { user: 65534 });
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /needs:\n- root: .*sudo npm run demo/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });

  it('--proxy-mode=ipvs: says what IPVS mode needs (on this host: a kernel with IPVS, the VM harness), exits 2, creates nothing', async () => {
    const r = await runDemo(['--proxy-mode=ipvs']);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /--proxy-mode=ipvs needs:\n- /);
    assert.match(r.stdout, /scripts\/demo\/mode-ipvs\.ts/);
    if (!existsSync('/proc/net/ip_vs')) assert.match(r.stdout, /a kernel with IPVS .*bash scripts\/vm\/run\.sh npm run demo -- --proxy-mode=ipvs/);
    assert.deepEqual(leftovers(r.pid, r.stdout), []);
  });
});
