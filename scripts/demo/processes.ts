// Processes the demo runs inside its namespaces: the pods' HTTP servers, the
// client, and dataplane-proxy itself. Each is started with
// `ip netns exec NS node ...`, registered with the cleanup, and stopped
// with SIGTERM (SIGKILL after 3 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { Cleanup } from './cleanup.js';

const HERE = import.meta.dirname;

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts `node ARGS` inside `ns` with piped stdio and registers its stop. */
export function spawnInNetns(ns: string, args: string[], cleanup: Cleanup, what: string): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {});
  const stop = cleanup.add(what, () => stopProcess(child));
  return { child, stop };
}

/** Resolves with the first stdout line, or rejects when the process exits first. */
export function firstLine(child: ChildProcess, what: string): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => { lines.close(); resolve(line); });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${stderr.trim()}`)));
  });
}

/** A pod's HTTP server (pod-server.mjs), answering its name on `port`. */
export async function startPodServer(ns: string, name: string, port: number, cleanup: Cleanup): Promise<() => Promise<void>> {
  const { child, stop } = spawnInNetns(ns, [join(HERE, 'pod-server.mjs'), name, String(port), ns], cleanup, `${name}'s HTTP server`);
  await firstLine(child, `${name}'s HTTP server`);
  return stop;
}

/** The client (client.mjs): HTTP GETs from inside the client namespace. */
export class Client {
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (answers: string[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { id: number; answers: string[] };
      this.#waiting.get(m.id)?.resolve(m.answers);
      this.#waiting.delete(m.id);
    });
    child.once('exit', () => {
      for (const w of this.#waiting.values()) w.reject(new Error('the client exited'));
      this.#waiting.clear();
    });
  }

  static async start(ns: string, cleanup: Cleanup): Promise<Client> {
    const { child } = spawnInNetns(ns, [join(HERE, 'client.mjs'), ns], cleanup, 'the client');
    await firstLine(child, 'the client');
    return new Client(child);
  }

  /** `count` GETs of `url`, each on a new connection: who answered each (or "error: CODE"). */
  get(url: string, count: number, timeoutMs = 3000): Promise<string[]> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, url, count, timeoutMs })}\n`);
    });
  }
}
