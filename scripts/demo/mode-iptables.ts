// iptables mode: the proxy's nat table read back with the library
// (`Iptables.get('nat')`, printed as iptables-legacy-save prints it) and cut
// down to the demo's services, the clients their `recent` lists hold, and
// a few words on how to read them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { Iptables, IptablesTable, type IptablesChain } from '../../src/index.js';
import { CHAIN, endpointChain, serviceChains } from '../../src/proxy/backend/iptables/names.js';
import type { DemoMode, DemoPod, DemoScene, DemoService } from './modes.js';
import { RULESET_WORDING } from './mode-nftables.js';
import { pollUntil } from './poll.js';

const run = promisify(execFile);

// The service port's key as the proxy's trackers make it (IPv4, TCP).
const keyOf = (s: DemoService): string => `${s.namespace}/${s.name}${s.portName === '' ? '' : `:${s.portName}`}/tcp`;

/** The nat chains that serve `services`: their dispatch rules, their service chains and their endpoint chains. */
async function servicesPart(nodeNs: string, services: readonly DemoService[]): Promise<{ part: IptablesTable; rules: number }> {
  const ipt = await Iptables.open({ netns: nodeNs });
  try {
    const nat = await ipt.get('nat');
    const own = services.map((s) => serviceChains(keyOf(s)).cluster);
    const chains: IptablesChain[] = [];
    let rules = 0;
    for (const c of nat.chains) {
      rules += c.rules.length;
      if (c.name === CHAIN.services) {
        chains.push({ name: c.name, rules: c.rules.filter((r) => r.target?.name === 'jump' && own.includes(r.target.chain)) });
      } else if (own.includes(c.name)) {
        chains.push(c);
      }
    }
    // The endpoint chains the service chains jump to.
    const seps = new Set(chains.flatMap((c) => c.rules.flatMap((r) => (r.target?.name === 'jump' && r.target.chain.startsWith('DP-SEP-') ? [r.target.chain] : []))));
    chains.push(...nat.chains.filter((c) => seps.has(c.name)));
    return { part: new IptablesTable({ name: 'nat', family: 4, chains }), rules };
  } finally {
    await ipt.close();
  }
}

/** Who is stuck to which pod, from the endpoints' recent lists (/proc/net/xt_recent in the node). */
async function affinityNow(nodeNs: string, s: DemoService, pods: readonly DemoPod[]): Promise<string[]> {
  const out: string[] = [];
  for (const pod of pods) {
    const list = endpointChain(keyOf(s), { key: `${pod.ip}:${s.targetPort}` });
    const text = await run('ip', ['netns', 'exec', nodeNs, 'cat', `/proc/net/xt_recent/${list}`]).then((r) => r.stdout, () => '');
    for (const m of text.matchAll(/^src=(\S+)/gm)) out.push(`${m[1]} -> ${pod.name} (in the list ${list})`);
  }
  return out;
}

async function describe({ nodeNs, services, pods, clusterCIDR }: DemoScene): Promise<string[]> {
  const { part, rules } = await servicesPart(nodeNs, services);
  const printed = part.toString().trimEnd().split('\n').filter((l) => l !== '*nat' && l !== 'COMMIT' && !/^:[A-Z]+ ACCEPT /.test(l));  // the built-in chains are not ours
  const plain = services.find((s) => s.affinitySeconds === undefined);
  const sticky = services.find((s) => s.affinitySeconds !== undefined);
  const lines = [
    'dataplane-proxy writes kube-proxy\'s iptables layout into the legacy nat and filter tables, under its own',
    'names (DP-…), in one atomic table replace per sync. Our two Services, read back from the kernel with the',
    'library (Iptables.get(\'nat\'), printed as iptables-legacy-save prints it):',
    '',
    ...printed.map((l) => `    ${l}`),
    '',
    'How to read it: DP-SERVICES sends a new connection to a ClusterIP:port to its Service chain (DP-SVC-…),',
    `which marks traffic from outside ${clusterCIDR} for masquerading and jumps to one endpoint chain (DP-SEP-…),`,
    'which rewrites the destination (DNAT); conntrack keeps the rest of the connection there.',
  ];
  if (plain !== undefined) lines.push(`- ${plain.name}: \`-m statistic --mode random --probability\` 1/3, then 1/2, then the last: every pod equally likely.`);
  if (sticky !== undefined) {
    lines.push(`- ${sticky.name}: \`-m recent --rcheck --seconds ${sticky.affinitySeconds}\` sends a client its endpoint's list holds back there;`,
      '  a new one is placed at random and `-m recent --set` adds it to that endpoint\'s list.');
    for (const a of await affinityNow(nodeNs, sticky, pods)) lines.push(`  Right now: ${a}.`);
  }
  lines.push('', `The whole nat table has ${rules} rules (the \`kubernetes\` Service, NodePorts, masquerading...); IPv6 is in ip6tables.`);
  return lines;
}

/** Resolves (with Date.now()) once no chain of the services DNATs to `ip` (polling the kernel every 10 ms). */
async function endpointGone(nodeNs: string, services: readonly DemoService[], ip: string, timeoutMs: number): Promise<number> {
  const needle = `--to-destination ${ip}:`;
  return pollUntil(async () => !(await servicesPart(nodeNs, services)).part.toString().includes(needle),
    timeoutMs, `the proxy still sends traffic to ${ip}`);
}

/** The iptables mode of the demo. */
export const iptablesMode: DemoMode = {
  name: 'iptables',
  ...RULESET_WORDING,
  describe,
  endpointGone,
  lookCommands: (nodeNs) => [
    `npx dataplane iptables save --netns ${nodeNs} -t nat   # the nat table, read by the library`,
    `ip netns exec ${nodeNs} iptables-legacy-save -t nat      # the same with iptables-legacy, if installed`,
  ],
};
