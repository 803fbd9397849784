// What one service port asks of the kernel in IPVS mode (pure, no I/O): its
// virtual servers and their real servers, the addresses it binds on
// kube-ipvs0, and its elements in the named sets of our nftables table (the
// sets kube-proxy keeps as ipsets). The backend unions these per service
// port and diffs them against what it applied or what the kernel holds.
import { formatIp, parseIp, type IpFamily, type SchedulerFlag } from '../../../index.js';
import { categorizeEndpoints, externallyAccessible } from '../../model/categorize.js';
import type { Endpoint, L4Protocol, NodeInfo, ServicePort } from '../../model/types.js';
import { cidrContains } from '../../model/cidr.js';
import { cidrRange } from './cidr.js';

/** A real server of a planned virtual server: masq, weight 1. */
export interface PlannedDest {
  readonly address: string;
  readonly port: number;
}

/** What names and configures a virtual server (`ipvsadm -A -t|-u|--sctp-service ADDR:PORT -s SCHED [-p T]`). */
export interface VirtualServerSpec {
  /** 'tcp/10.96.0.10/80' (address canonical): the key kernel listings are matched by. */
  readonly key: string;
  readonly protocol: L4Protocol;
  readonly address: string;
  readonly port: number;
  readonly scheduler: string;
  /** ClientIP affinity timeout in seconds (`-p`), 0 for none. */
  readonly persistence: number;
  readonly schedulerFlags: readonly SchedulerFlag[];
}

/** A virtual server a service port wants, with its real servers. */
export interface PlannedVirtualServer extends VirtualServerSpec {
  readonly family: IpFamily;
  /** By `ip:port` / `[ip]:port`. */
  readonly dests: ReadonlyMap<string, PlannedDest>;
}

/**
 * Our named sets, one of each per family table, with kube-proxy's ipset each
 * replaces. Keys are `addr . proto . port` unless noted.
 */
export const SET_NAMES = [
  'cluster-ips', //         KUBE-CLUSTER-IP
  'external-ips', //        KUBE-EXTERNAL-IP (externalTrafficPolicy Cluster: masquerade)
  'external-ips-local', //  KUBE-EXTERNAL-IP-LOCAL
  'load-balancer-ips', //   KUBE-LOAD-BALANCER
  'load-balancer-ips-local', // KUBE-LOAD-BALANCER-LOCAL
  'firewall-ips', //        KUBE-LOAD-BALANCER-FW: LB IPs with loadBalancerSourceRanges
  'firewall-allow', //      KUBE-LOAD-BALANCER-SOURCE-CIDR/-IP: addr . proto . port . source range
  'node-ports', //          KUBE-NODE-PORT-TCP/UDP/SCTP: proto . port (Cluster policy: masquerade)
  'no-local-endpoints', //  ours: Local-policy LB/external IPs with no endpoint on this node
  'no-local-node-ports', // ours: proto . port, the same for NodePorts
  'hairpin', //             KUBE-LOOP-BACK: endpoint addr . proto . port . endpoint addr
  'ipvs-ips', //            KUBE-IPVS-IPS: addr (what is bound on kube-ipvs0)
] as const;
/** One of our set names. */
export type SetName = (typeof SET_NAMES)[number];

/** One element of one of our sets. */
export interface PlannedElement {
  /** Unique per family, set and key: what reference counts are kept by. */
  readonly id: string;
  readonly family: IpFamily;
  readonly set: SetName;
  readonly key: readonly (string | number)[];
  /** The last key of a range (firewall-allow's source CIDRs). */
  readonly keyEnd?: readonly (string | number)[];
}

/** Everything one service port asks for. */
export interface ServicePortPlan {
  readonly virtualServers: readonly PlannedVirtualServer[];
  /** Canonical addresses to bind on kube-ipvs0 (/32 or /128). */
  readonly addresses: readonly string[];
  readonly elements: readonly PlannedElement[];
  /** Local policy with usable endpoints elsewhere but none on this node (kubeproxy_sync_proxy_rules_no_local_endpoints_total). */
  readonly noLocalEndpoints: { readonly internal: boolean; readonly external: boolean };
}

/** What the plan needs to know about the node; built once per full sync. */
export interface PlanContext {
  readonly scheduler: string;
  readonly node: NodeInfo;
  /** Where NodePort virtual servers listen, per family (--nodeport-addresses). */
  readonly nodePortIPs: Readonly<Partial<Record<IpFamily, readonly string[]>>>;
  /** Local addresses on other interfaces than kube-ipvs0: ExternalIPs and LB IPs among them are not bound again. */
  readonly otherAddresses: ReadonlySet<string>;
}

/** Canonical text of an address (IPv6 as the kernel prints it; IPv4 text the model accepted is canonical already). */
export function canonicalAddress(ip: string): string {
  return ip.includes(':') ? formatIp(parseIp(ip).bytes) : ip;
}

/** The key of a virtual server, as kernel listings are matched: 'tcp/10.96.0.10/80'. */
export function virtualServerKey(protocol: string, address: string, port: number): string {
  return `${protocol}/${address}/${port}`;
}

/** `ip:port`, `[ip]:port` for IPv6 (as Endpoint.key). */
export function destKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function element(family: IpFamily, set: SetName, key: (string | number)[], keyEnd?: (string | number)[]): PlannedElement {
  const id = `${family} ${set} ${key.join(' . ')}${keyEnd === undefined ? '' : ` - ${keyEnd[keyEnd.length - 1]}`}`;
  return keyEnd === undefined ? { id, family, set, key } : { id, family, set, key, keyEnd };
}

function dests(endpoints: readonly Endpoint[]): Map<string, PlannedDest> {
  const out = new Map<string, PlannedDest>();
  for (const ep of endpoints) {
    // IPv4 text the model accepted is canonical, and so is its key then.
    if (!ep.ip.includes(':')) out.set(ep.key, { address: ep.ip, port: ep.port });
    else {
      const address = canonicalAddress(ep.ip);
      out.set(destKey(address, ep.port), { address, port: ep.port });
    }
  }
  return out;
}

const NO_FLAGS: readonly SchedulerFlag[] = [];
const MH_FLAGS: readonly SchedulerFlag[] = ['mh-port'];

function virtualServer(svc: ServicePort, ctx: PlanContext, address: string, port: number, ds: ReadonlyMap<string, PlannedDest>): PlannedVirtualServer {
  return {
    key: virtualServerKey(svc.protocol, address, port), family: svc.family, protocol: svc.protocol, address, port,
    scheduler: ctx.scheduler, persistence: svc.stickyMaxAgeSeconds, schedulerFlags: ctx.scheduler === 'mh' ? MH_FLAGS : NO_FLAGS, dests: ds,
  };
}

/**
 * Plans one service port (kube-proxy's syncProxyRules loop body for one
 * port): virtual servers on the ClusterIP, each ExternalIP and LoadBalancer
 * IP and the NodePort on each node address; internal traffic goes to the
 * endpoints internalTrafficPolicy allows (Local: this node's only), external
 * traffic to this node's endpoints under externalTrafficPolicy Local when
 * there are any, else to the cluster's (outside sources are then dropped by
 * the no-local-endpoints sets, as kube-proxy's nftables mode drops them).
 */
export function planServicePort(svc: ServicePort, endpoints: readonly Endpoint[], ctx: PlanContext): ServicePortPlan {
  const f = svc.family;
  const proto = svc.protocol;
  const cat = categorizeEndpoints(endpoints, svc, ctx.node);
  const internal = dests(svc.internalPolicyLocal ? cat.localEndpoints : cat.clusterEndpoints);
  const externalLocal = svc.externalPolicyLocal && externallyAccessible(svc);
  const noLocalExternal = externalLocal && cat.localEndpoints.length === 0 && cat.hasAnyEndpoints;
  const external = externalLocal && !noLocalExternal ? dests(cat.localEndpoints) : dests(cat.clusterEndpoints);

  const clusterIP = canonicalAddress(svc.clusterIP);
  const virtualServers: PlannedVirtualServer[] = [virtualServer(svc, ctx, clusterIP, svc.port, internal)];
  const addresses = [clusterIP];
  const elements: PlannedElement[] = [element(f, 'cluster-ips', [clusterIP, proto, svc.port])];

  for (const raw of svc.externalIPs) {
    const ip = canonicalAddress(raw);
    virtualServers.push(virtualServer(svc, ctx, ip, svc.port, external));
    if (!ctx.otherAddresses.has(ip)) addresses.push(ip);
    elements.push(element(f, externalLocal ? 'external-ips-local' : 'external-ips', [ip, proto, svc.port]));
    if (noLocalExternal) elements.push(element(f, 'no-local-endpoints', [ip, proto, svc.port]));
  }
  for (const raw of svc.loadBalancerVIPs) {
    const ip = canonicalAddress(raw);
    virtualServers.push(virtualServer(svc, ctx, ip, svc.port, external));
    if (!ctx.otherAddresses.has(ip)) addresses.push(ip);
    elements.push(element(f, 'load-balancer-ips', [ip, proto, svc.port]));
    if (externalLocal) elements.push(element(f, 'load-balancer-ips-local', [ip, proto, svc.port]));
    if (noLocalExternal) elements.push(element(f, 'no-local-endpoints', [ip, proto, svc.port]));
    elements.push(...firewall(svc, ip, ctx));
  }
  if (svc.nodePort !== 0) {
    for (const ip of ctx.nodePortIPs[f] ?? []) virtualServers.push(virtualServer(svc, ctx, ip, svc.nodePort, external));
    if (!externalLocal) elements.push(element(f, 'node-ports', [proto, svc.nodePort]));
    if (noLocalExternal) elements.push(element(f, 'no-local-node-ports', [proto, svc.nodePort]));
  }
  for (const ep of endpoints) {
    if (!ep.isLocal) continue;
    const ip = canonicalAddress(ep.ip);
    elements.push(element(f, 'hairpin', [ip, proto, ep.port, ip]));
  }
  const bound = addresses.length === 1 ? addresses : [...new Set(addresses)];
  for (const ip of bound) elements.push(element(f, 'ipvs-ips', [ip]));
  return {
    virtualServers,
    addresses: bound,
    elements,
    noLocalEndpoints: {
      internal: svc.internalPolicyLocal && cat.hasAnyEndpoints && cat.localEndpoints.length === 0,
      external: noLocalExternal,
    },
  };
}

// loadBalancerSourceRanges: the LB IP:port is firewalled, each range is let
// through, and so is the LB IP itself when a range holds this node's IP
// (the node reaching its own LB IP uses that IP as the source).
function firewall(svc: ServicePort, ip: string, ctx: PlanContext): PlannedElement[] {
  if (svc.loadBalancerSourceRanges.length === 0) return [];
  const f = svc.family;
  const head = [ip, svc.protocol, svc.port];
  const out = [element(f, 'firewall-ips', head)];
  const nodeIP = ctx.node.primaryIPs[f];
  let fromNode = false;
  for (const range of svc.loadBalancerSourceRanges) {
    const [first, last] = cidrRange(range);
    out.push(element(f, 'firewall-allow', [...head, first], [...head, last]));
    if (nodeIP !== undefined && cidrContains(range, nodeIP)) fromNode = true;
  }
  if (fromNode) out.push(element(f, 'firewall-allow', [...head, ip], [...head, ip]));
  return out;
}
