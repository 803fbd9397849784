// The first half of the demo: the machines (namespaces, pods' servers, the
// client), the control plane (the test cluster, with the Node and Pods
// reported as kubelets would) and dataplane-proxy on the node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { startTestCluster, type TestCluster } from '../../src/testing/index.js';
import type { Cleanup } from './cleanup.js';
import { Kubectl } from './kubectl.js';
import type { DemoMode } from './modes.js';
import { buildNetwork, type DemoNet } from './network.js';
import { Client, startPodServer } from './processes.js';
import { ProxyProcess, proxyEntry, ROOT } from './proxy.js';
import { duration, type Say } from './say.js';

export const NODE_NAME = 'node-1';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const POD_NAMES = ['nginx-1', 'nginx-2', 'nginx-3'];
export const POD_PORT = 80;

/** Everything the demo runs, for the steps that follow. */
export interface Demo {
  readonly say: Say;
  readonly cleanup: Cleanup;
  readonly mode: DemoMode;
  /** The demo's temporary directory (kubeconfig, manifests, the proxy's log). */
  readonly dir: string;
  readonly net: DemoNet;
  readonly cluster: TestCluster;
  readonly kubectl: Kubectl;
  readonly client: Client;
  readonly proxy: ProxyProcess;
  /** Stops a pod's HTTP server, by pod name. */
  readonly stopServer: Map<string, () => Promise<void>>;
}

/** Step 1: namespaces, the pods' HTTP servers, the client. */
async function machines(say: Say, cleanup: Cleanup): Promise<{ net: DemoNet; client: Client; stopServer: Map<string, () => Promise<void>> }> {
  say.step('A node, three pods and a client: network namespaces on this machine');
  const net = await buildNetwork(`dpdemo-${process.pid}`, POD_NAMES, cleanup);
  const stops = await Promise.all(net.pods.map((p) => startPodServer(p.ns, p.name, POD_PORT, cleanup)));
  const stopServer = new Map(net.pods.map((p, i) => [p.name, stops[i]!]));
  const client = await Client.start(net.clientNs, cleanup);
  const w = Math.max(...[net.nodeNs, net.clientNs, ...net.pods.map((p) => p.ns)].map((n) => n.length)) + 2;
  say.text(`${net.nodeNs.padEnd(w)}the node, ${net.nodeIP}: dataplane-proxy will run here`);
  for (const p of net.pods) say.text(`${p.ns.padEnd(w)}pod ${p.name}, ${p.ip}: an HTTP server on port ${POD_PORT} that answers "${p.name}"`);
  say.text(`${net.clientNs.padEnd(w)}a client outside the cluster, ${net.clientIP}, routed through the node`);
  say.text('Links and addresses are made with the library (Rtnl: veth pairs, addresses, links up);',
    '`ip netns add` and `ip route` do the rest.');
  return { net, client, stopServer };
}

/** Step 2: the test cluster, with the node and the pods registered. */
async function controlPlane(say: Say, net: DemoNet, dir: string, cleanup: Cleanup): Promise<TestCluster> {
  say.step('A Kubernetes API server: the built-in test cluster');
  const cluster = await startTestCluster({ host: net.apiHost, kubeconfigPath: join(dir, 'kubeconfig') });
  cleanup.add('the test cluster', () => cluster.stop());
  cluster.createNode({ name: NODE_NAME, internalIPs: [net.nodeIP], podCIDRs: [net.podCIDR] });
  for (const p of net.pods) {
    cluster.createPod({
      name: p.name, labels: { app: 'nginx' }, nodeName: NODE_NAME, ips: [p.ip],
      ports: [{ name: 'http', containerPort: POD_PORT }], terminationGracePeriodSeconds: 1,
    });
  }
  say.text('dataplane/testing serves the Kubernetes API from memory (no etcd, no kube-apiserver); kubectl and',
    'client libraries talk to it as to a real cluster. The node reaches it over a veth.',
    `API server  ${cluster.url}`,
    `kubeconfig  ${cluster.kubeconfigPath}`,
    'Registered as their kubelets would report them:',
    `  Node ${NODE_NAME}: InternalIP ${net.nodeIP}, podCIDR ${net.podCIDR}, Ready`,
    `  Pods ${POD_NAMES.join(', ')}: label app=nginx, Running and Ready, status.podIP = their namespace's address`);
  return cluster;
}

/** Step 3: dataplane-proxy in the node's namespace, until its first full sync. */
async function startProxy(say: Say, mode: DemoMode, net: DemoNet, dir: string, kubeconfig: string, cleanup: Cleanup): Promise<ProxyProcess> {
  say.step(`dataplane-proxy, our kube-proxy, on the node (${mode.name} mode)`);
  const flags = [`--kubeconfig=${kubeconfig}`, `--hostname-override=${NODE_NAME}`, `--cluster-cidr=${CLUSTER_CIDR}`,
    `--proxy-mode=${mode.name}`, ...mode.proxyFlags, '-v=2'];
  const entry = proxyEntry();
  say.command(`ip netns exec ${net.nodeNs} dataplane-proxy ${flags.join(' ')}`);
  say.text('(dataplane-proxy is this package\'s binary, dist/proxy/main.js; `npx dataplane-proxy` runs it here.)');
  if (entry.stale) say.text(`(dist/ is older than src/, so this runs ${relative(ROOT, entry.argv.at(-1)!)} through tsx; npm run build:ts refreshes dist/)`);
  const started = Date.now();
  const logPath = join(dir, 'proxy.log');
  const proxy = ProxyProcess.start(net.nodeNs, entry.argv, flags, logPath, cleanup);
  const synced = await proxy.waitFor((l) => l.msg === 'Synced' && l.full === true, 180_000); // under the VM harness's TCG, starting takes up to a minute or more
  say.text('It watches Services, EndpointSlices and its own Node, and programs the node\'s kernel to match.',
    `Its first full sync was done ${duration(Date.now() - started)} after start (the sync itself: ${duration(Number(synced.ms))}).`,
    `Its log: ${logPath}`);
  return proxy;
}

/** Steps 1 to 3; everything made is registered with `cleanup`. */
export async function setUp(say: Say, mode: DemoMode, kubectlPath: string, applyFlags: string[], cleanup: Cleanup): Promise<Demo> {
  const dir = mkdtempSync(join(tmpdir(), `dpdemo-${process.pid}-`));
  cleanup.add(`the directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const { net, client, stopServer } = await machines(say, cleanup);
  const cluster = await controlPlane(say, net, dir, cleanup);
  const kubectl = new Kubectl(kubectlPath, cluster.kubeconfigPath, join(dir, 'kube-cache'), applyFlags);
  const proxy = await startProxy(say, mode, net, dir, cluster.kubeconfigPath, cleanup);
  return { say, cleanup, mode, dir, net, cluster, kubectl, client, proxy, stopServer };
}
