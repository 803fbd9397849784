// kube-proxy's own nftables layout (pkg/proxy/nftables/proxier.go, as
// kube-proxy 1.32 writes it) for the benchmark's services, as the nft
// script its syncProxyRules hands to `nft -f`: one table; a chain per
// service port and per endpoint; a `numgen random mod N vmap { ... }`
// (an anonymous map) per service chain; per-endpoint affinity sets; an
// anonymous source set per firewall chain. Written from the proxier's
// code paths; used only to time `nft -f` beside our backend.
import { createHash } from 'node:crypto';

import { cidrContains } from '../../src/proxy/backend/nftables/ranges.js';
import type { Endpoint, ServicePort } from '../../src/proxy/model/types.js';
import { nftFile } from './proxy-util.js';

const T = 'ip kube-proxy';
const MARK = '0x00004000';
const POD_CIDR = '10.0.0.0/8';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// The first 8 characters of base32(sha256(name)), as kube-proxy's hashAndTruncate.
function hash8(name: string): string {
  const h = createHash('sha256').update(name).digest();
  let bits = 0, value = 0, out = '';
  for (const b of h) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 8) break;
  }
  return out;
}

function names(svc: ServicePort): { cluster: string; local: string; external: string; firewall: string } {
  const base = `${svc.namespace}/${svc.name}/${svc.protocol}/${svc.portName}`;
  const b = `${hash8(base)}-${base}`;
  return { cluster: `service-${b}`, local: `local-${b}`, external: `external-${b}`, firewall: `firewall-${b}` };
}

function endpointNames(svc: ServicePort, ep: Endpoint): { chain: string; affinity: string } {
  const base = `${svc.namespace}/${svc.name}/${svc.protocol}/${svc.portName}__${ep.ip.replaceAll(':', '.')}/${ep.port}`;
  const b = `${hash8(base)}-${base}`;
  return { chain: `endpoint-${b}`, affinity: `affinity-${b}` };
}

/** setupNFTables: the table, base chains, jump chains, helper sets and maps (full sync). */
export function kubeProxySetup(nodeIP: string): string[] {
  const out = [`add table ${T} { comment "rules for kube-proxy" ; }`];
  const base: [string, string, string, number][] = [
    ['filter-prerouting', 'filter', 'prerouting', -110], ['filter-input', 'filter', 'input', -110], ['filter-forward', 'filter', 'forward', -110],
    ['filter-output', 'filter', 'output', -110], ['filter-output-post-dnat', 'filter', 'output', -90], ['nat-prerouting', 'nat', 'prerouting', -100],
    ['nat-output', 'nat', 'output', -100], ['nat-postrouting', 'nat', 'postrouting', 100],
  ];
  for (const [n, type, hook, prio] of base) out.push(`add chain ${T} ${n} { type ${type} hook ${hook} priority ${prio} ; }`, `flush chain ${T} ${n}`);
  const jumps: [string, string, string][] = [
    ['nodeport-endpoints-check', 'filter-input', 'ct state new '], ['service-endpoints-check', 'filter-input', 'ct state new '],
    ['service-endpoints-check', 'filter-forward', 'ct state new '], ['service-endpoints-check', 'filter-output', 'ct state new '],
    ['firewall-check', 'filter-prerouting', 'ct state new '], ['firewall-check', 'filter-output', 'ct state new '],
    ['services', 'nat-output', ''], ['services', 'nat-prerouting', ''], ['masquerading', 'nat-postrouting', ''],
    ['cluster-ips-check', 'filter-forward', 'ct state new '], ['cluster-ips-check', 'filter-output-post-dnat', 'ct state new '],
  ];
  const made = new Set<string>();
  const ensure = (c: string) => {
    if (made.has(c)) return;
    made.add(c);
    out.push(`add chain ${T} ${c}`, `flush chain ${T} ${c}`);
  };
  for (const [dst, src, extra] of jumps) {
    ensure(dst);
    out.push(`add rule ${T} ${src} ${extra}jump ${dst}`);
  }
  for (const c of ['services', 'cluster-ips-check', 'masquerading', 'mark-for-masquerade']) ensure(c);
  out.push(
    `add rule ${T} mark-for-masquerade mark set mark or ${MARK}`,
    `add rule ${T} masquerading mark and ${MARK} == 0 return`,
    `add rule ${T} masquerading mark set mark xor ${MARK}`,
    `add rule ${T} masquerading masquerade fully-random`,
    `add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add rule ${T} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
    `add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `flush set ${T} nodeport-ips`, `add element ${T} nodeport-ips { ${nodeIP} }`,
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`, `flush chain ${T} reject-chain`,
    `add rule ${T} reject-chain reject`,
    `add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    `add rule ${T} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
  );
  ensure('firewall-check');
  out.push(
    `add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${T} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
  );
  out.push(`flush set ${T} cluster-ips`);
  for (const m of ['service-ips', 'firewall-ips', 'no-endpoint-services', 'no-endpoint-nodeports', 'service-nodeports']) out.push(`flush map ${T} ${m}`);
  return out;
}

/**
 * What one service port adds to the transaction (syncProxyRules' loop body,
 * for a service with endpoints that kube-proxy writes in full): chains,
 * elements, rules and affinity sets, in kube-proxy's order.
 */
export function kubeProxyService(svc: ServicePort, endpoints: readonly Endpoint[], nodeIP: string): string[] {
  const out: string[] = [];
  const n = names(svc);
  const local = endpoints.filter((e) => e.isLocal);
  const cluster = endpoints;
  const policyLocal = svc.externalPolicyLocal;
  const external = svc.nodePort !== 0 || svc.loadBalancerVIPs.length > 0 || svc.externalIPs.length > 0;
  const reachable = cluster;  // every endpoint is ready here: the cluster set holds the local ones
  const ensure = (c: string) => out.push(`add chain ${T} ${c}`, `flush chain ${T} ${c}`);
  for (const ep of reachable) ensure(endpointNames(svc, ep).chain);
  ensure(n.cluster);
  if (policyLocal && local.length > 0) ensure(n.local);
  if (external) ensure(n.external);
  const key = (ip: string) => `${ip} . ${svc.protocol} . ${svc.port}`;
  out.push(`add element ${T} cluster-ips { ${svc.clusterIP} }`, `add element ${T} service-ips { ${key(svc.clusterIP)} : goto ${n.cluster} }`);
  const fw = svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  if (fw) ensure(n.firewall);
  for (const vip of svc.loadBalancerVIPs) {
    out.push(`add element ${T} service-ips { ${key(vip)} : goto ${n.external} }`);
    if (fw) out.push(`add element ${T} firewall-ips { ${key(vip)} : goto ${n.firewall} }`);
  }
  const comment = `comment "${svc.namespace}/${svc.name}:${svc.portName}"`;
  if (policyLocal && local.length === 0) for (const vip of svc.loadBalancerVIPs) out.push(`add element ${T} no-endpoint-services { ${key(vip)} ${comment} : drop }`);
  if (svc.nodePort !== 0) out.push(`add element ${T} service-nodeports { ${svc.protocol} . ${svc.nodePort} : goto ${n.external} }`);
  if (svc.nodePort !== 0 && policyLocal && local.length === 0) out.push(`add element ${T} no-endpoint-nodeports { ${svc.protocol} . ${svc.nodePort} ${comment} : drop }`);
  out.push(`add rule ${T} ${n.cluster} ip daddr ${svc.clusterIP} ${svc.protocol} dport ${svc.port} ip saddr != ${POD_CIDR} jump mark-for-masquerade`);
  if (external && !policyLocal) out.push(`add rule ${T} ${n.external} jump mark-for-masquerade`, `add rule ${T} ${n.external} goto ${n.cluster}`);
  if (external && policyLocal) {
    out.push(`add rule ${T} ${n.external} ip saddr ${POD_CIDR} goto ${n.cluster} comment "short-circuit pod traffic"`,
      `add rule ${T} ${n.external} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
      `add rule ${T} ${n.external} fib saddr type local goto ${n.cluster} comment "short-circuit local traffic"`);
    if (local.length > 0) out.push(`add rule ${T} ${n.external} goto ${n.local}`);
  }
  if (fw) {
    const node = svc.loadBalancerSourceRanges.some((c) => cidrContains(c, nodeIP)) ? `, ${svc.loadBalancerVIPs.join(', ')}` : '';
    out.push(`add rule ${T} ${n.firewall} ip saddr != { ${svc.loadBalancerSourceRanges.join(', ')}${node} } drop`);
  }
  const sticky = svc.stickyMaxAgeSeconds > 0;
  if (sticky) for (const ep of reachable) out.push(`add set ${T} ${endpointNames(svc, ep).affinity} { type ipv4_addr ; flags dynamic,timeout ; timeout ${svc.stickyMaxAgeSeconds}s ; }`);
  const pick = (chain: string, eps: readonly Endpoint[]) => {
    if (sticky) for (const ep of eps) out.push(`add rule ${T} ${chain} ip saddr @${endpointNames(svc, ep).affinity} goto ${endpointNames(svc, ep).chain}`);
    out.push(`add rule ${T} ${chain} numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto ${endpointNames(svc, ep).chain}`).join(' , ')} }`);
  };
  pick(n.cluster, cluster);
  if (policyLocal && local.length > 0) pick(n.local, local);
  for (const ep of reachable) {
    const e = endpointNames(svc, ep);
    out.push(`add rule ${T} ${e.chain} ip saddr ${ep.ip} jump mark-for-masquerade`);
    if (sticky) out.push(`add rule ${T} ${e.chain} update @${e.affinity} { ip saddr }`);
    out.push(`add rule ${T} ${e.chain} meta l4proto ${svc.protocol} dnat to ${ep.ip}:${ep.port}`);
  }
  return out;
}

/** kube-proxy's partial sync after one endpoint of `svc` was replaced: the service rewritten, the old endpoint's chain flushed. */
export function kubeProxyChange(svc: ServicePort, endpoints: readonly Endpoint[], gone: Endpoint, nodeIP: string): string[] {
  return [...kubeProxyService(svc, endpoints, nodeIP), `flush chain ${T} ${endpointNames(svc, gone).chain}`];
}

/**
 * kube-proxy's full sync of these service ports loaded with `nft -f` in
 * `ns` (`dir` holds the script): wall and CPU milliseconds, and how many
 * lines the script had.
 */
export function kubeProxyLoad(ns: string, dir: string, services: Iterable<ServicePort>, endpointsOf: (key: string) => readonly Endpoint[],
  nodeIP: string): { wall: number; cpu: number; lines: number } {
  const lines = kubeProxySetup(nodeIP);
  for (const s of services) lines.push(...kubeProxyService(s, endpointsOf(s.key), nodeIP));
  return { ...nftFile(ns, dir, lines, true), lines: lines.length };
}

/**
 * One service port changed as kube-proxy's partial sync writes it, with
 * `nft -f`: rewritten with its `endpoints`, and `gone`'s endpoint chain
 * flushed when an endpoint went away. Wall milliseconds.
 */
export function kubeProxyApply(ns: string, dir: string, svc: ServicePort, endpoints: readonly Endpoint[], gone: Endpoint | undefined, nodeIP: string): number {
  return nftFile(ns, dir, gone !== undefined ? kubeProxyChange(svc, endpoints, gone, nodeIP) : kubeProxyService(svc, endpoints, nodeIP)).wall;
}
