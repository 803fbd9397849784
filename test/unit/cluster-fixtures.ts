// Shared by the test-cluster suites: a cluster per describe, the real
// client-node pointed at it, and the real kubectl run against it.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as k8s from '@kubernetes/client-node';

import { startTestCluster, type TestCluster, type TestClusterOptions } from '../../src/testing/index.js';

export { k8s };

/** kubectl v1.32 from the machine image, else Debian's kubernetes-client. */
export const KUBECTL = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : 'kubectl';

/** kubectl's minor version (32 for v1.32.4), or 0 when there is none. */
export function kubectlMinor(): number {
  try {
    const v = JSON.parse(execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }));
    return Number(String(v.clientVersion.minor).replace(/\D.*$/, ''));
  } catch {
    return 0;
  }
}

export interface Fixture {
  cluster: TestCluster;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  discovery: k8s.DiscoveryV1Api;
  /** kubectl's discovery cache directory for this cluster. */
  cacheDir: string;
  /** Runs kubectl against the cluster; never throws, returns the exit code and both outputs. */
  kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** One cluster for the describe block it is called in (before/after hooks). */
export function clusterPerDescribe(opts: TestClusterOptions = {}): Fixture {
  const f = {} as Fixture;
  before(async () => {
    f.cluster = await startTestCluster(opts);
    f.kc = new k8s.KubeConfig();
    f.kc.loadFromFile(f.cluster.kubeconfigPath);
    f.core = f.kc.makeApiClient(k8s.CoreV1Api);
    f.discovery = f.kc.makeApiClient(k8s.DiscoveryV1Api);
    f.cacheDir = mkdtempSync(join(tmpdir(), 'dp-kubectl-cache-'));
    f.kubectl = (args, stdin) => runKubectl(['--kubeconfig', f.cluster.kubeconfigPath, ...args], f.cacheDir, stdin);
  });
  after(async () => {
    await f.cluster?.stop();
    if (f.cacheDir !== undefined) rmSync(f.cacheDir, { recursive: true, force: true });
  });
  return f;
}

/** kubectl with its discovery cache in `cacheDir` (default flags otherwise). */
export function runKubectl(args: string[], cacheDir: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env: { ...process.env, KUBECACHEDIR: cacheDir }, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** The HTTP status and body of a raw request to the cluster. */
export async function raw(cluster: TestCluster, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Type': contentType } : {}) } };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(cluster.url + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls `check` until it returns a value other than undefined (or throws after `ms`). */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The nginx Service of the issue, as YAML. */
export { NGINX_SERVICE } from '../fixtures/nginx-service.js';
