// The proxy's model of the cluster, as every backend sees it: one ServicePort
// per (service, port, IP family), and the endpoints behind it. Built from
// Services, EndpointSlices and this node's Node object by the change
// trackers (pure, no I/O); read by the backends, which turn it into kernel
// state. The shapes follow kube-proxy's pkg/proxy ServicePort and Endpoint.
import type { IpFamily } from '../../addr.js';

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

/** What spec.trafficDistribution asks for (kube-proxy ignores other values). */
export type TrafficDistribution = 'PreferClose' | 'PreferSameZone' | 'PreferSameNode';

/**
 * Identifies a service port within one IP family. `key` is the map key the
 * trackers and backends share: `ns/name:portName/protocol` (`:portName` left
 * out for an unnamed port), prefixed with `v6 ` in the IPv6 family.
 */
export interface ServicePortName {
  readonly namespace: string;
  readonly name: string;
  /** The port's `name` in the Service spec ('' when unnamed). */
  readonly portName: string;
  readonly protocol: L4Protocol;
}

/** One port of one Service in one IP family (kube-proxy's ServicePort). */
export interface ServicePort extends ServicePortName {
  readonly key: string;
  readonly family: IpFamily;
  /** spec.clusterIPs entry of this family. */
  readonly clusterIP: string;
  /** spec.ports[].port */
  readonly port: number;
  /** spec.ports[].nodePort, 0 if none. */
  readonly nodePort: number;
  /** spec.externalIPs of this family. */
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress[].ip of this family (ipMode VIP or unset). */
  readonly loadBalancerVIPs: readonly string[];
  /** spec.loadBalancerSourceRanges of this family, as CIDRs (empty: no firewall). */
  readonly loadBalancerSourceRanges: readonly string[];
  /** ClientIP affinity timeout in seconds; 0 when sessionAffinity is None. */
  readonly stickyMaxAgeSeconds: number;
  /** externalTrafficPolicy Local (only for NodePort/LoadBalancer services, or with externalIPs). */
  readonly externalPolicyLocal: boolean;
  /** internalTrafficPolicy Local. */
  readonly internalPolicyLocal: boolean;
  /** spec.healthCheckNodePort (LoadBalancer + externalTrafficPolicy Local), 0 if none. */
  readonly healthCheckNodePort: number;
  readonly trafficDistribution?: TrafficDistribution;
}

/** One endpoint of a service port (kube-proxy's Endpoint), merged across slices. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  /** `ip:port`, `[ip]:port` for IPv6: unique within a service port. */
  readonly key: string;
  /** On this node (endpoint.nodeName equals the node's name). */
  readonly isLocal: boolean;
  /** Ready and not terminating (or the service publishes not-ready addresses). */
  readonly ready: boolean;
  /** Ready, whatever its terminating state. */
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName?: string;
  readonly zone?: string;
  /** hints.forZones[].name, empty when there are none. */
  readonly zoneHints: ReadonlySet<string>;
  /** hints.forNodes[].name, empty when there are none. */
  readonly nodeHints: ReadonlySet<string>;
}

/** What the proxy knows of its own node. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The node's primary IPs per family (status.addresses: InternalIP first, then ExternalIP). */
  readonly primaryIPs: Readonly<Partial<Record<IpFamily, string>>>;
  /** metadata.deletionTimestamp is set. */
  readonly deleting: boolean;
}

/** The whole desired state, as a backend receives it at each sync. */
export interface ProxyState {
  /** Every service port the proxy handles, by key. */
  readonly services: ReadonlyMap<string, ServicePort>;
  /** Endpoints by service port key (a service with none may be absent). */
  readonly endpoints: ReadonlyMap<string, readonly Endpoint[]>;
  readonly node: NodeInfo;
}
