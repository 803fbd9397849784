// nftables mode: the proxy's ruleset read back with the library
// (`Nftables.list()`, what `nft list ruleset` shows) and cut down to what
// serves the demo's services, with a few words on how to read it.
import { Nftables, Ruleset, type NftSet } from '../../src/index.js';
import { affinitySet, parseTableName, serviceNames, DEFAULT_SHARDS } from '../../src/proxy/backend/nftables/names.js';
import type { ServicePortName } from '../../src/proxy/model/types.js';
import type { DemoMode, DemoPod, DemoScene, DemoService } from './modes.js';
import { pollUntil } from './poll.js';

function portName(s: DemoService): ServicePortName {
  return { namespace: s.namespace, name: s.name, portName: s.portName, protocol: 'tcp' };
}

/** Every table of the proxy (both families), at one generation. */
async function listProxyTables(nodeNs: string): Promise<Ruleset> {
  const nf = await Nftables.open({ netns: nodeNs });
  try {
    const rs = await nf.list();
    const ours = (t: { table: string }): boolean => parseTableName(t.table) !== undefined;
    return new Ruleset({
      generation: rs.generation, tables: rs.tables.filter((t) => parseTableName(t.name) !== undefined),
      chains: rs.chains.filter(ours), rules: rs.rules.filter(ours), sets: rs.sets.filter(ours), objects: [],
    });
  } finally {
    await nf.close();
  }
}

/**
 * The part of the ruleset that serves `services`: their shard tables' NAT
 * hook, dispatch chain and map, and each service's own chains, endpoint
 * maps and the affinity sets that hold a client.
 */
export function servicesPart(rs: Ruleset, services: readonly DemoService[]): Ruleset {
  const names = services.map((s) => serviceNames(portName(s)));
  const own = (name: string): boolean => names.some((n) => name === n.cluster || name === n.local || name === n.external)
    || services.some((s) => name.startsWith(`affinity-${s.namespace}/${s.name}/`));
  const tables = new Set(rs.chains.filter((c) => c.family === 'ip' && own(c.name)).map((c) => c.table));
  const inShard = (o: { family: string; table: string }): boolean => o.family === 'ip' && tables.has(o.table);
  const chainKept = (name: string): boolean => name === 'nat-prerouting' || name === 'services' || own(name);
  const setKept = (s: NftSet): boolean => s.name === 'service-ips' || (own(s.name) && (!s.name.startsWith('affinity-') || (s.elements ?? []).length > 0));
  return new Ruleset({
    generation: rs.generation,
    tables: rs.tables.filter((t) => t.family === 'ip' && tables.has(t.name)),
    chains: rs.chains.filter((c) => inShard(c) && chainKept(c.name)),
    rules: rs.rules.filter((r) => inShard(r) && chainKept(r.chain)),
    sets: rs.sets.filter((s) => inShard(s) && setKept(s)),
    objects: [],
  });
}

function countLines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/** Who is stuck to which pod, from the affinity sets: "192.168.0.100 -> nginx-2 (expires in 49 s)". */
function affinityNow(rs: Ruleset, s: DemoService, pods: readonly DemoPod[]): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    const set = rs.sets.find((x) => x.name === affinitySet(portName(s), { ip: pod.ip, port: s.targetPort }));
    for (const e of set?.elements ?? []) {
      const left = e.expires !== undefined ? ` (the entry expires in ${Math.round(e.expires / 1000)} s unless the client comes back)` : '';
      out.push(`${String(e.key)} -> ${pod.name}${left}`);
    }
  }
  return out;
}

async function describe({ nodeNs, services, pods, clusterCIDR }: DemoScene): Promise<string[]> {
  const all = await listProxyTables(nodeNs);
  const part = servicesPart(all, services);
  const printed = part.toString().replaceAll('\t', '  ').trimEnd().split('\n');
  const plain = services.find((s) => s.affinitySeconds === undefined);
  const sticky = services.find((s) => s.affinitySeconds !== undefined);
  const lines = [
    `dataplane-proxy keeps what every Service shares in \`table ip dataplane-proxy\` (and ip6): masquerading`,
    `for traffic from outside the cluster, rejects for Services without endpoints. The NAT of each Service`,
    `lives in one of ${DEFAULT_SHARDS} shard tables (dataplane-proxy-N, N from a hash of namespace/name), so one change`,
    `touches one small table. Our two Services, read back from the kernel with the library (Nftables.list()):`,
    '',
    ...printed.map((l) => (l.trim() === '' ? '' : `    ${l}`)),
    '',
    'How to read it: a new connection to a ClusterIP matches `service-ips` (address . protocol . port)',
    `and jumps to its Service chain, which marks traffic from outside ${clusterCIDR} for masquerading and`,
    'rewrites the destination to one endpoint (dnat); conntrack keeps the rest of the connection there.',
  ];
  if (plain !== undefined) lines.push(`- ${plain.name}: \`numgen random\` picks one of the endpoints in the map: every new connection lands on a random pod.`);
  if (sticky !== undefined) {
    lines.push(`- ${sticky.name}: one \`affinity-…\` set per endpoint remembers the clients sent there (timeout ${sticky.affinitySeconds} s);`,
      '  a known client goes back to its pod, a new one is placed at random and added to that pod\'s set.');
    for (const a of affinityNow(all, sticky, pods)) lines.push(`  Right now: ${a}.`);
  }
  const total = countLines(all.toString());
  lines.push('', `The whole ruleset is ${all.tables.length} tables, ${total} lines (the \`kubernetes\` Service, IPv6, filter chains...).`);
  return lines;
}

/** Resolves (with Date.now()) once none of the services' chains or endpoint maps name `ip` (polling the kernel every 10 ms). */
async function endpointGone(nodeNs: string, services: readonly DemoService[], ip: string, timeoutMs: number): Promise<number> {
  const needle = new RegExp(`(^|[^0-9.])${ip.replaceAll('.', '\\.')}([^0-9]|$)`, 'm');
  return pollUntil(async () => {
    const part = servicesPart(await listProxyTables(nodeNs), services);
    const text = new Ruleset({ ...part, sets: part.sets.filter((s) => !s.name.startsWith('affinity-')) }).toString();
    return !needle.test(text.replace(/@affinity-\S+/g, ''));
  }, timeoutMs, `the proxy still sends traffic to ${ip}`);
}

/** What the demo says in the modes that load-balance with rules (nftables, iptables): random choice, kube-proxy's rule-sync pacing. */
export const RULESET_WORDING = {
  proxyFlags: [],
  spread: 'picked at random',
  minSyncPeriod: 'The wait is --iptables-min-sync-period: after a burst of two syncs, at most one a second (kube-proxy\'s default).',
  endpointRemoved: 'taken {ip} out of both Services',
} as const satisfies Partial<DemoMode>;

/** The nftables mode of the demo. */
export const nftablesMode: DemoMode = {
  name: 'nftables',
  ...RULESET_WORDING,
  describe,
  endpointGone,
  lookCommands: (nodeNs) => [
    `npx dataplane nft list --netns ${nodeNs}          # the ruleset, read by the library`,
    `ip netns exec ${nodeNs} nft list ruleset         # the same with nft, if installed`,
  ],
};
