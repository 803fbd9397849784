// dataplane-proxy --proxy-mode=iptables end to end: the real proxy process
// in a node's namespace, the test cluster over a real link, pods and an
// outside client in their own namespaces, real packets; iptables-legacy-save
// as the oracle of what the proxy wrote. (Which packet goes where through
// each path is test/host/proxy-iptables.test.ts.)
import assert from 'node:assert/strict';

import { sh } from '../helpers.js';
import { answers, clusterIPs, echoService, eventually, startE2E, uniq, type E2E } from '../fixtures/proxy/harness.js';
import { runProxy } from '../fixtures/proxy/process.js';


/** iptables-legacy-save (or ip6tables-legacy-save) of the node, less its comment lines. */
function save(ns: string, family: 4 | 6 = 4, table = 'nat'): string {
  return sh('ip', ['netns', 'exec', ns, family === 4 ? 'iptables-legacy-save' : 'ip6tables-legacy-save', '-t', table])
    .split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

describe('proxy e2e, iptables mode', function () {
  this.timeout(90_000);
  let e: E2E;
  afterEach(async () => { await e?.stop(); });

  it('a new Service works from outside and from a pod, IPv4 and IPv6; a deleted pod leaves it at the next sync; /proxyMode says iptables', async () => {
    e = await startE2E({ mode: 'iptables', localPods: 2, remotePods: 1 });
    assert.equal((await e.get('/proxyMode', 10249)).body, 'iptables');
    e.cluster.apply(echoService('web'));
    const [v4, v6] = clusterIPs(e.cluster, 'web');
    await eventually(() => answers(e.topo.client, v4!, 80, 20), (a) => uniq(a).length === 3);
    assert.deepEqual(uniq(await answers(e.topo.pod('pod-a0').agent, v6!, 80, 30)), ['pod-a0', 'pod-a1', 'pod-b0']);
    assert.match(save(e.topo.nodeNs), new RegExp(`-A DP-SERVICES -d ${v4!.replaceAll('.', '\\.')}/32 -p tcp -m comment --comment "default/web:tcp cluster IP" -m tcp --dport 80 -j DP-SVC-`));
    assert.match(save(e.topo.nodeNs, 6), /-A DP-SERVICES -d fd00:.*\/128 -p udp -m comment --comment "default\/web:udp cluster IP" -m udp --dport 53 -j DP-SVC-/);
    const synced = e.proxy.nextSync();
    e.cluster.deletePod('pod-a1', 'default', 0);
    await e.cluster.settle();
    await synced;
    await eventually(() => answers(e.topo.client, v4!, 80, 20), (a) => !a.includes('pod-a1'), 3000);
    const gone = e.topo.pod('pod-a1').ipv4;
    assert.doesNotMatch(save(e.topo.nodeNs), new RegExp(`--to-destination ${gone.replaceAll('.', '\\.')}:`), 'its endpoint chains went with it');
    assert.match(save(e.topo.nodeNs), new RegExp(`--to-destination ${e.topo.pod('pod-a0').ipv4.replaceAll('.', '\\.')}:`));
  });

  it('a tampered table is repaired by the next periodic full sync', async () => {
    e = await startE2E({ mode: 'iptables', localPods: 2, remotePods: 0, proxyArgs: ['--iptables-sync-period=3s'] });
    e.cluster.apply(echoService('web'));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => e.topo.client.tcp(ip!, 80), (a) => a.ok);
    sh('ip', ['netns', 'exec', e.topo.nodeNs, 'iptables-legacy', '-t', 'nat', '-F', 'DP-SERVICES']);
    assert.equal((await e.topo.client.tcp(ip!, 80, 500)).ok, false, 'flushed: the ClusterIP answers nothing');
    await eventually(() => e.topo.client.tcp(ip!, 80, 300), (a) => a.ok, 8000);
    assert.deepEqual(uniq(await answers(e.topo.client, ip!, 80, 20)), ['pod-a0', 'pod-a1']);
  });

  it('a Local LoadBalancer\'s healthCheckNodePort is let in by filter DP-NODEPORTS on a node whose INPUT policy is DROP', async () => {
    e = await startE2E({ mode: 'iptables', localPods: 2, remotePods: 0 });
    // A locked-down node: only loopback, the API server and replies get in (the proxy's own jumps go first in INPUT).
    // (The API server by address: its connection began before conntrack ran in the namespace.)
    for (const rule of [['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'], ['-A', 'INPUT', '-s', e.topo.apiHost, '-j', 'ACCEPT'],
      ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'], ['-P', 'INPUT', 'DROP']]) {
      sh('ip', ['netns', 'exec', e.topo.nodeNs, 'iptables-legacy', ...rule]);
    }
    e.cluster.apply(echoService('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    const port = e.cluster.get('Service', 'lb')!.spec.healthCheckNodePort as number;
    const url = `http://${e.topo.nodeIPs['node-a'][4]}:${port}/`;
    const ok = await eventually(() => e.topo.client.http(url, 500), (a) => a.ok && a.status === 200);
    assert.equal(JSON.parse(ok.body!).localEndpoints, 2);
    assert.match(save(e.topo.nodeNs, 4, 'filter'), new RegExp(`-A DP-NODEPORTS -p tcp -m comment --comment "default/lb:tcp health check node port" -m tcp --dport ${port} -j ACCEPT`));
    // The proxy's /metrics port has no accept: the DROP policy holds for it.
    assert.equal((await e.topo.client.http(`http://${e.topo.nodeIPs['node-a'][4]}:10249/metrics`, 500)).ok, false);
  });

  it('--cleanup removes every DP- chain and jump in both families, leaves the rest, and exits 0', async () => {
    e = await startE2E({ mode: 'iptables', localPods: 1, remotePods: 0 });
    sh('ip', ['netns', 'exec', e.topo.nodeNs, 'iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.9.0.0/16', '-j', 'RETURN']);
    e.cluster.apply(echoService('web', { type: 'NodePort' }));
    const [ip] = clusterIPs(e.cluster, 'web');
    await eventually(() => e.topo.client.tcp(ip!, 80), (a) => a.ok);
    assert.match(save(e.topo.nodeNs), /-A DP-NODEPORTS /);
    // kube-proxy's default --iptables-localhost-nodeports=true: the NodePort answers on 127.0.0.1 inside the node too.
    const nodePort = (e.cluster.get('Service', 'web')?.spec?.ports as { port: number; nodePort: number }[]).find((p) => p.port === 80)!.nodePort;
    assert.equal((await e.topo.node.tcp('127.0.0.1', nodePort, 1500)).ok, true, `127.0.0.1:${nodePort}`);
    assert.equal(sh('ip', ['netns', 'exec', e.topo.nodeNs, 'cat', '/proc/sys/net/ipv4/conf/all/route_localnet']).trim(), '1');
    assert.match(save(e.topo.nodeNs, 4, 'filter'), /-A DP-FIREWALL ! -s 127\.0\.0\.0\/8 -d 127\.0\.0\.0\/8 .* -j DROP/);
    assert.equal(await e.proxy.stop(), 0);
    const r = runProxy(e.topo.nodeNs, ['--cleanup']);
    assert.equal(r.status, 0, r.stderr);
    for (const family of [4, 6] as const) {
      for (const table of ['nat', 'filter']) assert.doesNotMatch(save(e.topo.nodeNs, family, table), /DP-/, `${family} ${table}`);
    }
    assert.match(save(e.topo.nodeNs), /-A POSTROUTING -s 10\.9\.0\.0\/16 -j RETURN/);
    assert.equal((await e.topo.client.tcp(ip!, 80, 500)).ok, false);
    assert.equal(runProxy(e.topo.nodeNs, ['--cleanup']).status, 0, 'a second cleanup finds nothing and succeeds');
  });
});
