// The demo's network: one network namespace per machine, wired with veths.
//
//   root ns ── dpd<pid> 169.254.X.1/30 ═══ api0 169.254.X.2/30 ─┐
//                                                              node (the proxy runs here)
//   client eth0 192.168.0.100/24 ═══ eth0 192.168.0.2/24 ───────┤
//   pod nginx-N eth0 10.244.1.1N/32 ═══ v-nginx-N 10.244.1.1/32 ┘ (routed, as Calico does)
//
// Namespaces are made with `ip netns add` (the library opens namespaces, it
// does not create them) and routes with `ip route` (the library has no
// routes yet); links, addresses and link state go through the library's
// Rtnl, one netlink socket per namespace.
import { execFileSync } from 'node:child_process';

import { isNotFound, Rtnl } from '../../src/index.js';
import type { Cleanup } from './cleanup.js';

/** A pod's network: its namespace, its address, the node-side link. */
export interface PodNet {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly hostLink: string;
  /** Deletes the pod's namespace now (its veth and the node's route go with it). */
  readonly remove: () => Promise<void>;
}

/** Addresses and names of the demo's machines. */
export interface DemoNet {
  readonly prefix: string;
  readonly nodeNs: string;
  readonly clientNs: string;
  readonly nodeIP: string;
  readonly clientIP: string;
  /** Where the API server listens (root namespace side of the api link). */
  readonly apiHost: string;
  readonly podCIDR: string;
  readonly pods: PodNet[];
}

export const NODE_IP = '192.168.0.2';
export const CLIENT_IP = '192.168.0.100';
export const POD_CIDR = '10.244.1.0/24';
const POD_GATEWAY = '10.244.1.1';
const LAN_ROUTER = '192.168.0.1';

/** Runs `ip ARGS...`; throws with its stderr. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `ip -n NS -batch -` with one command a line. */
function ipBatch(ns: string, lines: string[]): void {
  execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** `ip netns add NAME`, deleted again by the cleanup (`ip netns del NAME`). */
function addNetns(name: string, cleanup: Cleanup): () => Promise<void> {
  ip('netns', 'add', name);
  return cleanup.add(`network namespace ${name}`, () => { ip('netns', 'del', name); });
}

/** Opens an Rtnl handle in `ns` (undefined: this process's), brings `lo` up in a named one, runs `fn`, closes the handle. */
async function inNetns(ns: string | undefined, fn: (rtnl: Rtnl) => Promise<void>): Promise<void> {
  const rtnl = await Rtnl.open(ns === undefined ? {} : { netns: ns });
  try {
    if (ns !== undefined) await rtnl.setLinkUp('lo');
    await fn(rtnl);
  } finally {
    await rtnl.close();
  }
}

/** A 169.254.X.Y/30 no address of the root namespace is in. */
async function freeLinkNet(): Promise<[string, string]> {
  let used = new Set<string>();
  await inNetns(undefined, async (root) => { used = new Set((await root.listAddresses({ family: 4 })).map((a) => a.address)); });
  for (;;) {
    const x = 1 + Math.floor(Math.random() * 253);
    const y = 4 * Math.floor(Math.random() * 63);
    const a = `169.254.${x}.${y + 1}`;
    const b = `169.254.${x}.${y + 2}`;
    if (!used.has(a) && !used.has(b)) return [a, b];
  }
}

/** Builds the node, the client, the api link and a namespace per pod. */
export async function buildNetwork(prefix: string, podNames: string[], cleanup: Cleanup): Promise<DemoNet> {
  const nodeNs = `${prefix}-node`;
  const clientNs = `${prefix}-client`;
  addNetns(nodeNs, cleanup);
  addNetns(clientNs, cleanup);
  const [apiHost, apiNode] = await freeLinkNet();
  const rootLink = `dpd${process.pid}`.slice(0, 15);
  await inNetns(undefined, async (root) => {
    await root.addVeth(rootLink, 'api0', { peerNetns: nodeNs, up: true });
    cleanup.add(`link ${rootLink}`, () => inNetns(undefined, async (r) => {
      await r.deleteLink(rootLink).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    }));
    await root.addAddress(rootLink, `${apiHost}/30`);
  });
  await inNetns(nodeNs, async (node) => {
    await node.addAddress('api0', `${apiNode}/30`);
    await node.setLinkUp('api0');
    await node.addVeth('eth0', 'eth0', { peerNetns: clientNs, up: true });
    await node.addAddress('eth0', `${NODE_IP}/24`);
  });
  await inNetns(clientNs, async (client) => {
    await client.addAddress('eth0', `${CLIENT_IP}/24`);
    await client.setLinkUp('eth0');
  });
  ipBatch(clientNs, [`route add default via ${NODE_IP}`]);
  // A node has a default route (here to a LAN router that is not there), so
  // traffic to a Service IP reaches the forward hook, where the proxy
  // rejects connections to a Service without endpoints; without one the
  // routing lookup drops it first.
  ipBatch(nodeNs, [`route add default via ${LAN_ROUTER}`]);
  // /proc/sys/net is the reader's namespace's: write it from a process in the node.
  ip('netns', 'exec', nodeNs, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
  const pods: PodNet[] = [];
  for (const [i, name] of podNames.entries()) pods.push(await addPod(nodeNs, prefix, name, `10.244.1.${10 + i}`, cleanup));
  return { prefix, nodeNs, clientNs, nodeIP: NODE_IP, clientIP: CLIENT_IP, apiHost, podCIDR: POD_CIDR, pods };
}

/** A pod namespace behind a routed veth of the node (pod side eth0, node side v-NAME). */
async function addPod(nodeNs: string, prefix: string, name: string, ip4: string, cleanup: Cleanup): Promise<PodNet> {
  const ns = `${prefix}-${name}`;
  const hostLink = `v-${name}`.slice(0, 15);
  const remove = addNetns(ns, cleanup);
  await inNetns(nodeNs, async (node) => {
    await node.addVeth(hostLink, 'eth0', { peerNetns: ns, up: true });
    await node.addAddress(hostLink, `${POD_GATEWAY}/32`);
  });
  await inNetns(ns, async (pod) => {
    await pod.addAddress('eth0', `${ip4}/32`);
    await pod.setLinkUp('eth0');
  });
  ipBatch(nodeNs, [`route add ${ip4}/32 dev ${hostLink}`]);
  ipBatch(ns, [`route add ${POD_GATEWAY} dev eth0`, `route add default via ${POD_GATEWAY} dev eth0`]);
  return { name, ns, ip: ip4, hostLink, remove };
}
