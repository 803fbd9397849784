// dataplane-proxy as an operator runs it: the package's binary
// (dist/proxy/main.js, built by `npm ci`), started inside the node's
// network namespace with kube-proxy's flags. Its JSON log lines (stderr)
// go to a file and are watched for syncs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { Cleanup } from './cleanup.js';
import { stopProcess } from './processes.js';

export const ROOT = join(import.meta.dirname, '../..');

/** One pino log line of the proxy. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [k: string]: unknown;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * How to run the binary: dist/proxy/main.js when it is at least as new as
 * every file under src/, else the same entry from source through tsx
 * (with `stale` set, so the demo can say so).
 */
export function proxyEntry(): { argv: string[]; stale: boolean } {
  const bin = join(ROOT, 'dist/proxy/main.js');
  if (existsSync(bin) && statSync(bin).mtimeMs >= newestMtime(join(ROOT, 'src'))) return { argv: [bin], stale: false };
  return { argv: ['--import', 'tsx', join(ROOT, 'src/proxy/main.ts')], stale: true };
}

/** The running proxy. */
export class ProxyProcess {
  readonly logs: LogLine[] = [];
  readonly #other: string[] = [];
  #waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess, logPath: string) {
    const file = createWriteStream(logPath);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      file.write(`${line}\n`);
      let l: LogLine;
      try {
        l = JSON.parse(line) as LogLine;
      } catch {
        this.#other.push(line);
        return;
      }
      this.logs.push(l);
      this.#waiters = this.#waiters.filter((w) => !(w.pred(l) && (w.resolve(l), true)));
    }).on('close', () => file.end());
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `dataplane-proxy FLAGS` in `ns`, its stderr logged to `logPath`. */
  static start(ns: string, entry: string[], flags: string[], logPath: string, cleanup: Cleanup): ProxyProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...entry, ...flags], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    child.on('error', () => {});
    const p = new ProxyProcess(child, logPath);
    cleanup.add('dataplane-proxy', () => stopProcess(child));
    return p;
  }

  /** The first log line from index `since` on that matches `pred`; rejects on timeout or exit. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, since = 0): Promise<LogLine> {
    const seen = this.logs.slice(since).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        const last = [...this.logs.slice(-5).map((l) => JSON.stringify(l)), ...this.#other.slice(-5)].join('\n  ');
        reject(new Error(`dataplane-proxy ${why}; its last log lines:\n  ${last}`));
      };
      const timer = setTimeout(() => fail(`logged nothing expected in ${timeoutMs} ms`), timeoutMs);
      this.#waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void this.exited.then((code) => { clearTimeout(timer); fail(`exited (${code})`); });
    });
  }
}
