// The plan of one service port (pure: model in, nftables objects out):
// kube-proxy's nftables semantics (pkg/proxy/nftables/proxier.go) in our
// shape. What differs from kube-proxy's layout, and why:
// - an endpoint is an element of a named map per policy chain
//   (`dnat ip to numgen random mod N map @service-…`), not a chain; a
//   pod replaced by another changes elements only, which the kernel does
//   not re-validate. ClientIP-affinity ports pick with rules instead of
//   endpoint chains (`ip saddr @affinity-X update @affinity-X { ip saddr }
//   dnat ...`, then `numgen random mod K 0 ...` for each endpoint in turn).
//   Every commit walks every chain of every table (nf_tables_commit's
//   step 2), so fewer chains is a cheaper commit at any scale.
// - Cluster-policy external traffic goes straight to the service chain,
//   which masquerades what is not addressed to the cluster IP; only
//   Local-policy ports have an external chain.
// - hairpin (an endpoint reaching itself) is masqueraded in the shared
//   table's postrouting chain by `ct status dnat ip saddr . ip daddr @hairpin`.
// - the no-endpoint, firewall and cluster-IP checks are plain sets of the
//   shared table (no verdict map, no chain per service).
import type { NodeInfo, Endpoint, ServicePort } from '../../model/types.js';
import { categorizeEndpoints, reachOf, type Categorized } from '../../model/categorize.js';
import { nft, type Expression, type NftSet, type Rule } from '../../../nft/index.js';
import { dnatNumgenMap, fibSaddrLocal, numgenIs, numgenMapUserdata } from './exprs.js';
import type { FamilyNames, FieldName } from './family.js';
import { affinitySet, serviceNames, type ServiceNames } from './names.js';
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
  const { hasEndpoints, usesCluster, usesLocal, hasInternal, hasExternal, usesExternal } = reachOf(svc, cat);
  const internal = svc.internalPolicyLocal ? names.local : names.cluster;

  const masq = hasInternal ? masqueradeRule(svc, ctx) : undefined;
  // Cluster-policy external traffic enters the cluster chain, which masquerades it there.
  const externalMasq = usesExternal && !svc.externalPolicyLocal ? [...nft.match(ctx.fam.daddr, svc.clusterIP, '!='), ...nft.orMark(ctx.masqueradeMark)] : undefined;
  if (usesCluster) {
    const eps = [...cat.clusterEndpoints].sort(byKey);
    policyChain(o, names.cluster, eps, [...(internal === names.cluster && masq !== undefined ? [masq] : []), ...(externalMasq !== undefined ? [externalMasq] : [])]);
  }
  if (usesLocal) policyChain(o, names.local, [...cat.localEndpoints].sort(byKey), internal === names.local && masq !== undefined ? [masq] : []);
  if (svc.stickyMaxAgeSeconds > 0 && hasEndpoints) affinitySets(o, cat);
  if (usesExternal && svc.externalPolicyLocal) externalChain(o, names, usesCluster, hasExternal && usesLocal);
  const externalTarget = svc.externalPolicyLocal ? names.external : names.cluster;

  return {
    key: svc.key,
    chains: o.chains,
    sets: o.sets,
    shard: shardEntries(svc, { hasEndpoints, hasInternal, internal, external: externalTarget }),
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

// A policy chain (cluster or local), after its masquerade rules: pick an
// endpoint at random from the chain's endpoint map and DNAT to it; with
// ClientIP affinity, first the endpoint this client is stuck to, else each
// endpoint in turn with chance 1/(endpoints left), recording the client.
function policyChain(o: Objects, chain: string, eps: readonly Endpoint[], masq: readonly Expression[][]): void {
  const { svc, ctx } = o;
  for (const m of masq) o.rule(chain, [m]);
  const l4 = nft.match('meta l4proto', svc.protocol);
  if (svc.stickyMaxAgeSeconds > 0) {
    for (const ep of eps) {
      const set = affinitySet(svc, ep);
      o.rule(chain, [nft.inSet(ctx.fam.saddr, set), l4, nft.updateSet(set, ctx.fam.saddr), nft.dnat(ep.ip, ep.port)]);
    }
    eps.forEach((ep, i) => {
      const last = i === eps.length - 1;
      o.rule(chain, [last ? [] : numgenIs(eps.length - i, 0), l4, nft.updateSet(affinitySet(svc, ep), ctx.fam.saddr), nft.dnat(ep.ip, ep.port)]);
    });
    return;
  }
  o.set({ name: chain, type: 'integer', map: `${ctx.fam.addr} . inet_service`, userdata: numgenMapUserdata(ctx.fam, svc.protocol),
    elements: eps.map((ep, i) => ({ key: i, value: [ep.ip, ep.port] })) });
  o.rule(chain, [l4, dnatNumgenMap(ctx.fam, chain, eps.length)]);
}

// ClientIP affinity: per reachable endpoint, a set of the clients stuck to
// it; an entry lives stickyMaxAgeSeconds past the client's last new connection.
function affinitySets(o: Objects, cat: Categorized): void {
  const { svc, ctx } = o;
  for (const ep of cat.allReachableEndpoints) {
    o.set({ name: affinitySet(svc, ep), type: ctx.fam.addr, flags: ['dynamic', 'timeout'], timeout: svc.stickyMaxAgeSeconds * 1000 });
  }
}

// Where Local-policy NodePort, external-IP and load-balancer traffic goes:
// pods and the node itself short-circuit to the cluster chain (the node's
// traffic masqueraded), the rest goes to this node's endpoints, or nowhere
// (the shared table drops it).
function externalChain(o: Objects, names: ServiceNames, usesCluster: boolean, toLocal: boolean): void {
  const { ctx } = o;
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
function shardEntries(svc: ServicePort, s: { hasEndpoints: boolean; hasInternal: boolean; internal: string; external: string }): Entry[] {
  const out: Entry[] = [];
  const to = (ip: string, chain: string): Entry => ({
    id: `ip|${ip}|${svc.protocol}|${svc.port}`,
    items: [{ set: 'service-ips', element: { key: [ip, svc.protocol, svc.port], verdict: { kind: 'goto', chain } } }],
  });
  if (s.hasInternal) out.push(to(svc.clusterIP, s.internal));
  if (!s.hasEndpoints) return out;
  for (const ip of externalIPs(svc)) out.push(to(ip, s.external));
  if (svc.nodePort !== 0) {
    out.push({ id: `nodeport|${svc.protocol}|${svc.nodePort}`,
      items: [{ set: 'service-nodeports', element: { key: [svc.protocol, svc.nodePort], verdict: { kind: 'goto', chain: s.external } } }] });
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
