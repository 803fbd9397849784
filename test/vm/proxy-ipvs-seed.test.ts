// The seed's setup end to end, verbatim: the test cluster, three pods
// labelled app: nginx, the nginx Service applied with the real kubectl, and
// the real dataplane-proxy process started in the node's namespace with
// `--proxy-mode=ipvs --ipvs-scheduler=rr --ipvs-min-sync-period=5s
// --ipvs-sync-period=30s`. The real ipvsadm and `dataplane ipvs list -n`
// read the table back; real connections from outside show the affinity.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';

import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import { ProxyProcess, runProxy } from '../fixtures/proxy/process.js';
import { ProxyTopology } from '../fixtures/proxy/topology.js';
import { NGINX_SERVICE } from '../fixtures/nginx-service.js';
import { until } from '../fixtures/proxy-ipvs/oracle.js';

const SEED_FLAGS = ['--proxy-mode=ipvs', '--ipvs-scheduler=rr', '--ipvs-min-sync-period=5s', '--ipvs-sync-period=30s'];

describe('dataplane-proxy --proxy-mode=ipvs: the seed, verbatim', function () {
  this.timeout(300_000);
  let topo: ProxyTopology;
  let cluster: TestCluster;
  let proxy: ProxyProcess | undefined;
  let clusterIP = '';
  const inNode = (cmd: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', topo.nodeNs, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Asynchronous: the test cluster answers from this very process.
  const kubectl = (...args: string[]) => new Promise<string>((resolve, reject) => {
    const p = execFile('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], (e, out, err) => (e ? reject(new Error(`kubectl ${args.join(' ')}: ${err}`)) : resolve(out)));
    p.stdin!.end(NGINX_SERVICE);
  });

  before(async () => {
    topo = await ProxyTopology.create({ localPods: 3, remotePods: 0 });
    await topo.serve({ tcp: [80] });
    cluster = await startTestCluster({ host: topo.apiHost });
    cluster.createNode({ name: 'node-a', internalIPs: [topo.nodeIPs['node-a'][4], topo.nodeIPs['node-a'][6]] });
    topo.pods.forEach((p, i) => cluster.createPod({
      name: `nginx-${i + 1}`, labels: { app: 'nginx' }, nodeName: 'node-a', ips: [p.ipv4, p.ipv6], ports: [{ containerPort: 80 }],
    }));
    await kubectl('apply', '-f', '-');
    clusterIP = await kubectl('get', 'service', 'nginx-service', '-o', 'jsonpath={.spec.clusterIP}');
    proxy = ProxyProcess.start(topo.nodeNs, [...SEED_FLAGS, `--kubeconfig=${cluster.kubeconfigPath}`, '--hostname-override=node-a',
      '--cluster-cidr=10.244.0.0/16', '--healthz-bind-address=127.0.0.1:10256', '-v=2']);
    // Under TCG the proxy's start (client-node's import above all) takes 15-70 s.
    await proxy.waitFor((l) => l.msg === 'Synced', 240_000);
  });

  after(async () => {
    await proxy?.stop();
    await cluster?.stop();
    await topo?.destroy();
  });

  it(`ipvsadm -Ln shows TCP <clusterIP>:80 rr persistent 50 with the three pods as Masq weight 1 real servers`, async () => {
    const want = [
      `TCP  ${clusterIP}:80 rr persistent 50`,
      ...topo.pods.map((p) => `  -> ${`${p.ipv4}:80`.padEnd(28)} Masq    1      0          0`).sort(),
    ];
    const table = await until('the nginx Service in ipvsadm -Ln', () => {
      const lines = inNode('ipvsadm', '-Ln').split('\n').map((l) => l.trimEnd());
      const at = lines.indexOf(want[0]!);
      return at >= 0 && lines.slice(at + 1, at + 4).length === 3 ? lines : undefined;
    });
    const at = table.indexOf(want[0]!);
    assert.deepEqual([table[at], ...table.slice(at + 1, at + 4).sort()], want);
    assert.match(inNode('ip', 'addr', 'show', 'dev', 'kube-ipvs0'), new RegExp(`inet ${clusterIP.replaceAll('.', '\\.')}/32 `));
  });

  it('dataplane ipvs list -n prints what ipvsadm -Ln prints', () => {
    // Synchronous is fine here: neither side talks to the test cluster.
    const ours = execFileSync('ip', ['netns', 'exec', topo.nodeNs, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'ipvs', 'list', '-n'], { encoding: 'utf8' });
    assert.equal(ours, inNode('ipvsadm', '-Ln'));
  });

  it('connections from one client stick to one pod; connections from several clients spread round robin', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((await topo.client.tcp(clusterIP, 80)).reply!.split(' ')[0]!);
    assert.equal(new Set(seen).size, 1, `one client, one pod: ${seen.join(',')}`);
    const firsts = [seen[0]!];
    for (const p of topo.pods.slice(0, 2)) {
      const mine = [(await p.agent.tcp(clusterIP, 80)).reply!, (await p.agent.tcp(clusterIP, 80)).reply!].map((r) => r.split(' ')[0]!);
      assert.equal(new Set(mine).size, 1, `${p.name}: ${mine.join(',')}`);
      firsts.push(mine[0]!);
    }
    assert.equal(new Set(firsts).size, 3, `three clients on three pods: ${firsts.join(',')}`);
    // The affinity is a persistence template in IPVS's connection table (client port 0), 50 s at most to live.
    const hex = topo.clientIPs[4].split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).join('');
    const template = inNode('cat', '/proc/net/ip_vs_conn').split('\n').map((l) => l.trim().split(/\s+/))
      .find((f) => f[0] === 'TCP' && f[1] === hex && f[2] === '0000');
    assert.ok(template !== undefined, 'a persistence template for the client');
    const expires = Number(template[8]);
    assert.ok(expires > 0 && expires <= 50, `expires in ${expires} s`);
  });

  it('--cleanup leaves no virtual server, no kube-ipvs0 and no table', async () => {
    await proxy!.stop();
    proxy = undefined;
    const r = runProxy(topo.nodeNs, ['--cleanup', '-v=2']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(inNode('ipvsadm', '-Sn'), '');
    assert.throws(() => inNode('ip', 'link', 'show', 'dev', 'kube-ipvs0'));
    assert.doesNotMatch(inNode('nft', 'list', 'tables'), /dataplane-ipvs/);
  });
});
