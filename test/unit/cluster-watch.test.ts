// Watches through the real @kubernetes/client-node: informer list + watch,
// reconnect after a dropped watch, 410 Expired -> re-list, bookmarks,
// selector transitions, timeouts, fan-out, and the fault hooks (pause,
// restart on the same port) a proxy's tests use.

import assert from 'node:assert/strict';

import { clusterPerDescribe, eventually, k8s } from './cluster-fixtures.js';

type Obj = Record<string, any>;

interface Recorder {
  events: string[];
  lists: number;
  errors: unknown[];
  informer: k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;
}

describe('test cluster: watches through client-node', function () {
  this.timeout(20_000);
  const f = clusterPerDescribe({ bookmarkIntervalMs: 0 });
  let ns = '';
  let n = 0;

  beforeEach(() => {
    ns = `w${++n}`;
    f.cluster.createNamespace(ns);
  });

  function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): void {
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data });
  }

  async function informer(labelSelector?: string): Promise<Recorder> {
    const rec = { events: [] as string[], lists: 0, errors: [] as unknown[] } as Recorder;
    const list = () => { rec.lists++; return f.core.listNamespacedConfigMap({ namespace: ns, ...(labelSelector ? { labelSelector } : {}) }); };
    rec.informer = k8s.makeInformer(f.kc, `/api/v1/namespaces/${ns}/configmaps`, list, labelSelector);
    rec.informer.on('add', (o) => rec.events.push(`add ${o.metadata!.name}`));
    rec.informer.on('update', (o) => rec.events.push(`update ${o.metadata!.name} ${JSON.stringify(o.data ?? {})}`));
    rec.informer.on('delete', (o) => rec.events.push(`delete ${o.metadata!.name}`));
    rec.informer.on('error', (e) => rec.errors.push(e));
    await rec.informer.start();
    return rec;
  }

  const patchData = (name: string, data: Record<string, string>) =>
    f.core.patchNamespacedConfigMap({ name, namespace: ns, body: { data } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));

  it('lists, then watches ADDED, MODIFIED and DELETED from the list\'s resourceVersion', async () => {
    configMap('before');
    const rec = await informer();
    assert.deepEqual(rec.events, ['add before']);
    configMap('after');
    await patchData('before', { k: 'v' });
    await f.core.deleteNamespacedConfigMap({ name: 'after', namespace: ns });
    await eventually(() => (rec.events.length === 4 ? true : undefined), 3000, 'three watch events');
    assert.deepEqual(rec.events, ['add before', 'add after', 'update before {"k":"v"}', 'delete after']);
    assert.deepEqual(rec.informer.list().map((o) => o.metadata!.name), ['before']);
    await rec.informer.stop();
  });

  it('re-watches from its last resourceVersion after a dropped watch, without a re-list', async () => {
    configMap('a');
    const rec = await informer();
    await eventually(() => (f.cluster.watchCount > 0 ? true : undefined));
    assert.ok(f.cluster.dropWatches() >= 1);
    configMap('b');
    await eventually(() => (rec.events.includes('add b') ? true : undefined), 3000, 'the event after the drop');
    assert.equal(rec.lists, 1, 'no re-list');
    assert.deepEqual(rec.events, ['add a', 'add b']);
    await rec.informer.stop();
  });

  it('re-lists after a 410 Expired ERROR event (a watch answered 410, or a compacted window)', async () => {
    configMap('a');
    const rec = await informer();
    await eventually(() => (f.cluster.watchCount > 0 ? true : undefined));
    f.cluster.expireNextWatches(1);
    f.cluster.dropWatches();
    await eventually(() => (rec.lists === 2 ? true : undefined), 3000, 'a re-list after 410');
    // a change made while the informer re-lists is seen once, by the list or the watch
    configMap('b');
    await eventually(() => (rec.events.includes('add b') ? true : undefined), 3000, 'add b');
    await eventually(() => (f.cluster.watchCount > 0 ? true : undefined));
    // compaction: the watch window no longer reaches the informer's resourceVersion
    f.cluster.compact();
    f.cluster.dropWatches();
    await new Promise((r) => setTimeout(r, 5));
    configMap('c');
    await eventually(() => (rec.events.includes('add c') ? true : undefined), 3000, 'add c');
    assert.ok(rec.lists >= 2);
    assert.deepEqual(rec.events.filter((e) => e.startsWith('add')).sort(), ['add a', 'add b', 'add c'], 'no duplicate adds across re-lists');
    assert.deepEqual(rec.errors, []);
    await rec.informer.stop();
  });

  it('sends the real 410 ERROR event to a watch from a resourceVersion older than the window', async () => {
    configMap('x');
    f.cluster.compact();
    const res = await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=1`);
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].type, 'ERROR');
    assert.deepEqual({ ...lines[0].object, message: lines[0].object.message.replace(/\(\d+\)/, '(N)') },
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (N)', reason: 'Expired', code: 410 });
  });

  it('sends BOOKMARKs with the current resourceVersion to watches that allow them', async () => {
    const w = new k8s.Watch(f.kc);
    const seen: Obj[] = [];
    const plain: Obj[] = [];
    const start = String(f.cluster.api.store.rv);
    const a = await w.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: start, allowWatchBookmarks: true }, (type, obj) => seen.push({ type, obj }), () => {});
    const b = await w.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: start }, (type, obj) => plain.push({ type, obj }), () => {});
    await eventually(() => (f.cluster.watchCount >= 2 ? true : undefined));
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-ns', namespace: 'default' } });
    f.cluster.sendBookmarks();
    await eventually(() => (seen.length > 0 ? true : undefined), 3000, 'a bookmark');
    assert.deepEqual(seen, [{ type: 'BOOKMARK', obj: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(f.cluster.api.store.rv) } } }]);
    assert.ok(Number(seen[0]!.obj.metadata.resourceVersion) > Number(start), 'a bookmark moves a filtered watch past changes it did not see');
    assert.deepEqual(plain, []);
    a.abort();
    b.abort();
  });

  it('answers a watch-list (sendInitialEvents) with the objects, then the initial-events-end BOOKMARK', async () => {
    configMap('one');
    configMap('two');
    const res = await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`);
    const events = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name ?? e.object.metadata.annotations['k8s.io/initial-events-end']]), [['ADDED', 'one'], ['ADDED', 'two'], ['BOOKMARK', 'true']]);
    assert.equal(events[2].object.metadata.resourceVersion, String(f.cluster.api.store.rv));
    const bad = await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true`);
    assert.equal(bad.status, 422);
  });

  it('serves metadata only (PartialObjectMetadata) to clients that ask for it', async () => {
    configMap('meta-only', { l: 'v' }, { big: 'x'.repeat(100) });
    const accept = { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' };
    const list = await (await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps`, { headers: accept })).json() as Obj;
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.deepEqual(list.items.map((i: Obj) => [i.kind, i.metadata.name, i.metadata.labels, i.data]), [['PartialObjectMetadata', 'meta-only', { l: 'v' }, undefined]]);
    const watch = await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1`, { headers: { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' } });
    const first = JSON.parse((await watch.text()).split('\n')[0]!);
    assert.deepEqual([first.type, first.object.kind, first.object.metadata.name, first.object.data], ['ADDED', 'PartialObjectMetadata', 'meta-only', undefined]);
  });

  it('turns label changes into ADDED and DELETED for a selector watch', async () => {
    configMap('m', { role: 'a' });
    const rec = await informer('role=a');
    assert.deepEqual(rec.events, ['add m']);
    await f.core.patchNamespacedConfigMap({ name: 'm', namespace: ns, body: { metadata: { labels: { role: 'b' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await eventually(() => (rec.events.length === 2 ? true : undefined), 3000, 'DELETED');
    await f.core.patchNamespacedConfigMap({ name: 'm', namespace: ns, body: { metadata: { labels: { role: 'a' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await eventually(() => (rec.events.length === 3 ? true : undefined), 3000, 'ADDED');
    assert.deepEqual(rec.events, ['add m', 'delete m', 'add m']);
    await rec.informer.stop();
  });

  it('watches one Node by metadata.name, as a proxy watches its own node', async () => {
    f.cluster.createNode({ name: `self-${ns}`, internalIPs: ['192.0.2.20'], zone: 'z1' });
    f.cluster.createNode({ name: `other-${ns}`, internalIPs: ['192.0.2.21'] });
    const sel = `metadata.name=self-${ns}`;
    // client-node 1.4's makeInformer takes no field selector; ListWatch does
    const inf = new k8s.ListWatch<k8s.V1Node>('/api/v1/nodes', new k8s.Watch(f.kc), () => f.core.listNode({ fieldSelector: sel }), false, undefined, sel);
    const seen: string[] = [];
    inf.on('add', (o) => seen.push(`add ${o.metadata!.name} ${o.metadata!.labels!['topology.kubernetes.io/zone']}`));
    inf.on('update', (o) => seen.push(`update ${o.metadata!.name} ${o.metadata!.labels!['topology.kubernetes.io/zone']}`));
    await inf.start();
    for (const name of [`other-${ns}`, `self-${ns}`]) {
      await f.core.patchNode({ name, body: { metadata: { labels: { 'topology.kubernetes.io/zone': 'z2' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    }
    await eventually(() => (seen.length === 2 ? true : undefined), 3000, 'the node update');
    assert.deepEqual(seen, [`add self-${ns} z1`, `update self-${ns} z2`]);
    await inf.stop();
  });

  it('ends a watch after timeoutSeconds and fans one write out to every watcher', async () => {
    const t0 = Date.now();
    const res = await fetch(`${f.cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${f.cluster.api.store.rv}`);
    assert.equal(await res.text(), '');
    assert.ok(Date.now() - t0 >= 900, 'ended by its timeout');
    const w = new k8s.Watch(f.kc);
    const got: number[] = [];
    const watches = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      w.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: String(f.cluster.api.store.rv) }, () => got.push(i), () => {})));
    await eventually(() => (f.cluster.watchCount >= 6 ? true : undefined));
    configMap('fan');
    await eventually(() => (got.length === 6 ? true : undefined), 3000, 'six deliveries');
    assert.deepEqual(got.sort(), [0, 1, 2, 3, 4, 5]);
    for (const c of watches) c.abort();
  });

  it('holds requests while paused and answers them on resume', async () => {
    f.cluster.pause();
    let done = false;
    const p = f.core.listNamespacedConfigMap({ namespace: ns }).then((l) => { done = true; return l; });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false);
    f.cluster.resume();
    assert.deepEqual((await p).items, []);
  });

  it('restarts on the same port with the same state; an informer stops on the refused connection (client-node 1.4 has no backoff)', async () => {
    configMap('kept');
    const rec = await informer();
    const rv = f.cluster.api.store.rv;
    const port = f.cluster.port;
    await f.cluster.restart(300);
    assert.equal(f.cluster.port, port);
    assert.equal(f.cluster.api.store.rv, rv);
    await eventually(() => (rec.errors.length > 0 ? true : undefined), 3000, 'the informer error');
    // the cut watch stream ("Premature close"), or the refused re-watch
    assert.match(String((rec.errors[0] as Error).message ?? rec.errors[0]), /Premature close|ECONNREFUSED|socket hang up/);
    // the caller restarts it; it re-lists and carries on
    await rec.informer.start();
    configMap('after-restart');
    await eventually(() => (rec.events.includes('add after-restart') ? true : undefined), 3000, 'events after the restart');
    assert.deepEqual(rec.informer.list().map((o) => o.metadata!.name).sort(), ['after-restart', 'kept']);
    await rec.informer.stop();
  });
});
