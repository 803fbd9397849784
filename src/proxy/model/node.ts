// This node's Node object -> NodeInfo (labels, primary IPs, deletion), and
// what about it calls for a full sync. Pure.
import type { IpFamily } from '../../addr.js';
import { canonicalCidr, canonicalIp } from './cidr.js';
import { TAINT_TO_BE_DELETED, type Node } from './k8s.js';
import type { NodeInfo } from './types.js';

/**
 * The node's primary IP per family: its first InternalIP of that family,
 * else its first ExternalIP (kube-proxy's GetNodeHostIPs). `override`
 * (--bind-address) replaces the IP of its family.
 */
export function primaryIPs(node: Node | undefined, override: readonly string[] = []): NodeInfo['primaryIPs'] {
  const out: Partial<Record<IpFamily, string>> = {};
  const addrs = node?.status?.addresses ?? [];
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of addrs) {
      if (a.type !== type) continue;
      const ip = canonicalIp(a.address);
      if (ip !== undefined && out[ip.family] === undefined) out[ip.family] = ip.text;
    }
  }
  for (const s of override) {
    const ip = canonicalIp(s);
    if (ip !== undefined) out[ip.family] = ip.text;
  }
  return out;
}

/** NodeInfo of `name` from its Node object (undefined: not seen yet or deleted: no labels, no IPs). */
export function nodeInfo(name: string, node: Node | undefined, override: readonly string[] = []): NodeInfo {
  return {
    name,
    labels: { ...(node?.metadata?.labels ?? {}) },
    primaryIPs: primaryIPs(node, override),
    deleting: node?.metadata?.deletionTimestamp !== undefined && node.metadata.deletionTimestamp !== null,
  };
}

/**
 * The node may take load-balancer traffic: not being deleted and not tainted
 * ToBeDeletedByClusterAutoscaler (kube-proxy's ProxyHealthServer.SyncNode).
 */
export function nodeEligible(node: Node | undefined): boolean {
  if (node === undefined) return true;
  if (node.metadata?.deletionTimestamp !== undefined && node.metadata.deletionTimestamp !== null) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TAINT_TO_BE_DELETED);
}

/** spec.podCIDRs (or the older podCIDR), canonical. */
export function podCIDRs(node: Node | undefined): string[] {
  const list = node?.spec?.podCIDRs ?? (node?.spec?.podCIDR !== undefined ? [node.spec.podCIDR] : []);
  return list.map((c) => canonicalCidr(c)?.text).filter((c): c is string => c !== undefined);
}

/** Whether moving from `a` to `b` needs a full sync: the labels (topology) or the primary IPs (NodePorts) changed. */
export function nodeNeedsFullSync(a: NodeInfo, b: NodeInfo): boolean {
  const la = Object.entries(a.labels).sort();
  const lb = Object.entries(b.labels).sort();
  if (JSON.stringify(la) !== JSON.stringify(lb)) return true;
  return a.primaryIPs[4] !== b.primaryIPs[4] || a.primaryIPs[6] !== b.primaryIPs[6];
}
