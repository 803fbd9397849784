// The real kubectl (v1.32, default flags) against the test cluster:
// discovery, client-side apply (create, unchanged, three-way patch),
// server-side field validation, label, patch, get, delete.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

import { clusterPerDescribe, eventually, KUBECTL, kubectlMinor, NGINX_SERVICE } from './cluster-fixtures.js';

describe('test cluster: kubectl', function () {
  this.timeout(30_000);
  before(function () {
    // kubectl before 1.27 validates apply against OpenAPI v2 in protobuf, which the test cluster does not serve
    const minor = kubectlMinor();
    if (minor < 27) {
      console.log(`    (skipped: ${KUBECTL} is v1.${minor}; this suite needs kubectl >= 1.27)`);
      this.skip();
    }
  });
  const f = clusterPerDescribe();

  it('reports the server version and the served resources', async () => {
    const v = await f.kubectl(['version', '-o', 'json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).serverVersion.gitVersion, 'v1.32.4+dataplane');
    const r = await f.kubectl(['api-resources', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    const names = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(names.sort(), ['configmaps', 'endpointslices', 'events', 'namespaces', 'nodes', 'pods', 'services']);
    assert.match(r.stdout, /^services\s+svc\s+v1\s+true\s+Service$/m);
    assert.match(r.stdout, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
  });

  it('applies the nginx Service: created, with an allocated clusterIP and ClientIP affinity of 50 s', async () => {
    const a = await f.kubectl(['apply', '-f', '-'], NGINX_SERVICE);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), 'service/nginx-service created');
    assert.equal(a.stderr, '');
    const g = await f.kubectl(['get', 'service', 'nginx-service', '-o', 'json']);
    assert.equal(g.code, 0, g.stderr);
    const svc = JSON.parse(g.stdout);
    assert.match(svc.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.deepEqual(svc.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 50 } });
    assert.deepEqual(svc.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }]);
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
    assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
    assert.equal(svc.metadata.generation, 1);
    assert.deepEqual(svc.status, { loadBalancer: {} });
    const last = JSON.parse(svc.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(last.spec.sessionAffinity, 'ClientIP');
    // the in-process view is the same object
    assert.equal(f.cluster.get('Service', 'nginx-service')!.spec.clusterIP, svc.spec.clusterIP);
  });

  it('re-applies the same manifest as unchanged, and a changed one as a three-way patch', async () => {
    const same = await f.kubectl(['apply', '-f', '-'], NGINX_SERVICE);
    assert.equal(same.stdout.trim(), 'service/nginx-service unchanged');
    const before = f.cluster.get('Service', 'nginx-service')!;
    const changed = NGINX_SERVICE.replace('timeoutSeconds: 50', 'timeoutSeconds: 60').replace('targetPort: 80', 'targetPort: 8080')
      + '  - name: metrics\n    protocol: TCP\n    port: 9090\n';
    const a = await f.kubectl(['apply', '-f', '-'], changed);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), 'service/nginx-service configured');
    assert.equal(a.stderr, '', 'the patch came from the OpenAPI v3 schemas without a warning');
    const svc = f.cluster.get('Service', 'nginx-service')!;
    assert.equal(svc.spec.clusterIP, before.spec.clusterIP, 'the allocated clusterIP survives the patch');
    assert.equal(svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 60);
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), [['http', 80, 8080], ['metrics', 9090, 9090]]);
    assert.equal(svc.metadata.generation, 2);
    // dropping the metrics port from the manifest removes it from the live object
    const back = await f.kubectl(['apply', '-f', '-'], NGINX_SERVICE.replace('timeoutSeconds: 50', 'timeoutSeconds: 60'));
    assert.equal(back.stdout.trim(), 'service/nginx-service configured');
    assert.deepEqual(f.cluster.get('Service', 'nginx-service')!.spec.ports.map((p: any) => p.name), ['http']);
  });

  it('labels, selects by label and removes a label', async () => {
    assert.equal((await f.kubectl(['label', 'service', 'nginx-service', 'tier=web'])).stdout.trim(), 'service/nginx-service labeled');
    const clash = await f.kubectl(['label', 'service', 'nginx-service', 'tier=db']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /'tier' already has a value \(web\), and --overwrite is false/);
    const sel = await f.kubectl(['get', 'services', '-l', 'tier=web', '-o', 'name']);
    assert.equal(sel.stdout.trim(), 'service/nginx-service');
    const notSel = await f.kubectl(['get', 'services', '-l', '!tier', '-o', 'name']);
    assert.equal(notSel.stdout.trim(), 'service/kubernetes');
    assert.equal((await f.kubectl(['label', 'service', 'nginx-service', 'tier-'])).stdout.trim(), 'service/nginx-service unlabeled');
    assert.equal(f.cluster.get('Service', 'nginx-service')!.metadata.labels, undefined);
  });

  it('patches with a strategic merge, a merge and a JSON patch', async () => {
    const s = await f.kubectl(['patch', 'service', 'nginx-service', '-p', '{"spec":{"ports":[{"port":80,"targetPort":"web"}]}}']);
    assert.equal(s.stdout.trim(), 'service/nginx-service patched', s.stderr);
    let svc = f.cluster.get('Service', 'nginx-service')!;
    assert.deepEqual(svc.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }], 'merged by the port merge key');
    const m = await f.kubectl(['patch', 'service', 'nginx-service', '--type=merge', '-p', '{"spec":{"sessionAffinity":"None","sessionAffinityConfig":null}}']);
    assert.equal(m.code, 0, m.stderr);
    const j = await f.kubectl(['patch', 'service', 'nginx-service', '--type=json', '-p', '[{"op":"add","path":"/metadata/annotations/owner","value":"me"}]']);
    assert.equal(j.code, 0, j.stderr);
    svc = f.cluster.get('Service', 'nginx-service')!;
    assert.equal(svc.spec.sessionAffinity, 'None');
    assert.equal(svc.spec.sessionAffinityConfig, undefined);
    assert.equal(svc.metadata.annotations.owner, 'me');
    const bad = await f.kubectl(['patch', 'service', 'nginx-service', '--type=json', '-p', '[{"op":"test","path":"/spec/type","value":"NodePort"}]']);
    assert.notEqual(bad.code, 0);
  });

  it('rejects a bad manifest with the API server\'s 422 and its causes', async () => {
    const manifest = `apiVersion: v1
kind: Service
metadata:
  name: Bad_Name
spec:
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}
  ports:
  - port: 70000
    protocol: HTTP
    targetPort: 80
`;
    const a = await f.kubectl(['apply', '-f', '-'], manifest);
    assert.equal(a.code, 1);
    assert.equal(a.stderr, `The Service "Bad_Name" is invalid: 
* metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')
* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive
* spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"
* spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400
`);
  });

  it('rejects unknown fields itself (kubectl relies on the server\'s strict field validation)', async () => {
    const a = await f.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  prots:\n  - port: 80\n  ports:\n  - port: 80\n    nodeport: 1\n');
    assert.equal(a.code, 1);
    assert.equal(a.stderr.trim(), 'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.ports[0].nodeport", unknown field "spec.prots"');
    assert.equal(f.cluster.get('Service', 'typo'), undefined, 'nothing half-written');
    const warn = await f.kubectl(['apply', '--validate=warn', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\nspec:\n  prots: []\n  ports:\n  - port: 80\n');
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "spec.prots"/);
  });

  it('prints the server\'s table columns on get', async () => {
    const g = await f.kubectl(['get', 'services', '-o', 'wide']);
    assert.equal(g.code, 0, g.stderr);
    const lines = g.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
    assert.match(g.stdout, /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s\s+<none>$/m);
    assert.match(g.stdout, /^nginx-service\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s\s+app=nginx$/m);
    const ns = await f.kubectl(['get', 'namespaces']);
    assert.match(ns.stdout, /^kube-system\s+Active\s+\d+s$/m);
  });

  it('reads the protobuf bodies of typed-client commands (create namespace, create configmap, create service, run)', async () => {
    assert.equal((await f.kubectl(['create', 'namespace', 'proto'])).stdout.trim(), 'namespace/proto created');
    assert.equal((await f.kubectl(['-n', 'proto', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=2'])).stdout.trim(), 'configmap/cfg created');
    assert.deepEqual(f.cluster.get('ConfigMap', 'cfg', 'proto')!.data, { a: '1', b: '2' });
    assert.equal((await f.kubectl(['-n', 'proto', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30123'])).stdout.trim(), 'service/np created');
    const np = f.cluster.get('Service', 'np', 'proto')!;
    assert.deepEqual([np.spec.type, np.spec.selector, np.spec.ports], ['NodePort', { app: 'np' }, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30123 }]]);
    const run = await f.kubectl(['-n', 'proto', 'run', 'web', '--image=nginx:1.27', '--port=80', '--labels=app=web']);
    assert.equal(run.stdout.trim(), 'pod/web created', run.stderr);
    const pod = f.cluster.get('Pod', 'web', 'proto')!;
    assert.deepEqual(pod.spec.containers.map((c: any) => [c.name, c.image, c.ports, c.imagePullPolicy]), [['web', 'nginx:1.27', [{ containerPort: 80, protocol: 'TCP' }], 'IfNotPresent']]);
    // with --overrides kubectl sends JSON instead, and any field goes through
    const probe = await f.kubectl(['-n', 'proto', 'run', 'probed', '--image=nginx', '--overrides={"spec":{"containers":[{"name":"probed","image":"nginx","readinessProbe":{"tcpSocket":{"port":80}}}]}}']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.deepEqual(f.cluster.get('Pod', 'probed', 'proto')!.spec.containers[0].readinessProbe, { tcpSocket: { port: 80 } });
  });

  it('watches with kubectl get --watch (Table rows in the watch events)', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', f.cluster.kubeconfigPath, 'get', 'configmaps', '--watch', '--output-watch-events', '-l', 'watched=yes'],
      { env: { ...process.env, KUBECACHEDIR: f.cacheDir } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    try {
      await eventually(() => (f.cluster.watchCount > 0 ? true : undefined), 10_000, 'kubectl to watch');
      f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen', namespace: 'default', labels: { watched: 'yes' } }, data: { a: '1', b: '2' } });
      f.cluster.delete('ConfigMap', 'seen');
      await eventually(() => (out.includes('DELETED') ? true : undefined), 10_000, `the watch output, so far: ${out}`);
    } finally {
      child.kill();
    }
    assert.match(out, /^EVENT\s+NAME\s+DATA\s+AGE$/m);
    assert.match(out, /^ADDED\s+seen\s+2\s+\d+s$/m);
    assert.match(out, /^DELETED\s+seen\s+2\s+\d+s$/m);
  });

  it('server-side applies: creates, merges by list keys, removes what the manager no longer applies, keeps others\' fields', async () => {
    const manifest = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\n  labels: {a: "1", b: "2"}\nspec:\n  selector: {app: ssa}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n  - {name: metrics, port: 9090}\n';
    const first = await f.kubectl(['apply', '--server-side', '-f', '-'], manifest);
    assert.equal(first.stdout.trim(), 'service/ssa serverside-applied', first.stderr);
    await f.kubectl(['label', 'service', 'ssa', 'manual=yes']);
    const second = await f.kubectl(['apply', '--server-side', '-f', '-'], manifest.replace(', b: "2"', '').replace('  - {name: metrics, port: 9090}\n', '').replace('8080', '8081'));
    assert.equal(second.stdout.trim(), 'service/ssa serverside-applied', second.stderr);
    const svc = f.cluster.get('Service', 'ssa')!;
    assert.deepEqual(svc.metadata.labels, { a: '1', manual: 'yes' });
    assert.deepEqual(svc.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8081 }]);
    assert.deepEqual(svc.metadata.managedFields.map((m: any) => [m.manager, m.operation]), [['kubectl', 'Apply']]);
    assert.deepEqual(svc.metadata.managedFields[0].fieldsV1['f:spec']['f:ports'], { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:targetPort': {} } });
    const typo = await f.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: ssa}\nspec:\n  bogus: 1\n  ports: [{port: 80}]\n');
    assert.equal(typo.stderr.trim(), 'Error from server (BadRequest): failed to create typed patch object (default/ssa; /v1, Kind=Service): .spec.bogus: field not declared in schema');
  });

  it('creates and deletes a namespace and what is in it', async () => {
    const ns = await f.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scratch\n');
    assert.equal(ns.stdout.trim(), 'namespace/scratch created', ns.stderr);
    f.cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'scratch' }, data: { a: '1' } });
    const d = await f.kubectl(['delete', 'namespace', 'scratch']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'namespace "scratch" deleted');
    assert.equal(f.cluster.get('Namespace', 'scratch', ''), undefined);
    assert.equal(f.cluster.get('ConfigMap', 'c', 'scratch'), undefined);
    const protectedNs = await f.kubectl(['delete', 'namespace', 'default']);
    assert.match(protectedNs.stderr, /Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted/);
  });

  it('deletes a Service and reports NotFound afterwards', async () => {
    const d = await f.kubectl(['delete', 'service', 'nginx-service']);
    assert.equal(d.stdout.trim(), 'service "nginx-service" deleted', d.stderr);
    const g = await f.kubectl(['get', 'service', 'nginx-service']);
    assert.equal(g.code, 1);
    assert.equal(g.stderr.trim(), 'Error from server (NotFound): services "nginx-service" not found');
  });

  it('deletes a pod gracefully (kubectl waits until its grace period ends)', async () => {
    f.cluster.createNode({ name: 'node-k', internalIPs: ['192.0.2.10'] });
    f.cluster.createPod({ name: 'p', nodeName: 'node-k', ips: ['10.244.9.9'], terminationGracePeriodSeconds: 1 });
    const g = await f.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(g.stdout, /^p\s+1\/1\s+Running\s+0\s+\d+s\s+10\.244\.9\.9\s+node-k\s+<none>\s+<none>$/m);
    const started = Date.now();
    const d = await f.kubectl(['delete', 'pod', 'p']);
    assert.equal(d.stdout.trim(), 'pod "p" deleted', d.stderr);
    assert.ok(Date.now() - started >= 900, 'kubectl waited for the pod to go');
    assert.equal(f.cluster.get('Pod', 'p'), undefined);
  });
});
