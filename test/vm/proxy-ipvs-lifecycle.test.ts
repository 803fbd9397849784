// IpvsBackend over time, on the VM's real IPVS with live TCP connections:
// graceful drain of a removed pod and its return, full syncs and a restart
// with connections open, foreign changes repaired by a full sync but left
// alone by a partial one, the sysctls and timeouts setup writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { IpvsBackend } from '../../src/proxy/backend/ipvs/index.js';
import { sh } from '../helpers.js';
import { answer, type Client } from '../fixtures/proxy-ipvs/agents.js';
import { ipvsadmService, linkAddresses, nftSet, realServers, until } from '../fixtures/proxy-ipvs/oracle.js';
import { backendOptions, endpoint, Model, service } from '../fixtures/proxy-ipvs/state.js';
import { NODE_IP, Topology, type Pod } from '../fixtures/proxy-ipvs/topology.js';

const FULL = { full: true, changed: new Set<string>() };
const partial = (...keys: string[]) => ({ full: false, changed: new Set(keys) });
const IPVS_SYSCTLS = ['net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_nodest_conn', 'net/ipv4/vs/expire_quiescent_template', 'net/ipv4/ip_forward'];
const sysctl = (name: string) => readFileSync(`/proc/sys/${name}`, 'utf8').trim();

describe('IPVS proxy backend over time', function () {
  this.timeout(120_000);
  let topo: Topology;
  let backend: IpvsBackend;
  let outside: Client;
  let pod1: Pod, pod2: Pod;
  const model = new Model();
  const drainSvc = () => service('default/drain', { clusterIP: '10.96.2.1', port: 80 });
  const webSvc = () => service('default/web', { clusterIP: '10.96.2.2', port: 80, nodePort: 30090 });
  const otherSvc = () => service('default/other', { clusterIP: '10.96.2.3', port: 80 });

  before(async () => {
    topo = await Topology.create(2);
    [pod1, pod2] = topo.pods as [Pod, Pod];
    outside = topo.client(topo.outside);
    // syncPeriod 1 s: draining real servers are checked every second.
    backend = new IpvsBackend(backendOptions(), { scheduler: 'rr', syncPeriod: 1000, tcpTimeout: 900_000, tcpFinTimeout: 30_000, udpTimeout: 60_000, strictARP: true });
    await backend.cleanup();
    for (const name of [...IPVS_SYSCTLS, 'net/ipv4/conf/all/arp_ignore', 'net/ipv4/conf/all/arp_announce']) sh('sysctl', ['-qw', `${name.replaceAll('/', '.')}=0`]);
    await backend.setup();
    model.set(drainSvc(), [endpoint(pod1.ip[4], 80), endpoint(pod2.ip[4], 80)]);
    model.set(webSvc(), [endpoint(pod1.ip[4], 80), endpoint(pod2.ip[4], 80)]);
    model.set(otherSvc(), [endpoint(pod1.ip[4], 80)]);
    await backend.sync(model.state, FULL);
  });

  after(async () => {
    await backend?.cleanup();
    await backend?.close();
    topo?.destroy();
  });

  it('setup wrote kube-proxy\'s IPVS sysctls (strict ARP too) and the IPVS timeouts', () => {
    for (const name of IPVS_SYSCTLS) {
      assert.equal(sysctl(name), '1', name);
    }
    assert.equal(sysctl('net/ipv4/conf/all/arp_ignore'), '1');
    assert.equal(sysctl('net/ipv4/conf/all/arp_announce'), '2');
    assert.match(sh('ipvsadm', ['-L', '--timeout']), /Timeout \(tcp tcpfin udp\): 900 30 60/);
  });

  it('graceful drain: a removed pod keeps its established connection at weight 0, gets no new ones, is restored at once when it returns, and goes once its connection ends', async () => {
    // Find a long-lived connection on each pod.
    const on = new Map<string, string>();
    for (let i = 0; on.size < 2 && i < 6; i++) on.set(answer(await outside.open(`D${i}`, 'tcp', '10.96.2.1', 80)).pod, `D${i}`);
    const conn = on.get('pod1')!;
    const key = model.set(drainSvc(), [endpoint(pod2.ip[4], 80)]);
    await backend.sync(model.state, partial(key));
    assert.deepEqual(realServers('TCP 10.96.2.1:80'), [`${pod1.ip[4]}:80 Masq 0`, `${pod2.ip[4]}:80 Masq 1`]);
    assert.equal(answer(await outside.send(conn)).pod, 'pod1', 'the established connection goes on');
    assert.deepEqual(await outside.pods('tcp', '10.96.2.1', 80, 4), ['pod2', 'pod2', 'pod2', 'pod2']);

    model.set(drainSvc(), [endpoint(pod1.ip[4], 80), endpoint(pod2.ip[4], 80)]);
    await backend.sync(model.state, partial(key));
    assert.deepEqual(realServers('TCP 10.96.2.1:80'), [`${pod1.ip[4]}:80 Masq 1`, `${pod2.ip[4]}:80 Masq 1`], 'restored at once');
    assert.equal(backend.draining, 0);
    assert.equal(answer(await outside.send(conn)).pod, 'pod1');

    model.set(drainSvc(), [endpoint(pod2.ip[4], 80)]);
    await backend.sync(model.state, partial(key));
    assert.equal(backend.draining, 1);
    await backend.checkDraining();
    assert.deepEqual(realServers('TCP 10.96.2.1:80'), [`${pod1.ip[4]}:80 Masq 0`, `${pod2.ip[4]}:80 Masq 1`], 'still draining');
    for (const c of on.values()) await outside.close(c, true);
    // A reset connection leaves IPVS's CLOSE state after 10 s; the periodic check then deletes the real server.
    await until('the drained real server to be deleted', () => (realServers('TCP 10.96.2.1:80')!.length === 1 ? true : undefined), 30);
    assert.deepEqual(realServers('TCP 10.96.2.1:80'), [`${pod2.ip[4]}:80 Masq 1`]);
    assert.equal(backend.draining, 0);
  });

  it('full syncs and a restarted backend break none of the live connections', async () => {
    const conns: [string, string, number][] = [['W1', '10.96.2.2', 80], ['W2', '10.96.2.2', 80], ['N1', NODE_IP[4], 30090], ['N2', NODE_IP[4], 30090]];
    const pods = new Map<string, string>();
    for (const [c, host, port] of conns) pods.set(c, answer(await outside.open(c, 'tcp', host, port)).pod);
    try {
      await backend.sync(model.state, FULL);
      await backend.sync(model.state, FULL);
      await backend.close();
      backend = new IpvsBackend(backendOptions(), { scheduler: 'rr' });
      await backend.setup();
      await backend.sync(model.state, FULL);
      for (const [c] of conns) assert.equal(answer(await outside.send(c)).pod, pods.get(c), c);
      assert.deepEqual(realServers('TCP 10.96.2.2:80'), [`${pod1.ip[4]}:80 Masq 1`, `${pod2.ip[4]}:80 Masq 1`]);
    } finally {
      for (const [c] of conns) await outside.close(c, true);
    }
  });

  it('a partial sync leaves other services alone; a full sync repairs everything changed behind its back', async () => {
    const before = { web: ipvsadmService('TCP 10.96.2.2:80'), other: realServers('TCP 10.96.2.3:80'), addrs: linkAddresses('kube-ipvs0') };
    sh('ipvsadm', ['-D', '-t', '10.96.2.3:80']);
    sh('ipvsadm', ['-e', '-t', '10.96.2.2:80', '-r', `${pod1.ip[4]}:80`, '-m', '-w', '7']);
    sh('ipvsadm', ['-E', '-t', '10.96.2.2:80', '-s', 'wlc']);
    sh('ipvsadm', ['-A', '-t', '10.96.9.9:80', '-s', 'rr']);
    sh('ip', ['addr', 'add', '10.96.9.9/32', 'dev', 'kube-ipvs0']);
    sh('ip', ['addr', 'del', '10.96.2.2/32', 'dev', 'kube-ipvs0']);
    sh('nft', ['delete', 'element', 'ip', 'dataplane-ipvs', 'cluster-ips', '{ 10.96.2.3 . tcp . 80 }']);

    const key = model.set(drainSvc(), [endpoint(pod1.ip[4], 80), endpoint(pod2.ip[4], 80)]);
    await backend.sync(model.state, partial(key));
    assert.equal(ipvsadmService('TCP 10.96.2.3:80'), undefined, 'the partial sync did not touch other services');
    assert.equal(ipvsadmService('TCP 10.96.2.2:80')?.flags, 'wlc');

    await backend.sync(model.state, FULL);
    assert.equal(ipvsadmService('TCP 10.96.2.2:80')?.flags, before.web?.flags);
    assert.deepEqual(realServers('TCP 10.96.2.2:80'), [`${pod1.ip[4]}:80 Masq 1`, `${pod2.ip[4]}:80 Masq 1`]);
    assert.deepEqual(realServers('TCP 10.96.2.3:80'), before.other);
    assert.equal(ipvsadmService('TCP 10.96.9.9:80'), undefined, 'a foreign virtual server is removed');
    assert.deepEqual(linkAddresses('kube-ipvs0'), before.addrs);
    assert.match(nftSet('ip', 'cluster-ips'), /10\.96\.2\.3 \. tcp \. 80/);
    assert.equal(answer((await outside.connect('tcp', '10.96.2.3', 80))[0]!).pod, 'pod1');
  });

  it('--ipvs-exclude-cidrs: virtual servers there survive full syncs and cleanup', async () => {
    sh('ipvsadm', ['-A', '-t', '172.30.0.1:80', '-s', 'rr']);
    try {
      const keep = new IpvsBackend(backendOptions(), { scheduler: 'rr', excludeCIDRs: ['172.30.0.0/16'] });
      try {
        await keep.sync(model.state, FULL);
        assert.notEqual(ipvsadmService('TCP 172.30.0.1:80'), undefined);
        await keep.cleanup();
        assert.notEqual(ipvsadmService('TCP 172.30.0.1:80'), undefined);
        assert.equal(ipvsadmService('TCP 10.96.2.2:80'), undefined);
      } finally {
        await keep.close();
      }
    } finally {
      sh('ipvsadm', ['-D', '-t', '172.30.0.1:80']);
    }
  });
});
