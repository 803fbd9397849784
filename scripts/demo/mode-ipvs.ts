// IPVS mode: the node's IPVS table read back with the library
// (`Ipvs.list()`, printed as `ipvsadm -Ln` prints it) and cut down to the
// demo's virtual servers, the client's persistence template from the
// kernel's connection table, and a few words on how to read them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { formatList, Ipvs, type IpvsInfo, type ServiceWithDests } from '../../src/index.js';
import type { DemoMode, DemoPod, DemoScene, DemoService } from './modes.js';
import { pollUntil } from './poll.js';

const run = promisify(execFile);

/** The dummy link the proxy puts every Service IP on, as kube-proxy does. */
const DUMMY_LINK = 'kube-ipvs0';

/** The IPVS table of the node's namespace (`ipvsadm -Ln`). */
async function listIpvs(nodeNs: string): Promise<{ info: IpvsInfo; services: ServiceWithDests[] }> {
  const ipvs = await Ipvs.open({ netns: nodeNs });
  try {
    return { info: await ipvs.info(), services: await ipvs.list() };
  } finally {
    await ipvs.close();
  }
}

/** The virtual servers of `services` (TCP ClusterIP:port). */
function demoVirtualServers(all: readonly ServiceWithDests[], services: readonly DemoService[]): ServiceWithDests[] {
  return all.filter((v) => v.protocol === 'tcp' && services.some((s) => s.clusterIP === v.address && s.port === v.port));
}

/** 192.168.0.100 as /proc/net/ip_vs_conn writes it: C0A80064. */
function hexAddress(ip: string): string {
  return ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).join('');
}

/**
 * The persistence templates of the sticky service, from the kernel's IPVS
 * connection table (/proc/net/ip_vs_conn, read inside the node): a
 * template is the entry with client port 0; it names the client's pod.
 */
async function templatesNow(nodeNs: string, s: DemoService, pods: readonly DemoPod[]): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'exec', nodeNs, 'cat', '/proc/net/ip_vs_conn']);
  const out: string[] = [];
  for (const f of stdout.split('\n').map((l) => l.trim().split(/\s+/))) {
    if (f[0] !== 'TCP' || f[2] !== '0000' || f[3] !== hexAddress(s.clusterIP)) continue;
    const client = (f[1]!.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)).join('.');
    const pod = pods.find((p) => hexAddress(p.ip) === f[5]);
    out.push(`${client} -> ${pod?.name ?? f[5]} (the template expires in ${f[8]} s unless the client comes back)`);
  }
  return out;
}

async function describe({ nodeNs, services, pods, clusterCIDR }: DemoScene): Promise<string[]> {
  const { info, services: all } = await listIpvs(nodeNs);
  const printed = formatList(info, demoVirtualServers(all, services)).trimEnd().split('\n');
  const plain = services.find((s) => s.affinitySeconds === undefined);
  const sticky = services.find((s) => s.affinitySeconds !== undefined);
  const lines = [
    `dataplane-proxy puts every ClusterIP on a dummy link, ${DUMMY_LINK}, so the node accepts traffic to it, and`,
    'makes one IPVS virtual server per ClusterIP and port, with the ready endpoints as its real servers.',
    'Our two Services, read back from the kernel with the library (Ipvs.list(), printed as ipvsadm -Ln prints it):',
    '',
    ...printed.map((l) => `    ${l.trimEnd()}`),
    '',
    'How to read it: IPVS picks a real server for each new connection and rewrites its destination',
    `(Masq: NAT); nftables marks traffic from outside ${clusterCIDR} for masquerading.`,
  ];
  if (plain !== undefined) lines.push(`- ${plain.name}: \`rr\`, round robin: each new connection goes to the next pod in turn.`);
  if (sticky !== undefined) {
    lines.push(`- ${sticky.name}: \`persistent ${sticky.affinitySeconds}\`: IPVS keeps a template per client that sends its new`,
      `  connections to the same pod, for ${sticky.affinitySeconds} s after the client's last connection.`);
    for (const t of await templatesNow(nodeNs, sticky, pods)) lines.push(`  Right now: ${t}.`);
  }
  lines.push('', `The whole table has ${all.length} virtual servers (the \`kubernetes\` Service too).`);
  return lines;
}

/** Resolves (with Date.now()) once no virtual server of `services` sends new connections to `ip` (absent or weight 0; polling every 10 ms). */
async function endpointGone(nodeNs: string, services: readonly DemoService[], ip: string, timeoutMs: number): Promise<number> {
  return pollUntil(async () => {
    const vs = demoVirtualServers((await listIpvs(nodeNs)).services, services);
    return !vs.some((v) => v.dests.some((d) => d.address === ip && d.weight > 0));
  }, timeoutMs, `the proxy still sends new connections to ${ip}`);
}

/** The IPVS mode of the demo. */
export const ipvsMode: DemoMode = {
  name: 'ipvs',
  proxyFlags: ['--ipvs-scheduler=rr'],
  spread: 'in turn (round robin)',
  endpointRemoved: 'set {ip} to weight 0 in both virtual servers, so no new connection goes there',
  describe,
  endpointGone,
  lookCommands: (nodeNs) => [
    `npx dataplane ipvs list -n --netns ${nodeNs}          # the IPVS table, read by the library`,
    `ip netns exec ${nodeNs} ipvsadm -Ln                  # the same with ipvsadm, if installed`,
    `ip -n ${nodeNs} address show ${DUMMY_LINK}                 # the Service IPs on the dummy link`,
  ],
};
