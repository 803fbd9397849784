// Names of the chains the iptables backend writes. The layout is kube-proxy's
// iptables mode (KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-*, ...), the names our
// own (DP-*), so both can run side by side in one node's tables.
import { createHash } from 'node:crypto';

import type { Endpoint, ServicePortName } from '../../model/types.js';

/** Every chain this backend writes starts with this; no other chain does. */
export const PREFIX = 'DP-';

/** The fixed chains (kube-proxy's KUBE-SERVICES, KUBE-NODEPORTS, KUBE-POSTROUTING, KUBE-MARK-MASQ, ...). */
export const CHAIN = {
  /** nat: the dispatch by service IP and port (PREROUTING, OUTPUT jump here); filter: rejects of cluster IPs without endpoints. */
  services: 'DP-SERVICES',
  /** nat: the dispatch by NodePort; filter: the accept of health check NodePorts (from INPUT). */
  nodePorts: 'DP-NODEPORTS',
  /** nat: masquerade what carries the mark. */
  postrouting: 'DP-POSTROUTING',
  /** nat: set the masquerade mark. */
  markMasq: 'DP-MARK-MASQ',
  /** filter: rejects and drops of external IPs, load-balancer IPs and NodePorts without (local) endpoints. */
  externalServices: 'DP-EXTERNAL-SERVICES',
  /** filter: drops of load-balancer traffic from sources outside loadBalancerSourceRanges. */
  firewall: 'DP-PROXY-FIREWALL',
  /** filter: accepts forwarded service traffic. */
  forward: 'DP-FORWARD',
  /** filter: drops traffic to 127.0.0.0/8 from elsewhere (IPv4 localhost NodePorts, kube-proxy's KUBE-FIREWALL). */
  localnet: 'DP-FIREWALL',
} as const;

/** Whether a chain is this backend's. */
export const isOurs = (chain: string): boolean => chain.startsWith(PREFIX);

// 16 hex digits of SHA-256: 23-character names, below the kernel's 28.
function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16).toUpperCase();
}

/** The per-service-port chains (kube-proxy's KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW-). */
export interface ServiceChains {
  /** Cluster-policy endpoints. */
  readonly cluster: string;
  /** This node's endpoints (Local policy). */
  readonly local: string;
  /** NodePort, external-IP and load-balancer traffic. */
  readonly external: string;
  /** Load-balancer traffic checked against loadBalancerSourceRanges. */
  readonly firewall: string;
}

/** The chain names of a service port (its family is part of its key). */
export function serviceChains(key: string): ServiceChains {
  const h = hash(key);
  return { cluster: `DP-SVC-${h}`, local: `DP-SVL-${h}`, external: `DP-EXT-${h}`, firewall: `DP-FW-${h}` };
}

/** The chain of one endpoint of a service port (kube-proxy's KUBE-SEP-); also the name of its affinity list. */
export function endpointChain(key: string, ep: Pick<Endpoint, 'key'>): string {
  return `DP-SEP-${hash(`${key}|${ep.key}`)}`;
}

/** `ns/name:port` as kube-proxy's comments name a service port. */
export function portComment(svc: ServicePortName): string {
  return `${svc.namespace}/${svc.name}${svc.portName === '' ? '' : `:${svc.portName}`}`;
}
