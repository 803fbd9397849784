// The rules of one service port (pure: model in, x_tables rules out), in
// kube-proxy's iptables layout (pkg/proxy/iptables/proxier.go, as facts):
// the nat table's dispatch chain jumps by destination to the port's chain
// for Cluster-policy endpoints (SVC) or this node's (SVL), which picks an
// endpoint chain (SEP) with statistic random probabilities 1/n, 1/(n-1),
// ... 1 (or, with ClientIP affinity, first the endpoint whose `recent` list
// holds the client); an endpoint chain marks hairpin traffic for masquerade
// and DNATs. NodePort, external-IP and load-balancer traffic goes through
// an external chain (EXT: masquerade, and under Local policy the short
// cuts of pod and node traffic to SVC), load balancers with source ranges
// first through a firewall chain (FW). What has no endpoint is rejected
// (none at all) or dropped (none here, Local policy) in the filter table,
// where the destination is still the service's.
import type { Endpoint, NodeInfo, ServicePort } from '../../model/types.js';
import { categorizeEndpoints, reachOf } from '../../model/categorize.js';
import { cidrContains } from '../../model/cidr.js';
import type { IptablesMatch as Match, IptablesRule as Rule, IptablesTarget as Target } from '../../../iptables/index.js';
import { CHAIN, endpointChain, portComment, serviceChains } from './names.js';

/** How traffic from inside the cluster is told apart, as rule header parts (absent: it is not). */
export interface LocalTraffic {
  /** Alternatives: a packet from inside the cluster matches one of them. */
  readonly isLocal: readonly Rule[];
  /** Matches what comes from outside the cluster. */
  readonly notLocal: Rule;
}

/** What planning a service port needs besides the port and its endpoints. */
export interface PlanContext {
  readonly family: 4 | 6;
  /** 1 << masqueradeBit */
  readonly masqueradeMark: number;
  readonly masqueradeAll: boolean;
  readonly local: LocalTraffic | undefined;
  readonly node: NodeInfo;
  /** Header and matches of packets addressed to a NodePort of this node (one rule each). */
  readonly nodePortDestinations: readonly Rule[];
}

/** Everything one service port puts in the tables of its family. */
export interface ServiceRules {
  readonly key: string;
  /** Its own nat chains (SVC, SVL, EXT, FW, SEP), with their rules. */
  readonly chains: ReadonlyMap<string, readonly Rule[]>;
  /** Its rules in the shared nat chains DP-SERVICES and DP-NODEPORTS. */
  readonly nat: { readonly services: readonly Rule[]; readonly nodePorts: readonly Rule[] };
  /** Its rules in the filter chains DP-SERVICES, DP-EXTERNAL-SERVICES, DP-PROXY-FIREWALL and DP-NODEPORTS (the health check port's accept). */
  readonly filter: {
    readonly services: readonly Rule[]; readonly external: readonly Rule[]; readonly firewall: readonly Rule[]; readonly nodePorts: readonly Rule[];
  };
  /** Whether Local policy leaves it without endpoints (kube-proxy's no_local_endpoints counts). */
  readonly noLocal: { readonly internal: number; readonly external: number };
}

export const jump = (chain: string): Target => ({ name: 'jump', chain });
export const comment = (text: string): Match => ({ name: 'comment', comment: text });

/** `-p PROTO -m PROTO --dport PORT` (the port left out when 0). */
export function protoPort(protocol: ServicePort['protocol'], port: number): Rule {
  return { protocol, matches: [port === 0 ? { name: protocol } : { name: protocol, destinationPort: port } as Match] };
}

/** Merges rule parts: header fields and inversions, matches in order; the last target wins. */
export function merge(...parts: Rule[]): Rule {
  const out: Rule = {};
  const matches: Match[] = [];
  for (const p of parts) {
    const { matches: m, invert, ...rest } = p;
    Object.assign(out, rest);
    if (invert !== undefined) out.invert = { ...out.invert, ...invert };
    if (m !== undefined) matches.push(...m);
  }
  if (matches.length > 0) out.matches = matches;
  return out;
}

const byKey = (a: Endpoint, b: Endpoint): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Plans one service port of one family. */
export function planService(svc: ServicePort, endpoints: readonly Endpoint[], ctx: PlanContext): ServiceRules {
  const cat = categorizeEndpoints(endpoints, svc, ctx.node);
  const names = serviceChains(svc.key);
  const { hasEndpoints, usesCluster, usesLocal, hasInternal, hasExternal, usesExternal } = reachOf(svc, cat);
  const internal = svc.internalPolicyLocal ? names.local : names.cluster;
  const usesFirewall = usesExternal && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const name = portComment(svc);
  const port = protoPort(svc.protocol, svc.port);
  const chains = new Map<string, Rule[]>();

  const masq = hasInternal ? masqueradeRule(svc, ctx, name) : undefined;
  if (usesCluster) policyChain(chains, svc, names.cluster, [...cat.clusterEndpoints].sort(byKey), internal === names.cluster ? masq : undefined, ctx);
  if (usesLocal) policyChain(chains, svc, names.local, [...cat.localEndpoints].sort(byKey), internal === names.local ? masq : undefined, ctx);
  if (usesExternal) chains.set(names.external, externalChain(svc, names, usesCluster, hasExternal && usesLocal, ctx));
  if (usesFirewall) chains.set(names.firewall, firewallChain(svc, names.external, ctx));

  const nat = { services: [] as Rule[], nodePorts: [] as Rule[] };
  if (hasInternal) nat.services.push(merge({ destination: svc.clusterIP, matches: [comment(`${name} cluster IP`)] }, port, { target: jump(internal) }));
  if (usesExternal) {
    for (const ip of svc.externalIPs) nat.services.push(merge({ destination: ip, matches: [comment(`${name} external IP`)] }, port, { target: jump(names.external) }));
    for (const ip of svc.loadBalancerVIPs) {
      nat.services.push(merge({ destination: ip, matches: [comment(`${name} loadbalancer IP`)] }, port, { target: jump(usesFirewall ? names.firewall : names.external) }));
    }
    if (svc.nodePort !== 0) nat.nodePorts.push(merge({ matches: [comment(name)] }, protoPort(svc.protocol, svc.nodePort), { target: jump(names.external) }));
  }

  const filter = { services: [] as Rule[], external: [] as Rule[], firewall: [] as Rule[], nodePorts: [] as Rule[] };
  // Local-policy load balancers: their health check NodePort (served by the proxy) is let in, whatever INPUT's policy.
  if (svc.healthCheckNodePort !== 0) {
    filter.nodePorts.push(merge({ matches: [comment(`${name} health check node port`)] }, protoPort('tcp', svc.healthCheckNodePort), { target: { name: 'ACCEPT' } }));
  }
  const refuse = (why: string, ...parts: Rule[]): Rule => merge({ matches: [comment(`${name} has no ${why}endpoints`)] }, ...parts,
    { target: hasEndpoints ? { name: 'DROP' } : { name: 'REJECT' } });
  const why = hasEndpoints ? 'local ' : '';
  if (!hasInternal) filter.services.push(refuse(why, { destination: svc.clusterIP }, port));
  if (!hasExternal) {
    for (const ip of [...svc.externalIPs, ...svc.loadBalancerVIPs]) filter.external.push(refuse(why, { destination: ip }, port));
    if (svc.nodePort !== 0) {
      for (const d of ctx.nodePortDestinations) filter.external.push(refuse(why, d, protoPort(svc.protocol, svc.nodePort)));
    }
  }
  if (usesFirewall) {
    for (const ip of svc.loadBalancerVIPs) {
      filter.firewall.push(merge({ destination: ip, matches: [comment(`${name} traffic not accepted by ${names.firewall}`)] }, port, { target: { name: 'DROP' } }));
    }
  }
  return {
    key: svc.key, chains, nat, filter,
    noLocal: { internal: hasEndpoints && !hasInternal ? 1 : 0, external: hasEndpoints && !hasExternal ? 1 : 0 },
  };
}

// Traffic to the cluster IP from outside the cluster (or all of it with
// --masquerade-all) is marked for masquerade; without a way to tell, none.
function masqueradeRule(svc: ServicePort, ctx: PlanContext, name: string): Rule | undefined {
  if (!ctx.masqueradeAll && ctx.local === undefined) return undefined;
  return merge({ destination: svc.clusterIP, matches: [comment(`${name} cluster IP`)] }, protoPort(svc.protocol, svc.port),
    ctx.masqueradeAll ? {} : ctx.local!.notLocal, { target: jump(CHAIN.markMasq) });
}

// A policy chain (SVC or SVL): its masquerade rule, then, with ClientIP
// affinity, a jump to the endpoint whose recent list has the client, then
// each endpoint in turn with chance 1/(endpoints left); and the endpoint chains.
function policyChain(chains: Map<string, Rule[]>, svc: ServicePort, chain: string, eps: readonly Endpoint[], masq: Rule | undefined, ctx: PlanContext): void {
  const rules: Rule[] = masq !== undefined ? [masq] : [];
  const name = portComment(svc);
  const seps = eps.map((ep) => endpointChain(svc.key, ep));
  if (svc.stickyMaxAgeSeconds > 0) {
    seps.forEach((sep, i) => rules.push({
      matches: [comment(`${name} -> ${eps[i]!.key}`), { name: 'recent', mode: 'rcheck', list: sep, seconds: svc.stickyMaxAgeSeconds, reap: true, mask: fullMask(ctx.family), side: 'source' }],
      target: jump(sep),
    }));
  }
  seps.forEach((sep, i) => {
    const left = eps.length - i;
    const pick: Match[] = left > 1 ? [{ name: 'statistic', mode: 'random', probability: 1 / left }] : [];
    rules.push({ matches: [comment(`${name} -> ${eps[i]!.key}`), ...pick], target: jump(sep) });
  });
  chains.set(chain, rules);
  eps.forEach((ep, i) => chains.set(seps[i]!, endpointRules(svc, ep, seps[i]!, ctx)));
}

const fullMask = (family: 4 | 6): string => (family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');

// An endpoint chain: an endpoint reaching itself is masqueraded (hairpin); DNAT, recording the client for affinity.
function endpointRules(svc: ServicePort, ep: Endpoint, sep: string, ctx: PlanContext): Rule[] {
  const name = portComment(svc);
  const record: Match[] = svc.stickyMaxAgeSeconds > 0 ? [{ name: 'recent', mode: 'set', list: sep, mask: fullMask(ctx.family), side: 'source' }] : [];
  return [
    { source: ep.ip, matches: [comment(name)], target: jump(CHAIN.markMasq) },
    { protocol: svc.protocol, matches: [comment(name), ...record, { name: svc.protocol } as Match], target: { name: 'DNAT', address: ep.ip, port: ep.port } },
  ];
}

// External traffic: masqueraded and sent to the cluster chain under Cluster
// policy; under Local policy pods and the node itself short-circuit to the
// cluster chain (the node's traffic masqueraded), the rest goes to this
// node's endpoints or, when there are none, on to the filter table's drop.
function externalChain(svc: ServicePort, names: ReturnType<typeof serviceChains>, usesCluster: boolean, toLocal: boolean, ctx: PlanContext): Rule[] {
  const name = portComment(svc);
  if (!svc.externalPolicyLocal) {
    return usesCluster ? [{ matches: [comment(`masquerade traffic for ${name} external destinations`)], target: jump(CHAIN.markMasq) }, { target: jump(names.cluster) }] : [];
  }
  const rules: Rule[] = [];
  if (usesCluster) {
    for (const l of ctx.local?.isLocal ?? []) rules.push(merge(l, { matches: [comment(`pod traffic for ${name} external destinations`)], target: jump(names.cluster) }));
    const fromNode: Match = { name: 'addrtype', sourceType: ['LOCAL'] };
    rules.push({ matches: [comment(`masquerade LOCAL traffic for ${name} external destinations`), fromNode], target: jump(CHAIN.markMasq) });
    rules.push({ matches: [comment(`route LOCAL traffic for ${name} external destinations`), fromNode], target: jump(names.cluster) });
  }
  if (toLocal) rules.push({ target: jump(names.local) });
  return rules;
}

// loadBalancerSourceRanges: allowed sources go on to the external chain; the
// rest is not DNATed, and the filter table's firewall chain drops it. As in
// kube-proxy, when a range holds the node's own IP the VIPs are allowed too.
function firewallChain(svc: ServicePort, external: string, ctx: PlanContext): Rule[] {
  const nodeIP = ctx.node.primaryIPs[ctx.family];
  const fromNode = nodeIP !== undefined && svc.loadBalancerSourceRanges.some((c) => cidrContains(c, nodeIP));
  const name = portComment(svc);
  const sources = [...svc.loadBalancerSourceRanges, ...(fromNode ? svc.loadBalancerVIPs : [])];
  return [
    ...sources.map((source): Rule => ({ source, matches: [comment(`${name} loadbalancer IP`)], target: jump(external) })),
    { matches: [comment(`other traffic to ${name} will be dropped by ${CHAIN.firewall}`)] },
  ];
}
