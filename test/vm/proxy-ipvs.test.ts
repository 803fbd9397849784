// IpvsBackend driven directly with hand-built ProxyState, on the real IPVS of
// the VM's kernel, with real TCP/UDP/SCTP connections between namespaces:
// the node is this process's namespace (IPVS mode writes /proc/sys there),
// pods and an outside client are namespaces of their own.
import assert from 'node:assert/strict';

import { IpvsBackend } from '../../src/proxy/backend/ipvs/index.js';
import { answer, type Client } from '../fixtures/proxy-ipvs/agents.js';
import { ipvsadmList, ipvsadmService, linkAddresses, linkExists, nftTables } from '../fixtures/proxy-ipvs/oracle.js';
import { backendOptions, endpoint, Model, service } from '../fixtures/proxy-ipvs/state.js';
import { Topology } from '../fixtures/proxy-ipvs/topology.js';

const FULL = { full: true, changed: new Set<string>() };

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

  it('connections from several clients spread round robin, each client sticking to its pod', async () => {
    const clients = [outside, topo.client(topo.pod('pod1').ns), topo.client(topo.pod('pod2').ns)];
    const first = [];
    for (const c of clients) {
      const pods = await c.pods('tcp', '10.96.0.10', 80, 3);
      assert.equal(new Set(pods).size, 1, `one client, one pod: ${pods.join(',')}`);
      first.push(pods[0]!);
    }
    assert.equal(new Set(first).size, 3, `three clients on three pods: ${first.join(',')}`);
  });

  describe('each scheduler, observed with real connections', () => {
    const svc = () => service('default/sched', { clusterIP: '10.96.0.20', port: 80 });
    let other: Client;
    before(() => {
      other = topo.client(topo.pod('pod3').ns);
      model.set(svc(), topo.pods.map((p) => endpoint(p.ip[4], 80)));
    });

    async function use(scheduler: string): Promise<void> {
      await backend.close();
      backend = new IpvsBackend(backendOptions(), { scheduler });
      await backend.setup();
      await backend.sync(model.state, FULL);
      assert.equal(ipvsadmService('TCP 10.96.0.20:80')?.flags, scheduler);
    }

    it('rr: new connections take the pods in turn', async () => {
      await use('rr');
      const pods = await outside.pods('tcp', '10.96.0.20', 80, 6);
      assert.deepEqual(pods.slice(3), pods.slice(0, 3), pods.join(','));
      assert.equal(new Set(pods.slice(0, 3)).size, 3, pods.join(','));
    });

    it('sh: each client keeps to one pod (source hashing)', async () => {
      await use('sh');
      for (const c of [outside, other]) {
        const pods = await c.pods('tcp', '10.96.0.20', 80, 5);
        assert.equal(new Set(pods).size, 1, pods.join(','));
      }
    });

    it('dh: every client goes to the one pod the destination hashes to', async () => {
      await use('dh');
      const pods = [...await outside.pods('tcp', '10.96.0.20', 80, 4), ...await other.pods('tcp', '10.96.0.20', 80, 4)];
      assert.equal(new Set(pods).size, 1, pods.join(','));
    });

    for (const scheduler of ['lc', 'sed', 'nq']) {
      it(`${scheduler}: new connections go away from the pods holding long-lived ones`, async () => {
        await use(scheduler);
        const held = [answer(await outside.open('L1', 'tcp', '10.96.0.20', 80)).pod, answer(await outside.open('L2', 'tcp', '10.96.0.20', 80)).pod];
        try {
          assert.notEqual(held[0], held[1], `the second long-lived connection avoids the first one's pod: ${held.join(',')}`);
          const free = topo.pods.map((p) => p.name).find((n) => !held.includes(n))!;
          assert.deepEqual(await outside.pods('tcp', '10.96.0.20', 80, 4), [free, free, free, free]);
        } finally {
          await outside.close('L1', true);
          await outside.close('L2', true);
        }
      });
    }
  });

  it('an unknown scheduler fails setup with a clear error', async () => {
    const bad = new IpvsBackend(backendOptions(), { scheduler: 'nosuch' });
    try {
      await assert.rejects(bad.setup(), /unknown IPVS scheduler "nosuch": the kernel has no ip_vs_nosuch module/);
    } finally {
      await bad.close();
    }
  });

  describe('at the end', () => {
    it('cleanup removes every virtual server, kube-ipvs0 and our tables', async () => {
      await backend.cleanup();
      assert.deepEqual([...ipvsadmList().keys()], []);
      assert.equal(linkExists('kube-ipvs0'), false);
      assert.deepEqual(nftTables().filter((t) => t.includes('dataplane-ipvs')), []);
    });
  });
});
