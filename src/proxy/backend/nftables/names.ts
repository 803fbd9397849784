// Names of everything the nftables backend creates, and where a service
// lives. One table per IP family holds what every service shares (the
// filter checks and masquerading); the NAT of services is spread over shard
// tables, a service placed by a hash of its namespace and name, so a change
// makes the kernel validate one small table instead of all of them.
import type { Endpoint, ServicePortName } from '../../model/types.js';

/** The table of what all services share (`table ip dataplane-proxy`). */
export const TABLE = 'dataplane-proxy';

/**
 * How many shard tables services are spread over unless told otherwise:
 * measured (README, benchmark), the fewest that keep a change at 10,000
 * services about a millisecond, while a new connection (every shard's NAT
 * chain is tried) costs the node about what kube-proxy's one table does.
 */
export const DEFAULT_SHARDS = 32;
/** The most shard tables a backend may be given (cleanup looks for names beyond any count anyway). */
export const MAX_SHARDS = 1024;

/** The name of shard table `index` (`dataplane-proxy-7`). */
export function shardTable(index: number): string {
  return `${TABLE}-${index}`;
}

const SHARD_NAME = new RegExp(`^${TABLE}-(0|[1-9][0-9]*)$`);

/** What a table name is to this backend: the shared table, a shard (by index), or not ours. */
export function parseTableName(name: string): { kind: 'shared' } | { kind: 'shard'; index: number } | undefined {
  if (name === TABLE) return { kind: 'shared' };
  const m = SHARD_NAME.exec(name);
  return m === null ? undefined : { kind: 'shard', index: Number(m[1]) };
}

/**
 * The shard of a service: FNV-1a of `namespace/name`, modulo the shard
 * count. Every port and both IP families of a service land in the same
 * shard index, and a service stays where it is for as long as the count does.
 */
export function shardOf(svc: Pick<ServicePortName, 'namespace' | 'name'>, shards: number): number {
  let h = 0x811c9dc5;
  const s = `${svc.namespace}/${svc.name}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** `ns/name/protocol/portName`, the part every object of a service port is named after (kube-proxy's, less its hash). */
export function servicePortBase(svc: ServicePortName): string {
  return `${svc.namespace}/${svc.name}/${svc.protocol}/${svc.portName}`;
}

/** The chains (and maps named as them) of one service port. */
export interface ServiceNames {
  /** Cluster-policy endpoints: `service-BASE`; its endpoint map has the same name. */
  readonly cluster: string;
  /** Local-policy (this node's) endpoints: `local-BASE`; its endpoint map has the same name. */
  readonly local: string;
  /** Local-policy NodePort, external IP and load-balancer traffic: `external-BASE`. */
  readonly external: string;
}

/** The chain (and map) names of a service port: `service-`, `local-` and `external-` + `ns/name/protocol/portName`. */
export function serviceNames(svc: ServicePortName): ServiceNames {
  const base = servicePortBase(svc);
  return { cluster: `service-${base}`, local: `local-${base}`, external: `external-${base}` };
}

// `BASE__IP/PORT`, the IPv6 colons turned into dots (nft names allow no colons).
function endpointBase(svc: ServicePortName, ep: Pick<Endpoint, 'ip' | 'port'>): string {
  return `${servicePortBase(svc)}__${ep.ip.replaceAll(':', '.')}/${ep.port}`;
}

/** The set of client addresses stuck to one endpoint of a ClientIP-affinity service port. */
export function affinitySet(svc: ServicePortName, ep: Pick<Endpoint, 'ip' | 'port'>): string {
  return `affinity-${endpointBase(svc, ep)}`;
}
