// API semantics of the test cluster through the real @kubernetes/client-node
// (and raw HTTP where a client would hide the answer): object metadata,
// optimistic concurrency, every Status code, selectors, pagination, patches,
// subresources, graceful deletion and finalizers.

import assert from 'node:assert/strict';

import { clusterPerDescribe, k8s, raw } from './cluster-fixtures.js';

type Obj = Record<string, any>;

/** The Status body of a failed client-node call. */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: Obj }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      return { code: e.code, status: body };
    }
    throw e;
  }
  throw new Error('the call succeeded');
}

const svc = (name: string, spec: Obj = {}, labels?: Record<string, string>): k8s.V1Service => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { ports: [{ port: 80 }], ...spec },
});

describe('test cluster: API through client-node', function () {
  this.timeout(20_000);
  const f = clusterPerDescribe();

  it('sets uid, creationTimestamp, generation and one global resourceVersion', async () => {
    const a = await f.core.createNamespacedService({ namespace: 'default', body: svc('meta-a') });
    const b = await f.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'meta-b' }, data: { k: 'v' } } });
    assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
    assert.ok(a.metadata!.creationTimestamp instanceof Date);
    assert.equal(a.metadata!.generation, 1);
    assert.equal(b.metadata!.generation, undefined, 'config maps have no generation');
    assert.ok(Number(b.metadata!.resourceVersion) > Number(a.metadata!.resourceVersion), 'one counter across kinds');
    const got = await f.core.readNamespacedService({ name: 'meta-a', namespace: 'default' });
    assert.equal(got.metadata!.resourceVersion, a.metadata!.resourceVersion);
    got.spec!.ports![0]!.port = 81;
    const updated = await f.core.replaceNamespacedService({ name: 'meta-a', namespace: 'default', body: got });
    assert.equal(updated.metadata!.generation, 2);
    got.metadata!.labels = { relabel: 'only' };
    got.spec!.ports![0]!.port = 81;
    got.metadata!.resourceVersion = updated.metadata!.resourceVersion;
    const relabeled = await f.core.replaceNamespacedService({ name: 'meta-a', namespace: 'default', body: got });
    assert.equal(relabeled.metadata!.generation, 2, 'metadata changes leave the generation alone');
  });

  it('answers 409 Conflict for a stale resourceVersion, and writes nothing', async () => {
    const cur = await f.core.readNamespacedService({ name: 'meta-a', namespace: 'default' });
    const stale = { ...cur, metadata: { ...cur.metadata, resourceVersion: '2' } };
    const { code, status } = await failure(f.core.replaceNamespacedService({ name: 'meta-a', namespace: 'default', body: stale }));
    assert.equal(code, 409);
    assert.deepEqual(status, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Operation cannot be fulfilled on services "meta-a": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict', details: { name: 'meta-a', kind: 'services' }, code: 409,
    });
    assert.equal((await f.core.readNamespacedService({ name: 'meta-a', namespace: 'default' })).metadata!.resourceVersion, cur.metadata!.resourceVersion);
  });

  it('answers 404 NotFound, 409 AlreadyExists and 404 for unserved resources with the real bodies', async () => {
    const nf = await failure(f.core.readNamespacedService({ name: 'nope', namespace: 'default' }));
    assert.equal(nf.code, 404);
    assert.equal(nf.status.message, 'services "nope" not found');
    assert.deepEqual(nf.status.details, { name: 'nope', kind: 'services' });
    const sliceNf = await raw(f.cluster, 'GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/nope');
    assert.equal(sliceNf.body.message, 'endpointslices.discovery.k8s.io "nope" not found');
    assert.deepEqual(sliceNf.body.details, { name: 'nope', group: 'discovery.k8s.io', kind: 'endpointslices' });
    const ae = await failure(f.core.createNamespacedService({ namespace: 'default', body: svc('meta-a') }));
    assert.equal(ae.code, 409);
    assert.equal(ae.status.reason, 'AlreadyExists');
    assert.equal(ae.status.message, 'services "meta-a" already exists');
    for (const path of ['/api/v1/secrets', '/api/v1/namespaces/default/secrets/x', '/apis/apps/v1/deployments', '/api/v1/namespaces/default/nodes']) {
      const r = await raw(f.cluster, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }, path);
    }
    const ns = await failure(f.core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    assert.equal(ns.code, 404);
    assert.equal(ns.status.message, 'namespaces "nowhere" not found');
  });

  it('answers 422 Invalid with one cause per field error', async () => {
    const { code, status } = await failure(f.core.createNamespacedService({
      namespace: 'default',
      body: svc('bad-ports', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }, { name: 'c', port: 0, targetPort: 'Not-A-Port' }] }),
    }));
    assert.equal(code, 422);
    assert.equal(status.reason, 'Invalid');
    assert.deepEqual(status.details, {
      name: 'bad-ports',
      kind: 'Service',
      causes: [
        { reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be between 1 and 65535, inclusive', field: 'spec.ports[2].port' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: "Not-A-Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', field: 'spec.ports[2].targetPort' },
        { reason: 'FieldValueDuplicate', message: 'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}', field: 'spec.ports[1]' },
      ],
    });
    assert.match(status.message, /^Service "bad-ports" is invalid: \[spec\.ports\[2\]\.port: Invalid value: 0: /);
    assert.equal(f.cluster.get('Service', 'bad-ports'), undefined);
    // allocation comes before validation, as in the API server: an address outside the range fails alone
    const range = await failure(f.core.createNamespacedService({ namespace: 'default', body: svc('bad-ip', { clusterIP: '10.0.0.1' }) }));
    assert.equal(range.code, 422);
    assert.equal(range.status.message, 'Service "bad-ip" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16');
  });

  it('answers 400 BadRequest for bad JSON, a name mismatch, a bad selector and unknown fields (Strict)', async () => {
    const json = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/services', '{"metadata": ');
    assert.equal(json.status, 400);
    assert.equal(json.body.reason, 'BadRequest');
    assert.match(json.body.message, /^couldn't get version\/kind; json parse error: /);
    const yamlBody = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/configmaps', 'metadata: {name: from-yaml}\ndata: {a: "1"}\n', 'application/yaml');
    assert.equal(yamlBody.status, 201, JSON.stringify(yamlBody.body));
    const badYaml = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/configmaps', 'metadata: [unclosed\n', 'application/yaml');
    assert.equal(badYaml.status, 400);
    const mismatch = await raw(f.cluster, 'PUT', '/api/v1/namespaces/default/services/meta-a', { metadata: { name: 'other' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.message, 'the name of the object (other) does not match the name on the URL (meta-a)');
    const sel = await failure(f.core.listNamespacedService({ namespace: 'default', labelSelector: 'a in b' }));
    assert.equal(sel.code, 400);
    assert.match(sel.status.message, /^unable to parse requirement: found 'b', expected: '\('/);
    const field = await failure(f.core.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.foo=x' }));
    assert.equal(field.code, 400);
    assert.equal(field.status.message, 'field label not supported: spec.foo');
    const strict = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/services?fieldValidation=Strict', { metadata: { name: 'strict' }, spec: { ports: [{ port: 80, bogus: 1 }], extra: true } });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.ports[0].bogus", unknown field "spec.extra"');
    const typed = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'typed' }, spec: { ports: [{ port: 'eighty' }] } });
    assert.equal(typed.status, 400);
    assert.equal(typed.body.message, 'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32');
    const warned = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'warned' }, spec: { ports: [{ port: 80 }], extra: true } });
    assert.equal(warned.status, 201);
    assert.equal(warned.headers.get('warning'), '299 - "unknown field \\"spec.extra\\""');
  });

  it('answers 403 Forbidden, 405 MethodNotAllowed and 415 UnsupportedMediaType', async () => {
    const del = await failure(f.core.deleteNamespace({ name: 'kube-system' }));
    assert.equal(del.code, 403);
    assert.equal(del.status.message, 'namespaces "kube-system" is forbidden: this namespace may not be deleted');
    f.cluster.createNamespace('doomed');
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays', namespace: 'doomed', finalizers: ['example.com/hold'] } });
    await f.core.deleteNamespace({ name: 'doomed' });
    const term = await failure(f.core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }));
    assert.equal(term.code, 403);
    assert.equal(term.status.message, 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    assert.equal(term.status.details.causes[0].reason, 'NamespaceTerminating');
    const post = await raw(f.cluster, 'POST', '/api/v1/services', svc('x'));
    assert.equal(post.status, 405);
    assert.equal(post.body.reason, 'MethodNotAllowed');
    const patch = await raw(f.cluster, 'PATCH', '/api/v1/namespaces/default/services/meta-a', '{}', 'text/plain');
    assert.equal(patch.status, 415);
    assert.equal(patch.body.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json');
  });

  it('filters lists by label selector (=, !=, in, notin, exists, !key) and field selector', async () => {
    const mk = (name: string, labels: Record<string, string>) => f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels } });
    mk('sel-1', { app: 'a', tier: 'web' });
    mk('sel-2', { app: 'b', tier: 'web', canary: 'true' });
    mk('sel-3', { app: 'c' });
    const names = async (labelSelector: string, fieldSelector?: string) => (await f.core.listNamespacedConfigMap({ namespace: 'default', labelSelector, ...(fieldSelector ? { fieldSelector } : {}) }))
      .items.map((c) => c.metadata!.name).filter((n) => n!.startsWith('sel-'));
    assert.deepEqual(await names('tier=web'), ['sel-1', 'sel-2']);
    assert.deepEqual(await names('tier,!canary'), ['sel-1']);
    assert.deepEqual(await names('app in (a, c)'), ['sel-1', 'sel-3']);
    assert.deepEqual(await names('app notin (a),tier!=web'), ['sel-3']);
    assert.deepEqual(await names('', 'metadata.name=sel-2'), ['sel-2']);
    assert.deepEqual(await names('app', 'metadata.name!=sel-2,metadata.namespace=default'), ['sel-1', 'sel-3']);
    f.cluster.createNode({ name: 'sel-node', internalIPs: ['192.0.2.1'] });
    f.cluster.createPod({ name: 'on-node', nodeName: 'sel-node', ips: ['10.244.1.1'] });
    f.cluster.createPod({ name: 'elsewhere' });
    const pods = await f.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=sel-node' });
    assert.deepEqual(pods.items.map((p) => p.metadata!.name), ['on-node']);
    const nodes = await f.core.listNode({ fieldSelector: 'metadata.name=sel-node' });
    assert.deepEqual(nodes.items.map((n) => n.metadata!.name), ['sel-node']);
  });

  it('paginates with limit and continue over a consistent snapshot, in name order', async () => {
    f.cluster.createNamespace('pages');
    for (let i = 24; i >= 0; i--) f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: 'pages' } });
    const first = await f.core.listNamespacedConfigMap({ namespace: 'pages', limit: 10 });
    assert.equal(first.items.length, 10);
    assert.equal(first.metadata!.remainingItemCount, 15);
    assert.ok(first.metadata!._continue);
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-99', namespace: 'pages' } });
    const second = await f.core.listNamespacedConfigMap({ namespace: 'pages', limit: 10, _continue: first.metadata!._continue! });
    const third = await f.core.listNamespacedConfigMap({ namespace: 'pages', limit: 10, _continue: second.metadata!._continue! });
    assert.equal(third.metadata!._continue, undefined);
    assert.equal(second.metadata!.resourceVersion, first.metadata!.resourceVersion, 'every page is of the first page\'s revision');
    const all = [...first.items, ...second.items, ...third.items].map((c) => c.metadata!.name);
    assert.deepEqual(all, Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`), 'cm-99 came after the snapshot');
    f.cluster.compact();
    const gone = await failure(f.core.listNamespacedConfigMap({ namespace: 'pages', limit: 10, _continue: first.metadata!._continue! }));
    assert.equal(gone.code, 410);
    assert.equal(gone.status.reason, 'Expired');
  });

  it('patches with merge, strategic merge (by merge key) and JSON patch content types', async () => {
    const name = 'patched';
    await f.core.createNamespacedService({ namespace: 'default', body: svc(name, { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }], selector: { app: 'x' } }) });
    await f.core.patchNamespacedService({ name, namespace: 'default', body: { spec: { ports: [{ port: 81, targetPort: 9091 }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    let s = await f.core.readNamespacedService({ name, namespace: 'default' });
    assert.deepEqual(s.spec!.ports!.map((p) => [p.name, p.port, p.targetPort]), [['a', 80, 80], ['b', 81, 9091]]);
    await f.core.patchNamespacedService({ name, namespace: 'default', body: { spec: { ports: [{ name: 'only', port: 82 }], selector: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    s = await f.core.readNamespacedService({ name, namespace: 'default' });
    assert.deepEqual(s.spec!.ports!.map((p) => p.name), ['only'], 'a merge patch replaces lists');
    assert.equal(s.spec!.selector, undefined);
    await f.core.patchNamespacedService({ name, namespace: 'default', body: [{ op: 'add', path: '/spec/ports/-', value: { name: 'two', port: 83 } }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
    s = await f.core.readNamespacedService({ name, namespace: 'default' });
    assert.deepEqual(s.spec!.ports!.map((p) => p.name), ['only', 'two']);
    const del = await raw(f.cluster, 'PATCH', `/api/v1/namespaces/default/services/${name}`, { spec: { ports: [{ port: 83, $patch: 'delete' }] } }, 'application/strategic-merge-patch+json');
    assert.equal(del.status, 200);
    assert.deepEqual(del.body.spec.ports.map((p: Obj) => p.name), ['only']);
    const test = await raw(f.cluster, 'PATCH', `/api/v1/namespaces/default/services/${name}`, [{ op: 'test', path: '/spec/type', value: 'NodePort' }], 'application/json-patch+json');
    assert.equal(test.status, 422);
  });

  it('keeps status to the status subresource, and spec out of it', async () => {
    f.cluster.createPod({ name: 'st', nodeName: 'sel-node' });
    const pod = await f.core.readNamespacedPod({ name: 'st', namespace: 'default' });
    assert.equal(pod.status!.phase, 'Pending');
    pod.status = { ...pod.status, phase: 'Running', podIP: '10.244.2.2' };
    const main = await f.core.replaceNamespacedPod({ name: 'st', namespace: 'default', body: pod });
    assert.equal(main.status!.phase, 'Pending', 'a main-resource write ignores status');
    const fresh = await f.core.readNamespacedPod({ name: 'st', namespace: 'default' });
    fresh.status = { ...fresh.status, phase: 'Running', podIP: '10.244.2.2' };
    fresh.spec!.nodeName = 'elsewhere';
    const st = await f.core.replaceNamespacedPodStatus({ name: 'st', namespace: 'default', body: fresh });
    assert.equal(st.status!.phase, 'Running');
    assert.deepEqual(st.status!.podIPs!.map((x) => x.ip), ['10.244.2.2'], 'podIPs follow podIP');
    assert.equal(st.spec!.nodeName, 'sel-node', 'a status write ignores spec');
    const badIp = await failure(f.core.patchNamespacedPodStatus({ name: 'st', namespace: 'default', body: { status: { podIPs: [{ ip: '10.244.2.2' }, { ip: '10.244.2.3' }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch)));
    assert.equal(badIp.code, 422);
    assert.match(badIp.status.message, /status\.podIPs: Invalid value: .*: may specify no more than one IP for each IP family/);
  });

  it('deletes pods gracefully (deletionTimestamp + grace) and holds objects with finalizers', async () => {
    f.cluster.createPod({ name: 'grace', nodeName: 'sel-node', ips: ['10.244.3.3'] });
    const t0 = Date.now();
    const del = await f.core.deleteNamespacedPod({ name: 'grace', namespace: 'default', gracePeriodSeconds: 3 });
    assert.equal(del.metadata!.deletionGracePeriodSeconds, 3);
    const at = del.metadata!.deletionTimestamp!.getTime();
    assert.ok(at >= Math.floor(t0 / 1000) * 1000 + 2000 && at <= t0 + 3000, `deletionTimestamp ${del.metadata!.deletionTimestamp!.toISOString()}`);
    assert.ok(f.cluster.get('Pod', 'grace'), 'still there while terminating');
    f.cluster.finishPodTermination('grace');
    assert.equal(f.cluster.get('Pod', 'grace'), undefined);
    f.cluster.createPod({ name: 'unscheduled' });
    await f.core.deleteNamespacedPod({ name: 'unscheduled', namespace: 'default' });
    assert.equal(f.cluster.get('Pod', 'unscheduled'), undefined, 'a pod on no node goes at once');

    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    const held = await raw(f.cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.equal(held.status, 200);
    assert.equal(held.body.kind, 'ConfigMap', 'not deleted yet: the object comes back');
    assert.ok(held.body.metadata.deletionTimestamp);
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: 'default' } });
    const gone = await raw(f.cluster, 'DELETE', '/api/v1/namespaces/default/configmaps/plain');
    assert.deepEqual({ ...gone.body, details: { ...gone.body.details, uid: 'x' } },
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'plain', kind: 'configmaps', uid: 'x' } });
    await f.core.patchNamespacedConfigMap({ name: 'held', namespace: 'default', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    assert.equal(f.cluster.get('ConfigMap', 'held'), undefined);
  });

  it('reads protobuf bodies, and refuses with 415 what it cannot read from them', async () => {
    // protobuf encoding, by hand: key = field << 3 | wire type; wire 2 = length-delimited
    const varint = (n: number) => { const out: number[] = []; do { out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n > 0); return out; };
    const bytes = (field: number, b: number[]) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
    const str = (field: number, v: string) => bytes(field, [...Buffer.from(v)]);
    const num = (field: number, v: number) => [...varint(field << 3), ...varint(v)];
    const envelope = (kind: string, raw: number[]) => Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, 'v1'), ...str(2, kind)]), ...bytes(2, raw)]);
    const meta = bytes(1, [...str(1, 'pb-svc'), ...bytes(11, [...str(1, 'app'), ...str(2, 'pb')])]);
    const port = bytes(1, [...str(1, 'http'), ...num(3, 80), ...bytes(4, [...num(1, 0), ...num(2, 8080)])]);
    const created = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/services', envelope('Service', [...meta, ...bytes(2, [...port, ...bytes(2, [...str(1, 'app'), ...str(2, 'pb')])])]),
      'application/vnd.kubernetes.protobuf');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.metadata.labels, created.body.spec.selector, created.body.spec.ports], [{ app: 'pb' }, { app: 'pb' }, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }]]);
    const probe = bytes(11, [...bytes(4, [...bytes(1, num(1, 80))])]);
    const pod = envelope('Pod', [...bytes(1, str(1, 'pb-pod')), ...bytes(2, bytes(2, [...str(1, 'c'), ...str(2, 'img'), ...probe]))]);
    const refused = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/pods', pod, 'application/vnd.kubernetes.protobuf');
    assert.equal(refused.status, 415);
    assert.equal(refused.body.message, 'spec.containers[0].readinessProbe: this field cannot be read from protobuf by the test cluster; send the object as JSON');
    assert.equal(f.cluster.get('Pod', 'pb-pod'), undefined);
    const garbage = await raw(f.cluster, 'POST', '/api/v1/namespaces/default/pods', Buffer.from('not protobuf'), 'application/vnd.kubernetes.protobuf');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.message, 'provided protobuf object does not begin with the k8s magic prefix');
  });

  it('accepts and lists Events', async () => {
    await f.core.createNamespacedEvent({
      namespace: 'default',
      body: { metadata: { name: 'ev.1' }, involvedObject: { kind: 'Service', name: 'meta-a', namespace: 'default' }, reason: 'Synced', message: 'ok', type: 'Normal', source: { component: 'test' }, count: 1 },
    });
    const evs = await f.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=meta-a,reason=Synced' });
    assert.deepEqual(evs.items.map((e) => [e.metadata!.name, e.message, e.source?.component]), [['ev.1', 'ok', 'test']]);
    const wrongNs = await failure(f.core.createNamespacedEvent({ namespace: 'default', body: { metadata: { name: 'ev.2' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' } } }));
    assert.equal(wrongNs.code, 422);
    assert.equal(wrongNs.status.message, 'Event "ev.2" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });

  it('names objects from generateName and honours dryRun', async () => {
    const made = await f.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    assert.match(made.metadata!.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const dry = await f.core.createNamespacedService({ namespace: 'default', body: svc('dry'), dryRun: 'All' });
    assert.match(dry.spec!.clusterIP!, /^10\.96\./);
    assert.equal(f.cluster.get('Service', 'dry'), undefined);
  });
});
