// What the proxier keeps per service port key between syncs: the Local
// policies without local endpoints, and the health check ports with their
// local endpoint counts (a dual-stack pod counts once).
import assert from 'node:assert/strict';

import { HealthCheckPorts, NoLocalEndpoints } from '../../src/proxy/sync-stats.js';
import { endpoint, node, servicePort } from '../fixtures/proxy/model.js';

describe('proxy: per-key sync statistics', () => {
  it('counts Local-policy service ports whose endpoints are all elsewhere, per family, updated key by key', () => {
    const n = new NoLocalEndpoints();
    const itp = servicePort({ name: 'a', internalPolicyLocal: true });
    const etp = servicePort({ name: 'b', externalPolicyLocal: true, nodePort: 30080, family: 6 });
    const remote = [endpoint('10.0.0.1:80')];
    n.update(itp.key, itp, remote, node());
    n.update(etp.key, etp, [endpoint('[fd00::1]:80')], node());
    assert.deepEqual(n.counts(4), { internal: 1, external: 0 });
    assert.deepEqual(n.counts(6), { internal: 0, external: 1 });
    n.update(itp.key, itp, [endpoint('10.0.0.1:80', { isLocal: true })], node());
    assert.deepEqual(n.counts(4), { internal: 0, external: 0 });
    n.update(etp.key, undefined, [], node());
    assert.deepEqual(n.counts(6), { internal: 0, external: 0 });
    n.update(itp.key, itp, [], node());
    assert.deepEqual(n.counts(4), { internal: 0, external: 0 }, 'no endpoints at all is not "no local endpoints"');
  });

  it('health check ports: one per Service, ready local endpoints counted once per pod across families and ports', () => {
    const h = new HealthCheckPorts();
    const http4 = servicePort({ name: 'lb', portName: 'http', healthCheckNodePort: 31000 });
    const https4 = servicePort({ name: 'lb', portName: 'https', healthCheckNodePort: 31000 });
    const http6 = servicePort({ name: 'lb', portName: 'http', family: 6, healthCheckNodePort: 31000 });
    assert.equal(h.update(http4.key, http4, [endpoint('10.0.0.1:80', { isLocal: true }), endpoint('10.0.0.2:80', { isLocal: true }), endpoint('10.0.0.3:80')]), true);
    h.update(https4.key, https4, [endpoint('10.0.0.1:443', { isLocal: true })]);
    h.update(http6.key, http6, [endpoint('[fd00::1]:80', { isLocal: true }), endpoint('[fd00::2]:80', { isLocal: true, ready: false })]);
    assert.deepEqual(h.ports(), new Map([['ns/lb', 31000]]));
    assert.deepEqual(h.counts(), new Map([['ns/lb', 2]]));
    assert.equal(h.update('ns/other/tcp', servicePort({ name: 'other' }), []), false, 'a service port without a health check does not matter');
    for (const sp of [http4, https4, http6]) h.update(sp.key, undefined, []);
    assert.deepEqual(h.ports(), new Map());
  });
});
