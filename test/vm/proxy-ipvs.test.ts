// IpvsBackend driven directly with hand-built ProxyState, on the real IPVS of
// the VM's kernel, with real TCP/UDP/SCTP connections between namespaces:
// the node is this process's namespace (IPVS mode writes /proc/sys there),
// pods and an outside client are namespaces of their own.
import assert from 'node:assert/strict';

import { IpvsBackend } from '../../src/proxy/backend/ipvs/index.js';
import { answer, type Client } from '../fixtures/proxy-ipvs/agents.js';
import { ipvsadmService, linkAddresses, linkExists, nftTables } from '../fixtures/proxy-ipvs/oracle.js';
import { backendOptions, endpoint, Model, service } from '../fixtures/proxy-ipvs/state.js';
import { OUTSIDE_IP, Topology } from '../fixtures/proxy-ipvs/topology.js';

const FULL = { full: true, changed: new Set<string>() };
const partial = (...keys: string[]) => ({ full: false, changed: new Set(keys) });

describe('IPVS proxy backend: the nginx Service and the schedulers', function () {
  this.timeout(120_000);
  let topo: Topology;
  let backend: IpvsBackend;
  let outside: Client;
  const model = new Model();
  const nginx = () => service('default/nginx-service', { portName: 'http', clusterIP: '10.96.0.10', port: 80, stickyMaxAgeSeconds: 50 });

  before(async () => {
    topo = await Topology.create(3);
    outside = topo.client(topo.outside);
    backend = new IpvsBackend(backendOptions(), { scheduler: 'rr' });
    await backend.cleanup();
    await backend.setup();
  });

  after(async () => {
    await backend?.cleanup();
    await backend?.close();
    topo?.destroy();
  });

  it('shows `TCP 10.96.0.10:80 rr persistent 50` with the three pods as Masq weight 1 real servers, and one client sticks to one pod', async () => {
    model.set(nginx(), topo.pods.map((p) => endpoint(p.ip[4], 80)));
    await backend.sync(model.state, FULL);
    assert.deepEqual(ipvsadmService('TCP 10.96.0.10:80'), {
      flags: 'rr persistent 50',
      dests: topo.pods.map((p) => `${p.ip[4]}:80 Masq 1 0 0`).sort(),
    });
    assert.deepEqual(linkAddresses('kube-ipvs0'), ['10.96.0.10/32']);
    const seen = await outside.connect('tcp', '10.96.0.10', 80, 6);
    const pods = seen.map((r) => answer(r).pod);
    assert.equal(new Set(pods).size, 1, `persistence: ${pods.join(',')}`);
  });

  it('cleanup removes every virtual server, kube-ipvs0 and our tables', async () => {
    await backend.cleanup();
    assert.equal(ipvsadmService('TCP 10.96.0.10:80'), undefined);
    assert.equal(linkExists('kube-ipvs0'), false);
    assert.deepEqual(nftTables().filter((t) => t.includes('dataplane-ipvs')), []);
    void OUTSIDE_IP;
    void partial;
  });
});
