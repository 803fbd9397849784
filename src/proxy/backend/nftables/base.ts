// The fixed part of each table (pure): the shared table's filter checks and
// masquerading, and each shard's NAT base chains and dispatch maps. The
// hooks and priorities are kube-proxy's, so the ruleset sits where other
// tables expect kube-proxy: firewall before DNAT (dstnat - 10), NAT at
// dstnat and srcnat, and the endpoint and cluster-IP checks of the node's
// own traffic after DNAT (dstnat + 10), as kube-proxy's filter-output-post-dnat.
import type { DetectLocal } from '../backend.js';
import { nft, type Chain, type Expression, type NftSet, type Rule, type SetElement, type Table } from '../../../nft/index.js';
import { ctStatusDnat, iifname, xorMark } from './exprs.js';
import type { FamilyNames } from './family.js';
import { TABLE, shardTable } from './names.js';
import type { LocalTraffic } from './plan.js';
import type { NodePortMatch } from '../node-ports.js';

export type { NodePortMatch } from '../node-ports.js';

/** A table's fixed objects: declared and filled by every full sync, created with the table by a partial one. */
export interface TableBase {
  readonly table: Table;
  /** Base chains (with hooks) and the helper chains they jump to. */
  readonly chains: readonly Chain[];
  readonly rules: readonly Rule[];
  /** Sets and maps, without elements. */
  readonly sets: readonly NftSet[];
  /** Elements of the sets whose content is fixed by the node (nodeport-ips, local-cidrs). */
  readonly elements: ReadonlyMap<string, SetElement[]>;
}

const PRIO = { firewall: -110, dstnat: -100, postDnat: -90, srcnat: 100 };
const DISPATCH = ['meta l4proto', 'th dport'] as const;

function reject(fam: FamilyNames): Expression {
  return { type: 'reject', rejectType: 'icmp', code: fam.portUnreachable };
}

// Rules of one table, built with its family and name.
function ruleMaker(fam: FamilyNames, table: string): (chain: string, ...parts: (Expression | Expression[])[]) => Rule {
  return (chain, ...parts) => nft.rule(fam.table, table, chain, ...parts);
}

// `ip daddr @nodeport-ips`, or every local address but loopback.
function nodePortDestination(fam: FamilyNames, nodePorts: NodePortMatch): Expression[] {
  return nodePorts.all ? [...nft.fibDaddrLocal(), ...nft.match(fam.daddr, fam.loopback, '!=')] : nft.inSet(fam.daddr, 'nodeport-ips');
}

/** The shared table of one family: firewall, no-endpoint and cluster-IP checks, and masquerading. */
export function sharedBase(fam: FamilyNames, o: { masqueradeMark: number; nodePorts: NodePortMatch; shards: number }): TableBase {
  const T = { family: fam.table, table: TABLE };
  const R = ruleMaker(fam, TABLE);
  const svcKey = [fam.daddr, ...DISPATCH] as const;
  const set = (name: string, type: string, comment: string, flags?: NftSet['flags']): NftSet => ({ ...T, name, type, comment, ...(flags ? { flags } : {}) });
  const ipPort = `${fam.addr} . inet_proto . inet_service`;
  const sets = [
    set('cluster-ips', fam.addr, 'active cluster IPs'),
    set('no-endpoint-reject', ipPort, 'service IPs and ports without endpoints'),
    set('no-endpoint-drop', ipPort, 'service IPs and ports without endpoints for this traffic (Local policy)'),
    set('nodeport-reject', 'inet_proto . inet_service', 'NodePorts without endpoints'),
    set('nodeport-drop', 'inet_proto . inet_service', 'NodePorts without local endpoints (Local policy)'),
    set('firewall-ips', ipPort, 'load-balancer IPs and ports with loadBalancerSourceRanges'),
    set('firewall-allow', `${ipPort} . ${fam.addr}`, 'the sources each of them allows', ['interval']),
    set('hairpin', `${fam.addr} . ${fam.addr}`, 'endpoint addresses (an endpoint reaching itself through a service is masqueraded)'),
    ...(nodePorts(o.nodePorts) ? [set('nodeport-ips', fam.addr, 'addresses that accept NodePort traffic')] : []),
  ];
  const base = (name: string, type: 'filter' | 'nat', hook: Chain['hook'], priority: number): Chain => ({ ...T, name, type, hook, priority, policy: 'accept' });
  const chains: Chain[] = [
    base('filter-prerouting', 'filter', 'prerouting', PRIO.firewall),
    base('filter-input', 'filter', 'input', PRIO.firewall),
    base('filter-forward', 'filter', 'forward', PRIO.firewall),
    base('filter-output', 'filter', 'output', PRIO.firewall),
    base('filter-output-post-dnat', 'filter', 'output', PRIO.postDnat),
    base('nat-postrouting', 'nat', 'postrouting', PRIO.srcnat),
    ...['firewall-check', 'service-endpoints-check', 'nodeport-endpoints-check', 'cluster-ips-check'].map((name) => ({ ...T, name })),
  ];
  const fresh = nft.ctState('new');
  const M = o.masqueradeMark;
  const rules = [
    R('filter-prerouting', fresh, nft.jump('firewall-check')),
    R('filter-input', fresh, nft.jump('nodeport-endpoints-check')),
    R('filter-input', fresh, nft.jump('service-endpoints-check')),
    R('filter-forward', fresh, nft.jump('service-endpoints-check')),
    R('filter-forward', fresh, nft.jump('cluster-ips-check')),
    R('filter-output', fresh, nft.jump('firewall-check')),
    R('filter-output-post-dnat', fresh, nft.jump('service-endpoints-check')),
    R('filter-output-post-dnat', fresh, nft.jump('cluster-ips-check')),
    R('nat-postrouting', nft.markMasked(M, M), xorMark(M), nft.masquerade('fully-random')),
    R('nat-postrouting', ctStatusDnat(), nft.inSet([fam.saddr, fam.daddr], 'hairpin'), nft.masquerade('fully-random')),
    R('firewall-check', nft.inSet([...svcKey], 'firewall-ips'), nft.inSet([...svcKey, fam.saddr], 'firewall-allow', true), nft.drop()),
    R('service-endpoints-check', nft.inSet([...svcKey], 'no-endpoint-reject'), reject(fam)),
    R('service-endpoints-check', nft.inSet([...svcKey], 'no-endpoint-drop'), nft.drop()),
    R('nodeport-endpoints-check', nodePortDestination(fam, o.nodePorts), nft.inSet([...DISPATCH], 'nodeport-reject'), reject(fam)),
    R('nodeport-endpoints-check', nodePortDestination(fam, o.nodePorts), nft.inSet([...DISPATCH], 'nodeport-drop'), nft.drop()),
    R('cluster-ips-check', nft.inSet(fam.daddr, 'cluster-ips'), reject(fam)),
  ];
  return {
    table: { family: fam.table, name: TABLE, comment: `dataplane-proxy: what all services share (NAT of services in ${TABLE}-0..${o.shards - 1})` },
    chains, rules, sets, elements: nodePortElements(o.nodePorts),
  };
}

function nodePorts(m: NodePortMatch): m is { all: false; addresses: readonly string[] } {
  return !m.all;
}

function nodePortElements(m: NodePortMatch): Map<string, SetElement[]> {
  return new Map(nodePorts(m) ? [['nodeport-ips', m.addresses.map((a) => ({ key: a }))]] : []);
}

/** One shard table: the NAT base chains and the maps that dispatch to its services. */
export function shardBase(fam: FamilyNames, index: number, o: { shards: number; nodePorts: NodePortMatch; localCidrs: readonly string[] }): TableBase {
  const name = shardTable(index);
  const T = { family: fam.table, table: name };
  const R = ruleMaker(fam, name);
  const sets: NftSet[] = [
    { ...T, name: 'service-ips', type: `${fam.addr} . inet_proto . inet_service`, map: 'verdict', comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' },
    { ...T, name: 'service-nodeports', type: 'inet_proto . inet_service', map: 'verdict', comment: 'NodePort traffic' },
  ];
  if (nodePorts(o.nodePorts)) sets.push({ ...T, name: 'nodeport-ips', type: fam.addr, comment: 'addresses that accept NodePort traffic' });
  if (o.localCidrs.length > 1) sets.push({ ...T, name: 'local-cidrs', type: fam.addr, flags: ['interval'], comment: 'sources inside the cluster' });
  const elements = nodePortElements(o.nodePorts);
  if (o.localCidrs.length > 1) elements.set('local-cidrs', o.localCidrs.map((c) => ({ key: c })));
  return {
    table: { family: fam.table, name, comment: `dataplane-proxy: NAT of the services in shard ${index} of ${o.shards}` },
    chains: [
      { ...T, name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: PRIO.dstnat, policy: 'accept' },
      { ...T, name: 'nat-output', type: 'nat', hook: 'output', priority: PRIO.dstnat, policy: 'accept' },
      { ...T, name: 'services' },
    ],
    rules: [
      R('nat-prerouting', nft.jump('services')),
      R('nat-output', nft.jump('services')),
      R('services', nft.vmap([fam.daddr, ...DISPATCH], 'service-ips')),
      R('services', nodePortDestination(fam, o.nodePorts), nft.vmap([...DISPATCH], 'service-nodeports')),
    ],
    sets, elements,
  };
}

/**
 * How this family tells traffic from inside the cluster (--detect-local-mode):
 * the matches, and the CIDRs a shard's `local-cidrs` set holds when there
 * are several. Undefined match: every source counts as outside.
 */
export function localTraffic(fam: FamilyNames, detect: DetectLocal): { match: LocalTraffic | undefined; cidrs: string[] } {
  switch (detect.mode) {
    case 'ClusterCIDR':
    case 'NodeCIDR': {
      const cidrs = detect.cidrs.filter((c) => (c.includes(':') ? 6 : 4) === fam.family);
      if (cidrs.length === 0) return { match: undefined, cidrs };
      if (cidrs.length === 1) return { match: { isLocal: nft.match(fam.saddr, cidrs[0]!), notLocal: nft.match(fam.saddr, cidrs[0]!, '!=') }, cidrs };
      return { match: { isLocal: nft.inSet(fam.saddr, 'local-cidrs'), notLocal: nft.inSet(fam.saddr, 'local-cidrs', true) }, cidrs };
    }
    case 'BridgeInterface':
      return { match: { isLocal: iifname(detect.interface, '==', false), notLocal: iifname(detect.interface, '!=', false) }, cidrs: [] };
    case 'InterfaceNamePrefix':
      return { match: { isLocal: iifname(detect.prefix, '==', true), notLocal: iifname(detect.prefix, '!=', true) }, cidrs: [] };
    default:
      return { match: undefined, cidrs: [] };
  }
}
