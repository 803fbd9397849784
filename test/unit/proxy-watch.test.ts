// The watch layer against the test cluster over HTTP, through the real
// @kubernetes/client-node: list then watch with handlers that get the
// previous object, bookmarks that spare a relist after a compaction, 410
// Gone -> relist (with the deletions made meanwhile), restart with backoff
// after the API server was gone, kube-proxy's label selector, and the Node
// watched by name.
import assert from 'node:assert/strict';

import { CoreV1Api, type V1Node, type V1Service } from '@kubernetes/client-node';

import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { proxyLabelSelector } from '../../src/proxy/server.js';
import { loadKubeConfig } from '../../src/proxy/watch/client.js';
import { ResilientInformer, type ListPage } from '../../src/proxy/watch/informer.js';
import { ApiRequestError, listConnection, listRaw } from '../../src/proxy/watch/k8s.js';
import { NODES, SERVICES } from '../../src/proxy/watch/resources.js';

interface Seen {
  events: string[];
  synced: number;
}

/**
 * An informer on Services with the proxy's default list (plain JSON GETs);
 * with `pageSize`, its list is that same request wrapped to count each
 * page's objects.
 */
function watchServices(cluster: TestCluster, labelSelector?: string, pageSize?: number): { informer: ResilientInformer<V1Service>; seen: Seen; pages: number[] } {
  const { kc } = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
  const seen: Seen = { events: [], synced: 0 };
  const pages: number[] = [];
  const counted = async (page: ListPage) => {
    const list = await listRaw(await listConnection(kc), SERVICES.path, { limit: page.limit, continue: page._continue, labelSelector });
    pages.push(list.items.length);
    return list;
  };
  const informer = new ResilientInformer<V1Service>(kc, {
    path: SERVICES.path, name: 'services', backoffMs: 100, maxBackoffMs: 400,
    ...(labelSelector !== undefined ? { labelSelector } : {}),
    ...(pageSize !== undefined ? { pageSize, list: counted } : {}),
  }, {
    update: (prev, svc) => seen.events.push(`${prev === undefined ? 'add' : 'update'} ${svc.metadata!.name}${prev !== undefined ? ` ${prev.metadata!.resourceVersion}->${svc.metadata!.resourceVersion}` : ''}`),
    delete: (svc) => seen.events.push(`delete ${svc.metadata!.name}`),
    synced: () => { seen.synced++; },
  });
  return { informer, seen, pages };
}

async function until(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes that are not Services (the watch sees none), an optional bookmark, then a compaction and every watch dropped. */
async function churnAndCompact(cluster: TestCluster, bookmark: boolean): Promise<void> {
  cluster.createNamespace('busy');
  for (let i = 0; i < 5; i++) cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'busy' } });
  if (bookmark) {
    cluster.sendBookmarks();
    await new Promise((r) => setTimeout(r, 200));
  }
  cluster.compact();
  cluster.dropWatches();
}

const svc = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', labels }, spec: { ports: [{ port: 80 }] },
});

describe('proxy: watch layer against the test cluster', function () {
  this.timeout(30_000);
  let cluster: TestCluster;
  let informer: ResilientInformer<V1Service> | undefined;
  beforeEach(async () => { cluster = await startTestCluster({ bookmarkIntervalMs: 3_600_000 }); });
  afterEach(async () => { await informer?.stop(); informer = undefined; await cluster.stop(); });

  it('lists, says synced once, then delivers adds, updates (with the previous object) and deletes', async () => {
    const w = watchServices(cluster);
    informer = w.informer;
    await informer.start();
    assert.equal(informer.synced, true);
    assert.equal(w.seen.synced, 1);
    assert.deepEqual(w.seen.events, ['add kubernetes']);
    const created = cluster.create(svc('web'));
    cluster.apply({ ...svc('web'), metadata: { ...svc('web').metadata, annotations: { a: '1' } } });
    cluster.delete('Service', 'web');
    await until(() => w.seen.events.length === 4);
    const rv = Number(created.metadata.resourceVersion);
    assert.deepEqual(w.seen.events.slice(1), ['add web', `update web ${rv}->${rv + 1}`, 'delete web']);
    assert.equal(w.seen.synced, 1);
    assert.equal(informer.lists, 1);
  });

  it('watches with bookmarks: after a bookmark, a compaction and a dropped watch need no relist', async () => {
    const w = watchServices(cluster);
    informer = w.informer;
    await informer.start();
    await churnAndCompact(cluster, true);
    cluster.create(svc('after'));
    await until(() => w.seen.events.includes('add after'));
    assert.equal(informer.lists, 1, 'resumed from the bookmark\'s resourceVersion');
  });

  it('410 Gone: relists, and delivers what changed meanwhile, deletions included', async () => {
    const w = watchServices(cluster);
    informer = w.informer;
    cluster.create(svc('a'));
    cluster.create(svc('b'));
    await informer.start();
    cluster.compact();
    cluster.expireNextWatches(4);
    cluster.dropWatches();
    cluster.delete('Service', 'a');
    cluster.create(svc('c'));
    await until(() => w.seen.events.includes('delete a') && w.seen.events.includes('add c'));
    assert.ok(informer.lists >= 2);
    assert.equal(w.seen.synced, 1);
  });

  it('lists in pages (limit/continue), and a relist in pages deletes only what is gone from every page', async () => {
    for (const n of ['a', 'b', 'c', 'd']) cluster.create(svc(n));
    const w = watchServices(cluster, undefined, 2);
    informer = w.informer;
    await informer.start();
    assert.deepEqual(w.pages, [2, 2, 1], 'five services (kubernetes too), two a page');
    assert.deepEqual(w.seen.events.sort(), ['add a', 'add b', 'add c', 'add d', 'add kubernetes']);
    assert.equal(informer.lists, 1);
    w.seen.events.length = 0;
    // One watch expired: the rewatch after the drop gets 410, then one relist (each expired watch would be one more).
    cluster.compact();
    cluster.expireNextWatches(1);
    cluster.dropWatches();
    cluster.delete('Service', 'c');
    await until(() => w.seen.events.includes('delete c') && informer!.lists === 2);
    assert.deepEqual(w.pages.slice(3), [2, 2], 'the relist, in pages too');
    assert.deepEqual(w.seen.events, ['delete c'], 'unchanged objects of the relist are not delivered again');
  });

  it('keeps what `keep` leaves of an object and hands that back as previous and to delete; handlers get what `slim` makes (list: client-node\'s typed list)', async () => {
    const { kc } = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
    const core = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    type Slim = { metadata: { name?: string; namespace?: string; resourceVersion?: string }; ports?: number };
    const slimmed = new ResilientInformer<Slim>(kc, {
      path: SERVICES.path, list: (page) => core.listServiceForAllNamespaces(page),
      slim: (o) => ({ metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, resourceVersion: o.metadata?.resourceVersion },
        ports: (o as V1Service).spec?.ports?.length }),
      keep: (s) => ({ metadata: s.metadata }),
    }, {
      update: (prev, s) => seen.push(`${s.metadata.name} ports=${s.ports} previous=${prev === undefined ? '-' : `ports=${prev.ports}`}`),
      delete: (s) => seen.push(`delete ${s.metadata.name} ports=${s.ports}`),
    });
    try {
      await slimmed.start();
      cluster.create(svc('web'));
      cluster.apply({ ...svc('web'), metadata: { ...svc('web').metadata, annotations: { a: '1' } } });
      cluster.delete('Service', 'web');
      await until(() => seen.length === 4);
      assert.deepEqual(seen, ['kubernetes ports=1 previous=-', 'web ports=1 previous=-', 'web ports=1 previous=ports=undefined', 'delete web ports=undefined']);
      assert.deepEqual(slimmed.objects().map((o) => Object.keys(o)), [['metadata']]);
    } finally {
      await slimmed.stop();
    }
  });

  it('restarts with backoff while the API server is gone, and catches up', async () => {
    const w = watchServices(cluster);
    informer = w.informer;
    await informer.start();
    const restarted = cluster.restart(1200);
    await new Promise((r) => setTimeout(r, 100));
    cluster.create(svc('while-down'));
    await restarted;
    await until(() => w.seen.events.includes('add while-down'), 10_000);
    assert.ok(informer.restarts >= 2, `${informer.restarts} restarts`);
  });

  it('a first list that fails (nothing listening) is retried until it succeeds, and only then synced', async () => {
    const down = cluster.restart(1000);
    await new Promise((r) => setTimeout(r, 50));
    const w = watchServices(cluster);
    informer = w.informer;
    await informer.start();
    assert.equal(w.seen.synced, 0);
    assert.equal(informer.synced, false);
    await down;
    await until(() => w.seen.synced === 1);
    assert.ok(informer.restarts >= 1);
    assert.deepEqual(w.seen.events, ['add kubernetes']);
  });

  it('control: without a bookmark, the same compaction forces a relist', async () => {
    const w = watchServices(cluster);
    informer = w.informer;
    await informer.start();
    await churnAndCompact(cluster, false);
    cluster.create(svc('after'));
    await until(() => w.seen.events.includes('add after'));
    assert.equal(informer.lists, 2);
  });

  it('kube-proxy\'s label selector: no Service of another proxy, no headless-labelled one (also with --service-proxy-name)', async () => {
    cluster.create(svc('plain'));
    cluster.create(svc('other-proxy', { 'service.kubernetes.io/service-proxy-name': 'cilium' }));
    cluster.create(svc('ours', { 'service.kubernetes.io/service-proxy-name': 'dataplane' }));
    cluster.create(svc('headless-label', { 'service.kubernetes.io/headless': '' }));
    const w = watchServices(cluster, proxyLabelSelector(''));
    informer = w.informer;
    await informer.start();
    assert.deepEqual(w.seen.events.sort(), ['add kubernetes', 'add plain']);
    await informer.stop();
    const named = watchServices(cluster, proxyLabelSelector('dataplane'));
    informer = named.informer;
    await informer.start();
    // The proxy name filter itself is the model's (a selector cannot say "absent or equal").
    assert.deepEqual(named.seen.events.sort(), ['add kubernetes', 'add other-proxy', 'add ours', 'add plain']);
  });

  it('the default list is a plain GET: objects arrive as JSON (no model classes), and an API error carries its status and names the path', async () => {
    const { kc } = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
    const got: unknown[] = [];
    const raw = new ResilientInformer<V1Service>(kc, { path: SERVICES.path }, { update: (_p, o) => got.push(o), delete: () => {} });
    try {
      await raw.start();
      assert.equal(got.length, 1);
      const ts = (got[0] as { metadata: { creationTimestamp: unknown } }).metadata.creationTimestamp;
      assert.equal(typeof ts, 'string', 'a typed list would have made a Date');
    } finally {
      await raw.stop();
    }
    const conn = await listConnection(kc);
    await assert.rejects(listRaw(conn, '/api/v1/nosuchresource', {}), (e: unknown) =>
      e instanceof ApiRequestError && e.statusCode === 404 && /list \/api\/v1\/nosuchresource: HTTP 404/.test(e.message));
    await assert.rejects(listRaw(conn, SERVICES.path, { limit: 1, continue: 'not-a-token' }), (e: unknown) =>
      e instanceof ApiRequestError && e.statusCode >= 400 && e.statusCode < 500);
  });

  it('watches one Node by metadata.name', async () => {
    cluster.createNode({ name: 'node-a', internalIPs: ['192.168.0.2'] });
    cluster.createNode({ name: 'node-b', internalIPs: ['192.168.0.3'] });
    const { kc } = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
    const names: string[] = [];
    const fieldSelector = 'metadata.name=node-a';
    const nodes = new ResilientInformer<V1Node>(kc, { path: NODES.path, fieldSelector }, {
      update: (_p, n) => names.push(`${n.metadata!.name} ${n.metadata!.labels?.zone ?? '-'}`), delete: (n) => names.push(`delete ${n.metadata!.name}`),
    });
    try {
      await nodes.start();
      cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b', labels: { zone: 'x' } } });
      cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'z1' } } });
      await until(() => names.length === 2);
      assert.deepEqual(names, ['node-a -', 'node-a z1']);
    } finally {
      await nodes.stop();
    }
  });
});
