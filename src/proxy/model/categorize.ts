// Which endpoints a service port sends traffic to from this node: the one
// pure function every backend uses (kube-proxy's CategorizeEndpoints, same
// decisions, our code). Ready endpoints are used when there are any;
// otherwise endpoints that are serving but terminating, decided separately
// for Cluster and Local policy. Topology hints narrow Cluster endpoints only
// when every ready endpoint carries them and one of them is for this node
// (or its zone).
import type { Endpoint, NodeInfo, ServicePort } from './types.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface Categorized {
  /** Endpoints for Cluster-policy traffic; empty when the port never uses Cluster policy. */
  readonly clusterEndpoints: readonly Endpoint[];
  /** This node's endpoints for Local-policy traffic; empty when the port never uses Local policy. */
  readonly localEndpoints: readonly Endpoint[];
  /** The union of the two: every endpoint this node may send traffic to. */
  readonly allReachableEndpoints: readonly Endpoint[];
  /** Some usable endpoint exists anywhere in the cluster (even if none is reachable from here). */
  readonly hasAnyEndpoints: boolean;
  /** The topology narrowing applied to clusterEndpoints, '' for none. */
  readonly topologyMode: '' | 'PreferSameZone' | 'PreferSameNode';
}

/** Accepts traffic from outside the cluster: a NodePort, a LoadBalancer VIP or an external IP. */
export function externallyAccessible(svc: ServicePort): boolean {
  return svc.nodePort !== 0 || svc.loadBalancerVIPs.length > 0 || svc.externalIPs.length > 0;
}

/** Needs Cluster endpoints: internal policy Cluster, or any external traffic (Local external policy still short-circuits cluster-internal sources). */
export function usesClusterEndpoints(svc: ServicePort): boolean {
  return !svc.internalPolicyLocal || externallyAccessible(svc);
}

/** Needs this node's endpoints: internal policy Local, or external policy Local with external traffic. */
export function usesLocalEndpoints(svc: ServicePort): boolean {
  return svc.internalPolicyLocal || (svc.externalPolicyLocal && externallyAccessible(svc));
}

const servingTerminating = (ep: Endpoint): boolean => ep.serving && ep.terminating;

function topologyMode(endpoints: readonly Endpoint[], node: NodeInfo, zone: string): Categorized['topologyMode'] {
  let anyReady = false;
  let allNodeHinted = true, nodeHinted = false;
  let allZoneHinted = true, zoneHinted = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    anyReady = true;
    if (ep.nodeHints.size === 0) allNodeHinted = false;
    else if (ep.nodeHints.has(node.name)) nodeHinted = true;
    if (ep.zoneHints.size === 0) allZoneHinted = false;
    else if (ep.zoneHints.has(zone)) zoneHinted = true;
  }
  if (!anyReady) return '';
  if (allNodeHinted && nodeHinted) return 'PreferSameNode';
  if (allZoneHinted && zoneHinted) return 'PreferSameZone';
  return '';
}

function usableForTopology(ep: Endpoint, mode: Categorized['topologyMode'], node: NodeInfo, zone: string): boolean {
  if (mode === 'PreferSameNode') return ep.nodeHints.has(node.name);
  if (mode === 'PreferSameZone') return ep.zoneHints.has(zone);
  return true;
}

/** Splits a service port's endpoints into what Cluster and Local policies may use from this node. */
export function categorizeEndpoints(endpoints: readonly Endpoint[], svc: ServicePort, node: NodeInfo): Categorized {
  const none: Categorized = { clusterEndpoints: [], localEndpoints: [], allReachableEndpoints: [], hasAnyEndpoints: false, topologyMode: '' };
  if (endpoints.length === 0) return none;
  const zone = node.labels[ZONE_LABEL] ?? '';
  let cluster: readonly Endpoint[] = [];
  let mode: Categorized['topologyMode'] = '';
  let hasAny = false;
  if (usesClusterEndpoints(svc)) {
    mode = topologyMode(endpoints, node, zone);
    cluster = endpoints.filter((ep) => ep.ready && usableForTopology(ep, mode, node, zone));
    // Topology is only applied when it leaves a ready endpoint, so an empty
    // list here means nothing is ready anywhere: fall back to terminating ones.
    if (cluster.length === 0) cluster = endpoints.filter(servingTerminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(svc)) {
    return { clusterEndpoints: cluster, localEndpoints: [], allReachableEndpoints: cluster, hasAnyEndpoints: hasAny, topologyMode: mode };
  }
  let localReady = false, localTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) { hasAny = true; if (ep.isLocal) localReady = true; }
    else if (servingTerminating(ep)) { hasAny = true; if (ep.isLocal) localTerminating = true; }
  }
  const localUsesTerminating = !localReady && localTerminating;
  const local = localReady ? endpoints.filter((ep) => ep.isLocal && ep.ready)
    : localUsesTerminating ? endpoints.filter((ep) => ep.isLocal && servingTerminating(ep))
      : [];
  if (!usesClusterEndpoints(svc)) {
    return { clusterEndpoints: [], localEndpoints: local, allReachableEndpoints: local, hasAnyEndpoints: hasAny, topologyMode: mode };
  }
  // No topology narrowing and local endpoints that are ready (or none): cluster
  // holds every ready endpoint, so it already contains every local one.
  if (mode === '' && !localUsesTerminating) {
    return { clusterEndpoints: cluster, localEndpoints: local, allReachableEndpoints: cluster, hasAnyEndpoints: hasAny, topologyMode: mode };
  }
  const union = new Map<string, Endpoint>();
  for (const ep of cluster) union.set(ep.key, ep);
  for (const ep of local) union.set(ep.key, ep);
  return { clusterEndpoints: cluster, localEndpoints: local, allReachableEndpoints: [...union.values()], hasAnyEndpoints: hasAny, topologyMode: mode };
}

/** What a service port's categorized endpoints make reachable from this node, as every backend decides it (kube-proxy's hasEndpoints, hasInternalEndpoints, ...). */
export interface Reach {
  /** Some usable endpoint exists. */
  readonly hasEndpoints: boolean;
  /** The Cluster-policy endpoints are used (and there are some). */
  readonly usesCluster: boolean;
  /** This node's endpoints are used for Local policy (and there are some). */
  readonly usesLocal: boolean;
  /** Traffic to the cluster IP has an endpoint under the internal policy. */
  readonly hasInternal: boolean;
  /** NodePort, external-IP and load-balancer traffic has an endpoint under the external policy. */
  readonly hasExternal: boolean;
  /** External traffic is handled at all (endpoints exist and the port is externally accessible). */
  readonly usesExternal: boolean;
}

/** The reach of a service port from its categorized endpoints. */
export function reachOf(svc: ServicePort, cat: Categorized): Reach {
  const hasEndpoints = cat.hasAnyEndpoints;
  const local = cat.localEndpoints.length > 0;
  return {
    hasEndpoints,
    usesCluster: cat.clusterEndpoints.length > 0 && usesClusterEndpoints(svc),
    usesLocal: local && usesLocalEndpoints(svc),
    hasInternal: hasEndpoints && (!svc.internalPolicyLocal || local),
    hasExternal: hasEndpoints && (!svc.externalPolicyLocal || local),
    usesExternal: hasEndpoints && externallyAccessible(svc),
  };
}
