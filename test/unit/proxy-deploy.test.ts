// deploy/dataplane-proxy.yaml against the code: the ClusterRole grants
// exactly the verbs the watch layer uses, the ConfigMap's configuration
// decodes strictly, and the DaemonSet runs on the host network with
// NET_ADMIN, the config mounted where its command line reads it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

import { decodeConfiguration } from '../../src/proxy/config/file.js';
import { resolveArgv } from '../../src/proxy/config/resolve.js';
import { WATCHED_RESOURCES } from '../../src/proxy/watch/resources.js';

type Obj = Record<string, any>;
const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, '../../deploy/dataplane-proxy.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const find = (kind: string): Obj => {
  const d = docs.find((x) => x.kind === kind);
  assert.ok(d !== undefined, `no ${kind}`);
  return d;
};

describe('proxy: deploy/dataplane-proxy.yaml', () => {
  it('has the ServiceAccount, ClusterRole, binding, ConfigMap and DaemonSet', () => {
    assert.deepEqual(docs.map((d) => d.kind), ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet']);
    const binding = find('ClusterRoleBinding');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'dataplane-proxy', namespace: 'kube-system' }]);
    assert.equal(binding.roleRef.name, find('ClusterRole').metadata.name);
  });

  it('the ClusterRole grants exactly what the watch layer uses', () => {
    const granted = new Set<string>();
    for (const rule of find('ClusterRole').rules as Obj[]) {
      for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) granted.add(`${g}/${r}/${v}`);
    }
    const used = new Set(WATCHED_RESOURCES.flatMap((r) => r.verbs.map((v) => `${r.group}/${r.resource}/${v}`)));
    assert.deepEqual([...granted].sort(), [...used].sort());
  });

  it('the ConfigMap holds a valid configuration for the command line the DaemonSet runs', () => {
    const text = find('ConfigMap').data['config.conf'] as string;
    const cfg = decodeConfiguration(text, 'config.conf');
    assert.equal(cfg.mode, 'nftables');
    const ds = find('DaemonSet');
    const c = ds.spec.template.spec.containers[0];
    const mount = c.volumeMounts.find((m: Obj) => m.name === 'config');
    const configFlag = (c.command as string[]).find((a) => a.startsWith('--config='))!;
    assert.equal(configFlag, `--config=${mount.mountPath}/config.conf`);
    const argv = (c.command as string[]).slice(1).map((a) => a.replace('$(NODE_NAME)', 'node-1').replace(/^--config=.*/, '--write-config-to=/dev/null'));
    assert.doesNotThrow(() => resolveArgv(argv));
  });

  it('the DaemonSet: host network, NET_ADMIN (no privileged), probes on the healthz port', () => {
    const spec = find('DaemonSet').spec.template.spec;
    assert.equal(spec.hostNetwork, true);
    assert.equal(spec.serviceAccountName, 'dataplane-proxy');
    const c = spec.containers[0];
    assert.deepEqual(c.securityContext.capabilities.add, ['NET_ADMIN', 'SYS_RESOURCE']);
    assert.equal(c.securityContext.privileged, undefined);
    assert.equal(c.livenessProbe.httpGet.path, '/livez');
    assert.equal(c.livenessProbe.httpGet.port, 10256);
    assert.equal(c.readinessProbe.httpGet.path, '/healthz');
    assert.equal(c.env.find((e: Obj) => e.name === 'NODE_NAME').valueFrom.fieldRef.fieldPath, 'spec.nodeName');
    // The xtables lock of the node, where iptables mode takes it (the library's default path).
    assert.equal(c.volumeMounts.find((m: Obj) => m.name === 'xtables-lock').mountPath, '/run/xtables.lock');
    assert.deepEqual(spec.volumes.find((v: Obj) => v.name === 'xtables-lock').hostPath, { path: '/run/xtables.lock', type: 'FileOrCreate' });
  });
});
