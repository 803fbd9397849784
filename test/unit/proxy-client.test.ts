// How the proxy finds the API server (kube-proxy's createClient): a
// kubeconfig file, --master overriding its server or standing alone, or the
// in-cluster service account.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadKubeConfig } from '../../src/proxy/watch/client.js';

describe('proxy: API client configuration', () => {
  let dir = '';
  let kubeconfig = '';
  const env = { ...process.env };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dp-proxy-client-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: abc}}]', 'contexts: [{name: c, context: {cluster: k, user: u}}]', '',
    ].join('\n'));
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); process.env = env; });

  it('--kubeconfig: its current cluster and user', () => {
    const { kc, source, server } = loadKubeConfig({ kubeconfig });
    assert.equal(source, 'kubeconfig');
    assert.equal(server, 'https://10.0.0.1:6443');
    assert.equal(kc.getCurrentUser()?.token, 'abc');
  });

  it('--master overrides the kubeconfig\'s server and keeps its user; an http:// server is allowed', () => {
    const { kc, server } = loadKubeConfig({ kubeconfig, master: 'http://127.0.0.1:8080' });
    assert.equal(server, 'http://127.0.0.1:8080');
    assert.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:8080');
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true);
    assert.equal(kc.getCurrentUser()?.token, 'abc');
  });

  it('--master alone: that server, no credentials', () => {
    const { kc, source } = loadKubeConfig({ master: 'https://192.0.2.1:6443' });
    assert.equal(source, 'master');
    assert.equal(kc.getCurrentCluster()?.server, 'https://192.0.2.1:6443');
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, false);
  });

  it('neither: the in-cluster service account, or a clear error outside a pod', () => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    assert.throws(() => loadKubeConfig({}), /neither --kubeconfig nor --master was given, and this is not a pod/);
    process.env.KUBERNETES_SERVICE_HOST = '192.0.2.10';
    process.env.KUBERNETES_SERVICE_PORT = '6443';
    const { source, server } = loadKubeConfig({});
    assert.equal(source, 'in-cluster');
    assert.equal(server, 'https://192.0.2.10:6443');
  });

  it('a kubeconfig that cannot be read says which', () => {
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') }), /cannot load kubeconfig .*nope/);
  });
});
