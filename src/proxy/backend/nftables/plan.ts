// The plan of one service port (pure: model in, nftables objects out):
// kube-proxy's nftables semantics (pkg/proxy/nftables/proxier.go) in our
// shape. What differs from kube-proxy's layout, and why:
// - an endpoint is an element of a named map per policy chain
//   (`dnat ip to numgen random mod N map @service-…`), not a chain; a
//   pod replaced by another changes elements only, which the kernel does
//   not re-validate. Only ClientIP-affinity ports keep kube-proxy's
//   endpoint chains and per-endpoint affinity sets.
// - hairpin (an endpoint reaching itself) is masqueraded in the shared
//   table's postrouting chain by `ct status dnat ip saddr . ip daddr @hairpin`.
// - the no-endpoint, firewall and cluster-IP checks are plain sets of the
//   shared table (no verdict map, no chain per service).
import type { NodeInfo, Endpoint, ServicePort } from '../../model/types.js';
import { categorizeEndpoints, externallyAccessible, usesClusterEndpoints, usesLocalEndpoints, type Categorized } from '../../model/categorize.js';
import { nft, type Expression, type NftSet, type Rule } from '../../../nft/index.js';
import { dnatNumgenMap, fibSaddrLocal, numgenMapUserdata, numgenVmap } from './exprs.js';
import type { FamilyNames, FieldName } from './family.js';
import { affinitySet, endpointChain, serviceNames, type ServiceNames } from './names.js';
import { cidrContains, mergeRanges } from './ranges.js';
import type { Entry, EntryItem } from './registry.js';

/** How traffic from inside the cluster is recognised, as matches of one family (absent: it is not). */
export interface LocalTraffic {
  readonly isLocal: readonly Expression[];
  readonly notLocal: readonly Expression[];
}

/** What planning a service port needs besides the port and its endpoints. */
export interface PlanContext {
  readonly fam: FamilyNames;
  /** The shard table the service's objects go in. */
  readonly table: string;
  /** 1 << masqueradeBit */
  readonly masqueradeMark: number;
  readonly masqueradeAll: boolean;
  readonly local: LocalTraffic | undefined;
  readonly node: NodeInfo;
}

/** Everything one service port puts in the kernel. */
export interface ServicePlan {
  readonly key: string;
  /** Its chains in its shard, with their rules. */
  readonly chains: ReadonlyMap<string, readonly Rule[]>;
  /** Its sets and maps in its shard (with elements; affinity sets, flagged dynamic, without). */
  readonly sets: ReadonlyMap<string, NftSet>;
  /** Elements of the shard's service-ips / service-nodeports maps. */
  readonly shard: readonly Entry[];
  /** Elements of the shared table's sets. */
  readonly shared: readonly Entry[];
  /** Whether Local policy leaves it without endpoints (kube-proxy's no_local_endpoints counts). */
  readonly noLocal: { readonly internal: number; readonly external: number };
}

const byKey = (a: Endpoint, b: Endpoint): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

// The chains, sets and rules being collected for one service port.
class Objects {
  readonly chains = new Map<string, Rule[]>();
  readonly sets = new Map<string, NftSet>();
  constructor(readonly svc: ServicePort, readonly ctx: PlanContext) {}

  rule(chain: string, parts: (Expression | readonly Expression[])[], comment?: string): void {
    const r = nft.rule(this.ctx.fam.table, this.ctx.table, chain, ...(parts as (Expression | Expression[])[]));
    if (comment !== undefined) r.comment = comment;
    let rules = this.chains.get(chain);
    if (rules === undefined) this.chains.set(chain, (rules = []));
    rules.push(r);
  }

  set(s: Omit<NftSet, 'family' | 'table'>): void {
    this.sets.set(s.name, { family: this.ctx.fam.table, table: this.ctx.table, ...s });
  }
}

/** Plans one service port of one family: its chains and sets, and the elements it asks of its shard and the shared table. */
export function planService(svc: ServicePort, endpoints: readonly Endpoint[], ctx: PlanContext): ServicePlan {
  const cat = categorizeEndpoints(endpoints, svc, ctx.node);
  const names = serviceNames(svc);
  const o = new Objects(svc, ctx);
  const hasEndpoints = cat.hasAnyEndpoints;
  const usesCluster = cat.clusterEndpoints.length > 0 && usesClusterEndpoints(svc);
  const usesLocal = cat.localEndpoints.length > 0 && usesLocalEndpoints(svc);
  const internal = svc.internalPolicyLocal ? names.local : names.cluster;
  const hasInternal = hasEndpoints && (!svc.internalPolicyLocal || cat.localEndpoints.length > 0);
  const hasExternal = hasEndpoints && (!svc.externalPolicyLocal || cat.localEndpoints.length > 0);
  const usesExternal = hasEndpoints && externallyAccessible(svc);

  const masq = hasInternal ? masqueradeRule(svc, ctx) : undefined;
  if (usesCluster) policyChain(o, names.cluster, [...cat.clusterEndpoints].sort(byKey), internal === names.cluster ? masq : undefined);
  if (usesLocal) policyChain(o, names.local, [...cat.localEndpoints].sort(byKey), internal === names.local ? masq : undefined);
  if (svc.stickyMaxAgeSeconds > 0 && hasEndpoints) endpointChains(o, cat);
  if (usesExternal) externalChain(o, names, usesCluster, hasExternal && usesLocal);

  return {
    key: svc.key,
    chains: o.chains,
    sets: o.sets,
    shard: shardEntries(svc, names, { hasEndpoints, hasInternal, internal }),
    shared: sharedEntries(svc, ctx, cat, { hasEndpoints, hasInternal, hasExternal }),
    noLocal: { internal: hasEndpoints && !hasInternal ? 1 : 0, external: hasEndpoints && !hasExternal ? 1 : 0 },
  };
}

// kube-proxy's masquerade rule of the internal-traffic chain: traffic to the
// cluster IP from outside the cluster (or all of it with --masquerade-all).
function masqueradeRule(svc: ServicePort, ctx: PlanContext): Expression[] | undefined {
  if (!ctx.masqueradeAll && ctx.local === undefined) return undefined;
  return [
    ...nft.match(ctx.fam.daddr, svc.clusterIP), ...nft.match(`${svc.protocol} dport` as FieldName, svc.port),
    ...(ctx.masqueradeAll ? [] : ctx.local!.notLocal), ...nft.orMark(ctx.masqueradeMark),
  ];
}

// A policy chain (cluster or local) and its endpoint map: pick an endpoint at
// random and DNAT to it; with ClientIP affinity, first any endpoint this
// client is stuck to (kube-proxy's endpoint chains and affinity sets).
function policyChain(o: Objects, chain: string, eps: readonly Endpoint[], masq: Expression[] | undefined): void {
  const { svc, ctx } = o;
  if (masq !== undefined) o.rule(chain, [masq]);
  if (svc.stickyMaxAgeSeconds > 0) {
    for (const ep of eps) o.rule(chain, [nft.inSet(ctx.fam.saddr, affinitySet(svc, ep)), nft.goto(endpointChain(svc, ep))]);
    o.set({ name: chain, type: 'integer', map: 'verdict', userdata: numgenMapUserdata(ctx.fam, 'verdict'),
      elements: eps.map((ep, i) => ({ key: i, verdict: { kind: 'goto', chain: endpointChain(svc, ep) } })) });
    o.rule(chain, [numgenVmap(chain, eps.length)]);
    return;
  }
  o.set({ name: chain, type: 'integer', map: `${ctx.fam.addr} . inet_service`, userdata: numgenMapUserdata(ctx.fam, svc.protocol),
    elements: eps.map((ep, i) => ({ key: i, value: [ep.ip, ep.port] })) });
  o.rule(chain, [nft.match('meta l4proto', svc.protocol), dnatNumgenMap(ctx.fam, chain, eps.length)]);
}

// ClientIP affinity: per reachable endpoint, a set of the clients stuck to it
// (entries live stickyMaxAgeSeconds past a client's last new connection) and
// a chain that refreshes it and translates.
function endpointChains(o: Objects, cat: Categorized): void {
  const { svc, ctx } = o;
  for (const ep of [...cat.allReachableEndpoints].sort(byKey)) {
    const chain = endpointChain(svc, ep);
    const set = affinitySet(svc, ep);
    o.set({ name: set, type: ctx.fam.addr, flags: ['dynamic', 'timeout'], timeout: svc.stickyMaxAgeSeconds * 1000 });
    o.rule(chain, [nft.updateSet(set, ctx.fam.saddr)]);
    o.rule(chain, [nft.match('meta l4proto', svc.protocol), nft.dnat(ep.ip, ep.port)]);
  }
}

// Where NodePort, external-IP and load-balancer traffic goes: with Cluster
// policy, masquerade and on to the cluster chain; with Local policy, pods
// and the node itself short-circuit to the cluster chain (the node's traffic
// masqueraded), the rest goes to this node's endpoints, or nowhere (the
// shared table drops it).
function externalChain(o: Objects, names: ServiceNames, usesCluster: boolean, toLocal: boolean): void {
  const { svc, ctx } = o;
  if (!svc.externalPolicyLocal) {
    o.rule(names.external, [nft.orMark(ctx.masqueradeMark)]);
    if (usesCluster) o.rule(names.external, [nft.goto(names.cluster)]);
    return;
  }
  if (usesCluster) {
    if (ctx.local !== undefined) o.rule(names.external, [ctx.local.isLocal, nft.goto(names.cluster)], 'short-circuit pod traffic');
    o.rule(names.external, [fibSaddrLocal(), nft.orMark(ctx.masqueradeMark), nft.goto(names.cluster)], 'masquerade and short-circuit local traffic');
  }
  if (toLocal) o.rule(names.external, [nft.goto(names.local)]);
  // An external chain must exist for its map elements even when no rule is left in it.
  if (!o.chains.has(names.external)) o.chains.set(names.external, []);
}

const externalIPs = (svc: ServicePort): string[] => [...new Set([...svc.externalIPs, ...svc.loadBalancerVIPs])];

// The shard's dispatch elements: service IP . protocol . port, and protocol . NodePort.
function shardEntries(svc: ServicePort, names: ServiceNames, s: { hasEndpoints: boolean; hasInternal: boolean; internal: string }): Entry[] {
  const out: Entry[] = [];
  const to = (ip: string, chain: string): Entry => ({
    id: `ip|${ip}|${svc.protocol}|${svc.port}`,
    items: [{ set: 'service-ips', element: { key: [ip, svc.protocol, svc.port], verdict: { kind: 'goto', chain } } }],
  });
  if (s.hasInternal) out.push(to(svc.clusterIP, s.internal));
  if (!s.hasEndpoints) return out;
  for (const ip of externalIPs(svc)) out.push(to(ip, names.external));
  if (svc.nodePort !== 0) {
    out.push({ id: `nodeport|${svc.protocol}|${svc.nodePort}`,
      items: [{ set: 'service-nodeports', element: { key: [svc.protocol, svc.nodePort], verdict: { kind: 'goto', chain: names.external } } }] });
  }
  return out;
}

interface Reach { hasEndpoints: boolean; hasInternal: boolean; hasExternal: boolean }

/**
 * The shared-table elements that follow from their id: a cluster IP
 * (`cluster-ip|IP`) and a hairpin pair (`hairpin|IP`). The registry keeps
 * only how many service ports ask for them.
 */
export function sharedItems(id: string): EntryItem[] {
  const bar = id.indexOf('|');
  const ip = id.slice(bar + 1);
  switch (id.slice(0, bar)) {
    case 'cluster-ip': return [{ set: 'cluster-ips', element: { key: ip } }];
    case 'hairpin': return [{ set: 'hairpin', element: { key: [ip, ip] } }];
    default: throw new Error(`not a counted entry: ${id}`);
  }
}

const counted = (id: string): Entry => ({ id, items: sharedItems(id), counted: true });

// The shared table's elements: the cluster IP, what has no endpoints
// (rejected) or no local endpoints (dropped), the firewall, and hairpin pairs.
function sharedEntries(svc: ServicePort, ctx: PlanContext, cat: Categorized, r: Reach): Entry[] {
  const p = svc.protocol;
  const out: Entry[] = [counted(`cluster-ip|${svc.clusterIP}`)];
  const none = (ip: string): Entry => ({
    id: `no-endpoint|${ip}|${p}|${svc.port}`,
    items: [{ set: r.hasEndpoints ? 'no-endpoint-drop' : 'no-endpoint-reject', element: { key: [ip, p, svc.port] } }],
  });
  if (!r.hasInternal) out.push(none(svc.clusterIP));
  if (!r.hasExternal) {
    for (const ip of externalIPs(svc)) out.push(none(ip));
    if (svc.nodePort !== 0) {
      out.push({ id: `no-endpoint-nodeport|${p}|${svc.nodePort}`,
        items: [{ set: r.hasEndpoints ? 'nodeport-drop' : 'nodeport-reject', element: { key: [p, svc.nodePort] } }] });
    }
  }
  out.push(...firewallEntries(svc, ctx));
  if (r.hasEndpoints) {
    for (const ip of new Set(cat.allReachableEndpoints.map((ep) => ep.ip))) out.push(counted(`hairpin|${ip}`));
  }
  return out;
}

// loadBalancerSourceRanges: the VIPs they guard, and the sources allowed to
// each. As in kube-proxy, when a range holds the node's own IP, the VIPs
// themselves are allowed too (a node reaching a VIP it holds locally
// appears with the VIP as source).
function firewallEntries(svc: ServicePort, ctx: PlanContext): Entry[] {
  if (svc.loadBalancerVIPs.length === 0 || svc.loadBalancerSourceRanges.length === 0) return [];
  const nodeIP = ctx.node.primaryIPs[ctx.fam.family];
  const fromNode = nodeIP !== undefined && svc.loadBalancerSourceRanges.some((c) => cidrContains(c, nodeIP));
  const ranges = mergeRanges([...svc.loadBalancerSourceRanges, ...(fromNode ? svc.loadBalancerVIPs : [])]);
  const p = svc.protocol;
  return svc.loadBalancerVIPs.map((vip) => ({
    id: `firewall|${vip}|${p}|${svc.port}`,
    items: [
      { set: 'firewall-ips', element: { key: [vip, p, svc.port] } },
      ...ranges.map((r) => ({ set: 'firewall-allow', element: { key: [vip, p, svc.port, r.first], keyEnd: [vip, p, svc.port, r.last] } })),
    ],
  }));
}
