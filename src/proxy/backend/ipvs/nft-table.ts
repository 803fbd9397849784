// Our nftables table, one per IP family ("ip|ip6 dataplane-ipvs"): what
// kube-proxy's IPVS mode does with iptables and ipsets, with named sets and
// a handful of rules that never change with the number of services.
//
//   nat prerouting/output -> services: mark for masquerade traffic to
//     ClusterIPs from outside the cluster (or all of it with masqueradeAll),
//     to Cluster-policy ExternalIPs, LoadBalancer IPs and NodePorts;
//   nat postrouting: masquerade hairpin traffic and marked traffic;
//   filter input: the loadBalancerSourceRanges firewall, drop outside
//     traffic to Local-policy services with no endpoint here, and reject new
//     connections to addresses on kube-ipvs0 on ports no service serves.
import { nft, type Chain, type Expression, type NftSet, type Rule, type SetElement, type Transaction } from '../../../index.js';
import type { BackendOptions } from '../backend.js';
import { cidrFamily, cidrRange } from './cidr.js';
import { SET_NAMES, type PlannedElement, type SetName } from './plan.js';

/** Our table's name in both families. */
export const TABLE = 'dataplane-ipvs';

type NftFamily = 'ip' | 'ip6';
const ICMPV6_PORT_UNREACH = 4;
/** The nftables family of an IP family. */
export const nftFamily = (f: 4 | 6): NftFamily => (f === 4 ? 'ip' : 'ip6');

const ADDR: Record<NftFamily, string> = { ip: 'ipv4_addr', ip6: 'ipv6_addr' };

function setType(family: NftFamily, set: SetName): Pick<NftSet, 'type' | 'flags'> {
  const a = ADDR[family];
  switch (set) {
    case 'node-ports': case 'no-local-node-ports': return { type: 'inet_proto . inet_service' };
    case 'ipvs-ips': return { type: a };
    case 'hairpin': return { type: `${a} . inet_proto . inet_service . ${a}` };
    case 'firewall-allow': return { type: `${a} . inet_proto . inet_service . ${a}`, flags: ['interval'] };
    default: return { type: `${a} . inet_proto . inet_service` };
  }
}

/** The sets our rules use, with their types (for building element operations). */
export function setDefinition(family: NftFamily, set: SetName | 'cluster-cidrs'): NftSet {
  const shape = set === 'cluster-cidrs' ? { type: ADDR[family], flags: ['interval' as const] } : setType(family, set);
  return { family, table: TABLE, name: set, ...shape };
}

/** A planned element as the set takes it. */
export function setElement(e: PlannedElement): SetElement {
  return e.keyEnd === undefined ? { key: [...e.key] } : { key: [...e.key], keyEnd: [...e.keyEnd] };
}

interface Ctx {
  family: NftFamily;
  options: BackendOptions;
}

type Field = Parameters<typeof nft.match>[0];
const daddr = (f: NftFamily): Field => (f === 'ip' ? 'ip daddr' : 'ip6 daddr');
const saddr = (f: NftFamily): Field => (f === 'ip' ? 'ip saddr' : 'ip6 saddr');

function ifnamePrefix(prefix: string): Expression[] {
  return [{ type: 'meta', key: 'iifname', dreg: 1 }, { type: 'cmp', sreg: 1, op: 'neq', data: Buffer.from(prefix) }];
}

/** Matches traffic from outside the cluster (--detect-local-mode); undefined: every source counts as outside. */
function fromOutside(c: Ctx): Expression[] | undefined {
  const d = c.options.detectLocal;
  switch (d.mode) {
    case 'ClusterCIDR':
    case 'NodeCIDR':
      return d.cidrs.some((x) => nftFamily(cidrFamily(x)) === c.family) ? nft.inSet(saddr(c.family), 'cluster-cidrs', true) : undefined;
    case 'BridgeInterface': return nft.match('iifname', d.interface, '!=');
    case 'InterfaceNamePrefix': return ifnamePrefix(d.prefix);
    default: return undefined;
  }
}

const SERVICE = (f: NftFamily): Field[] => [daddr(f), 'meta l4proto', 'th dport'];

function chains(f: NftFamily): Chain[] {
  const base = (name: string, type: 'nat' | 'filter', hook: 'prerouting' | 'output' | 'postrouting' | 'input', priority: number): Chain =>
    ({ family: f, table: TABLE, name, type, hook, priority, policy: 'accept' });
  return [
    base('nat-prerouting', 'nat', 'prerouting', -100),
    base('nat-output', 'nat', 'output', -100),
    base('nat-postrouting', 'nat', 'postrouting', 100),
    base('filter-input', 'filter', 'input', 0),
    { family: f, table: TABLE, name: 'services' },
    { family: f, table: TABLE, name: 'mark-for-masquerade' },
    { family: f, table: TABLE, name: 'ipvs-filter' },
  ];
}

function natRules(c: Ctx): Rule[] {
  const f = c.family;
  const r = (chain: string, ...parts: (Expression | Expression[])[]) => nft.rule(f, TABLE, chain, ...parts);
  const bit = 1 << c.options.masqueradeBit;
  const outside = fromOutside(c);
  const markMasq = nft.jump('mark-for-masquerade');
  const clusterIPs = c.options.masqueradeAll ? [nft.inSet(SERVICE(f), 'cluster-ips'), markMasq]
    : outside !== undefined ? [outside, nft.inSet(SERVICE(f), 'cluster-ips'), markMasq]
      // No way to tell cluster traffic apart: masquerade what the node itself sends from a service IP.
      : [nft.inSet([saddr(f), 'meta l4proto', 'th dport'], 'cluster-ips'), markMasq];
  const xorMark: Expression[] = [
    { type: 'meta', key: 'mark', dreg: 1 },
    { type: 'bitwise', sreg: 1, dreg: 1, op: 'mask_xor', len: 4, mask: Buffer.from([0xff, 0xff, 0xff, 0xff]), xor: le32(bit) },
    { type: 'meta', key: 'mark', sreg: 1 },
  ];
  return [
    r('nat-prerouting', nft.jump('services')),
    r('nat-output', nft.jump('services')),
    r('services', nft.match(saddr(f), f === 'ip' ? '127.0.0.0/8' : '::1'), nft.ret()),
    r('services', nft.inSet(SERVICE(f), 'load-balancer-ips'), nft.inSet(SERVICE(f), 'load-balancer-ips-local', true), markMasq),
    r('services', ...clusterIPs),
    r('services', nft.inSet(SERVICE(f), 'external-ips'), markMasq),
    r('services', nft.fibDaddrLocal(), nft.inSet(['meta l4proto', 'th dport'], 'node-ports'), markMasq),
    r('mark-for-masquerade', nft.orMark(bit)),
    r('nat-postrouting', nft.inSet([daddr(f), 'meta l4proto', 'th dport', saddr(f)], 'hairpin'), nft.masquerade()),
    r('nat-postrouting', nft.markMasked(bit, 0), nft.ret()),
    r('nat-postrouting', xorMark, nft.masquerade('fully-random')),
  ];
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function filterRules(c: Ctx): Rule[] {
  const f = c.family;
  const r = (chain: string, ...parts: (Expression | Expression[])[]) => nft.rule(f, TABLE, chain, ...parts);
  const outside = fromOutside(c) ?? [];
  const rules = [
    r('filter-input', nft.inSet(SERVICE(f), 'firewall-ips'), nft.inSet([daddr(f), 'meta l4proto', 'th dport', saddr(f)], 'firewall-allow', true), nft.drop()),
    r('filter-input', outside, nft.inSet(SERVICE(f), 'no-local-endpoints'), nft.drop()),
    r('filter-input', outside, nft.fibDaddrLocal(), nft.inSet(['meta l4proto', 'th dport'], 'no-local-node-ports'), nft.drop()),
    r('filter-input', nft.ctState('new'), nft.inSet(daddr(f), 'ipvs-ips'), nft.jump('ipvs-filter')),
  ];
  for (const set of ['cluster-ips', 'external-ips', 'external-ips-local', 'load-balancer-ips'] as const) {
    rules.push(r('ipvs-filter', nft.inSet(SERVICE(f), set), nft.ret()));
  }
  // `reject`: ICMP port unreachable (icmpx is for inet tables: an ip table's reject of type icmpx only drops).
  rules.push(r('ipvs-filter', f === 'ip' ? nft.reject('icmp port-unreachable') : { type: 'reject', rejectType: 'icmp', code: ICMPV6_PORT_UNREACH }));
  return rules;
}

/**
 * Replaces the family's table atomically (add, delete, add: no window in
 * which traffic sees no rules) with its chains, sets, rules and elements.
 */
export function rebuildTable(tx: Transaction, family: 4 | 6, options: BackendOptions, elements: readonly PlannedElement[]): void {
  const f = nftFamily(family);
  tx.addTable({ family: f, name: TABLE });
  tx.deleteTable({ family: f, name: TABLE });
  tx.addTable({ family: f, name: TABLE });
  for (const ch of chains(f)) tx.addChain(ch);
  const bySet = new Map<string, SetElement[]>();
  for (const e of elements) if (nftFamily(e.family) === f) {
    let list = bySet.get(e.set);
    if (list === undefined) bySet.set(e.set, (list = []));
    list.push(setElement(e));
  }
  for (const name of SET_NAMES) {
    const els = bySet.get(name);
    tx.addSet({ ...setDefinition(f, name), ...(els !== undefined ? { elements: els } : {}) });
  }
  const cidrs = clusterCIDRs(options, family);
  // As ranges: the kernel takes them so (nft lists them back as prefixes), and so does FakeNftables.
  const ranges = cidrs.map((c) => cidrRange(c)).map(([key, keyEnd]) => ({ key, keyEnd }));
  tx.addSet({ ...setDefinition(f, 'cluster-cidrs'), ...(ranges.length > 0 ? { elements: ranges } : {}) });
  const c: Ctx = { family: f, options };
  for (const rule of [...natRules(c), ...filterRules(c)]) tx.addRule(rule);
}

function clusterCIDRs(options: BackendOptions, family: 4 | 6): string[] {
  const d = options.detectLocal;
  return d.mode === 'ClusterCIDR' || d.mode === 'NodeCIDR' ? d.cidrs.filter((x) => cidrFamily(x) === family) : [];
}

/** Element adds and deletes of a partial sync, in one transaction with the sets' types known. */
export function elementChanges(tx: Transaction, added: readonly PlannedElement[], removed: readonly PlannedElement[]): number {
  const group = (els: readonly PlannedElement[]) => {
    const m = new Map<string, { family: NftFamily; set: SetName; elements: SetElement[] }>();
    for (const e of els) {
      const k = `${e.family} ${e.set}`;
      let g = m.get(k);
      if (g === undefined) m.set(k, (g = { family: nftFamily(e.family), set: e.set, elements: [] }));
      g.elements.push(setElement(e));
    }
    return m.values();
  };
  for (const g of group(removed)) {
    tx.knowSet(setDefinition(g.family, g.set));
    tx.deleteElements({ family: g.family, table: TABLE, name: g.set }, g.elements);
  }
  for (const g of group(added)) {
    tx.knowSet(setDefinition(g.family, g.set));
    tx.addElements({ family: g.family, table: TABLE, name: g.set }, g.elements);
  }
  return added.length + removed.length;
}
