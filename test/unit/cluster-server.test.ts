// The test cluster as a product part: the dataplane-cluster command with a
// state file across restarts, binding to a chosen address, discovery and
// OpenAPI documents, and the library's root import staying free of it.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startTestCluster } from '../../src/testing/index.js';
import { eventually, k8s, raw, runKubectl } from './cluster-fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');

function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/testing/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return eventually(() => {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    return m === null ? undefined : { child, url: m[1]!, out: () => out };
  }, 15_000, 'dataplane-cluster to listen');
}

function stopCli(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('test cluster: server, command and packaging', function () {
  this.timeout(30_000);
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dp-cluster-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dataplane-cluster prints its URL, writes a kubeconfig kubectl uses, and keeps state across a restart on the same port', async () => {
    const kubeconfig = join(dir, 'cli.kubeconfig');
    const state = join(dir, 'state.json');
    const first = await startCli(['--port', '0', '--kubeconfig', kubeconfig, '--state', state]);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = new URL(first.url).port;
    assert.match(readFileSync(kubeconfig, 'utf8'), /insecure-skip-tls-verify: true/);
    const cache = join(dir, 'cache');
    const applied = await runKubectl(['--kubeconfig', kubeconfig, 'apply', '-f', '-'], cache,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: persisted\nspec:\n  ports:\n  - port: 80\n');
    assert.equal(applied.stdout.trim(), 'service/persisted created', applied.stderr);
    const before = JSON.parse((await runKubectl(['--kubeconfig', kubeconfig, 'get', 'service', 'persisted', '-o', 'json'], cache)).stdout);
    assert.equal(await stopCli(first.child), 0);
    assert.match(first.out(), /SIGTERM: stopping/);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    assert.equal(saved.kind, 'DataplaneTestClusterState');

    const second = await startCli(['--port', port, '--kubeconfig', kubeconfig, '--state', state]);
    assert.equal(second.url, first.url);
    const after = JSON.parse((await runKubectl(['--kubeconfig', kubeconfig, 'get', 'service', 'persisted', '-o', 'json'], cache)).stdout);
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.spec.clusterIP, before.spec.clusterIP);
    const clash = await runKubectl(['--kubeconfig', kubeconfig, 'apply', '-f', '-'], cache,
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: clash\nspec:\n  clusterIP: ${before.spec.clusterIP}\n  ports:\n  - port: 80\n`);
    assert.match(clash.stderr, /provided IP is already allocated/, 'the allocator remembers the restored service');
    const next = await runKubectl(['--kubeconfig', kubeconfig, 'apply', '-f', '-'], cache, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: later\n');
    assert.equal(next.code, 0, next.stderr);
    const later = JSON.parse((await runKubectl(['--kubeconfig', kubeconfig, 'get', 'configmap', 'later', '-o', 'json'], cache)).stdout);
    assert.ok(Number(later.metadata.resourceVersion) > Number(before.metadata.resourceVersion), 'resourceVersions continue');
    assert.equal(await stopCli(second.child), 0);
  });

  it('dataplane-cluster --help and bad flags', async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/testing/cli.ts'), ...args], { cwd: ROOT });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { out += d; });
      c.on('exit', (code) => resolve({ code, out }));
    });
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /There is no authentication/);
    const bad = await run(['--port', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /dataplane-cluster: --port: not a port: x/);
  });

  it('binds the address it is given, and only that one', async () => {
    const c = await startTestCluster({ host: '127.0.0.2' });
    try {
      assert.match(c.url, /^http:\/\/127\.0\.0\.2:\d+$/);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(c.kubeconfigPath);
      const ns = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      assert.ok(ns.items.some((n) => n.metadata!.name === 'default'));
      await assert.rejects(fetch(`http://127.0.0.1:${c.port}/version`), 'nothing on 127.0.0.1');
      const slice = c.get('EndpointSlice', 'kubernetes')!;
      assert.deepEqual([slice.endpoints[0].addresses, slice.ports[0].port], [['127.0.0.2'], c.port], 'the kubernetes service points at the server');
    } finally {
      await c.stop();
    }
  });

  it('keeps objects, revisions and allocations in a state file across stop and start', async () => {
    const stateFile = join(dir, 'inproc.json');
    const a = await startTestCluster({ stateFile });
    a.createNode({ name: 'n', internalIPs: ['192.0.2.9'] });
    const svc = a.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', selector: { app: 's' }, ports: [{ port: 80 }] } });
    a.createPod({ name: 'p', labels: { app: 's' }, nodeName: 'n', ips: ['10.244.0.5'] });
    await a.settle();
    const rv = a.api.store.rv;
    await a.stop();
    const b = await startTestCluster({ stateFile });
    try {
      assert.equal(b.api.store.rv, rv + 1, 'one write since: the kubernetes slice points at the new port');
      assert.deepEqual(b.get('Service', 's')!.spec, svc.spec);
      assert.throws(() => b.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 't' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: svc.spec.ports[0].nodePort }] } }),
        /provided port is already allocated/);
      assert.equal(b.list('EndpointSlice').filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 's')[0]!.endpoints[0].addresses[0], '10.244.0.5');
      const old = await raw(b, 'GET', `/api/v1/namespaces/default/services?watch=true&resourceVersion=${rv - 5}&timeoutSeconds=1`);
      const first = typeof old.body === 'string' ? JSON.parse(old.body.split('\n')[0]!) : old.body;
      assert.equal(first.object.reason, 'Expired', 'no change history survives a restart');
    } finally {
      await b.stop();
    }
    writeFileSync(stateFile, '{"kind":"Other"}');
    await assert.rejects(startTestCluster({ stateFile }), /not a dataplane test cluster state file/);
  });

  it('serves discovery (legacy and aggregated) and OpenAPI v3 with the fieldValidation parameter', async () => {
    const c = await startTestCluster();
    try {
      const api = await raw(c, 'GET', '/api');
      assert.deepEqual(api.body.versions, ['v1']);
      const agg = await raw(c, 'GET', '/apis', undefined, 'application/json', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
      assert.equal(agg.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      assert.deepEqual(agg.body.items.map((i: any) => i.metadata.name), ['discovery.k8s.io']);
      assert.deepEqual(agg.body.items[0].versions[0].resources[0].responseKind, { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' });
      const group = await raw(c, 'GET', '/apis/discovery.k8s.io');
      assert.equal(group.body.preferredVersion.groupVersion, 'discovery.k8s.io/v1');
      const v1 = await raw(c, 'GET', '/api/v1');
      assert.ok(v1.body.resources.some((r: any) => r.name === 'services/status' && r.verbs.join() === 'get,patch,update'));
      const root = await raw(c, 'GET', '/openapi/v3');
      const doc = await raw(c, 'GET', root.body.paths['api/v1'].serverRelativeURL);
      const patch = doc.body.paths['/api/v1/namespaces/{namespace}/services/{name}'].patch;
      assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Service', version: 'v1' });
      assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
      const ports = doc.body.components.schemas['io.k8s.api.core.v1.ServiceSpec'].properties.ports;
      assert.deepEqual([ports['x-kubernetes-patch-merge-key'], ports['x-kubernetes-patch-strategy'], ports['x-kubernetes-list-map-keys']], ['port', 'merge', ['port', 'protocol']]);
      assert.equal((await raw(c, 'GET', '/openapi/v2')).status, 404);
      assert.equal((await raw(c, 'GET', '/nothing')).body, '404 page not found\n');
    } finally {
      await c.stop();
    }
  });

  it('the library\'s root import loads neither dataplane/testing nor @kubernetes/client-node', async () => {
    // A resolve hook reports every module the child resolves while importing the root.
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(hooks, `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}
`);
    const main = join(dir, 'main.mjs');
    writeFileSync(main, `import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on('message', (u) => seen.push(u));
register(${JSON.stringify(new URL(`file://${hooks}`).href)}, { data: { port: port2 }, transferList: [port2] });
const root = await import(${JSON.stringify(new URL(`file://${join(ROOT, 'src/index.ts')}`).href)});
await new Promise((r) => setTimeout(r, 100));
port1.close();
console.log(JSON.stringify({ exports: Object.keys(root).length, seen }));
`);
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', main], { cwd: ROOT });
      let s = '';
      c.stdout.on('data', (d) => { s += d; });
      c.stderr.on('data', (d) => { s += d; });
      c.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(s))));
    });
    const { exports, seen } = JSON.parse(out.trim().split('\n').pop()!) as { exports: number; seen: string[] };
    assert.ok(exports > 10);
    assert.ok(seen.some((u) => u.endsWith('/src/index.ts')), 'the hook saw the root');
    assert.ok(seen.some((u) => u.endsWith('/src/rtnl.ts')), 'and what it imports');
    assert.deepEqual(seen.filter((u) => u.includes('/src/testing/') || u.includes('@kubernetes') || u.includes('/src/proxy/')), []);
  });
});
