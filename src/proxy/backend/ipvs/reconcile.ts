// How one virtual server is brought from what it is to what is wanted (pure):
// the IPVS operations, which TCP real servers start draining (weight 0, as
// kube-proxy's graceful termination), and which UDP/SCTP flows must leave
// conntrack. "What it is" comes from a kernel listing (full sync) or from
// what the last sync applied (partial sync).
import type { AddressKey, Dest, ForwardMethod, IpvsOperation, ServiceSpec, ServiceWithDests } from '../../../index.js';
import type { L4Protocol } from '../../model/types.js';
import { canonicalAddress, destKey, virtualServerKey, type PlannedDest, type PlannedVirtualServer, type VirtualServerSpec } from './plan.js';

/** A real server as it is. */
export interface CurrentDest {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly forward: ForwardMethod;
  /** Active + inactive connections; undefined when not known (partial sync). */
  readonly connections?: number;
}

/** A virtual server as it is. */
export interface CurrentVirtualServer extends VirtualServerSpec {
  /** The persistence netmask is the default one (/32, /128). */
  readonly defaultNetmask: boolean;
  readonly dests: ReadonlyMap<string, CurrentDest>;
}

/** A real server of a virtual server, by their keys: what draining and conntrack cleanup refer to. */
export interface DestRef {
  readonly service: AddressKey;
  readonly dest: PlannedDest;
}

/** What bringing one virtual server in line takes. */
export interface Reconciliation {
  readonly operations: IpvsOperation[];
  /** TCP real servers now at weight 0 (or found there), to delete once their connections end. */
  readonly draining: DestRef[];
  /** Real servers back in the wanted set: no longer draining. */
  readonly restored: DestRef[];
  /** UDP/SCTP flows to clean from conntrack: to one real server, or (dest undefined) to the whole virtual server. */
  readonly staleFlows: { service: AddressKey; dest?: PlannedDest }[];
}

/** The kernel's view of a virtual server, keyed like a plan; undefined for a fwmark service. */
export function currentFromKernel(s: ServiceWithDests): CurrentVirtualServer | undefined {
  if (s.address === undefined || s.protocol === undefined || s.port === undefined) return undefined;
  const address = canonicalAddress(s.address);
  const dests = new Map<string, CurrentDest>();
  for (const d of s.dests) {
    const a = canonicalAddress(d.address);
    dests.set(destKey(a, d.port), { address: a, port: d.port, weight: d.weight, forward: d.forward, connections: d.activeConnections + d.inactiveConnections });
  }
  return {
    key: virtualServerKey(s.protocol, address, s.port), protocol: s.protocol, address, port: s.port,
    scheduler: s.scheduler, persistence: s.persistence ?? 0, schedulerFlags: s.schedulerFlags,
    defaultNetmask: s.netmask === '255.255.255.255' || s.netmask === 128, dests,
  };
}

/** What the last sync applied to a virtual server, with the real servers still draining at weight 0. */
export function currentFromPlan(v: PlannedVirtualServer, draining: Iterable<PlannedDest>): CurrentVirtualServer {
  const dests = new Map<string, CurrentDest>();
  for (const [k, d] of v.dests) dests.set(k, { ...d, weight: 1, forward: 'masq' });
  for (const d of draining) {
    const k = destKey(d.address, d.port);
    if (!dests.has(k)) dests.set(k, { ...d, weight: 0, forward: 'masq' });
  }
  return { ...v, defaultNetmask: true, dests };
}

/** True when reconciling would drain TCP real servers: then their connection counts are worth listing first. */
export function drainsTcp(want: PlannedVirtualServer | undefined, have: CurrentVirtualServer | undefined): boolean {
  if (want === undefined || have === undefined || want.protocol !== 'tcp') return false;
  for (const [k, d] of have.dests) if (!want.dests.has(k) && d.connections === undefined) return true;
  return false;
}

/** `have` with the kernel's weights and connection counts of the real servers it lists. */
export function withKernelDests(have: CurrentVirtualServer, listed: readonly Dest[]): CurrentVirtualServer {
  const dests = new Map(have.dests);
  for (const d of listed) {
    const address = canonicalAddress(d.address);
    const k = destKey(address, d.port);
    if (dests.has(k)) dests.set(k, { address, port: d.port, weight: d.weight, forward: d.forward, connections: d.activeConnections + d.inactiveConnections });
  }
  return { ...have, dests };
}

/** `ipvsadm -A/-E` options of a planned virtual server. */
export function serviceSpec(v: PlannedVirtualServer): ServiceSpec {
  const spec: ServiceSpec = { protocol: v.protocol, address: v.address, port: v.port, scheduler: v.scheduler };
  if (v.persistence > 0) spec.persistence = v.persistence;
  if (v.schedulerFlags.length > 0) spec.schedulerFlags = [...v.schedulerFlags];
  return spec;
}

function sameService(want: PlannedVirtualServer, have: CurrentVirtualServer): boolean {
  return want.scheduler === have.scheduler && want.persistence === have.persistence && have.defaultNetmask &&
    want.schedulerFlags.length === have.schedulerFlags.length && want.schedulerFlags.every((f) => have.schedulerFlags.includes(f));
}

const keyOf = (v: { protocol: L4Protocol; address: string; port: number }): AddressKey => ({ protocol: v.protocol, address: v.address, port: v.port });

/**
 * The operations that turn `have` into `want` (either may be absent). Real
 * servers no longer wanted: UDP and SCTP ones are deleted and their flows
 * cleaned; TCP ones with no connections are deleted, the others set to
 * weight 0 and reported as draining (their connections go on; no new ones
 * come). A wanted real server found at weight 0 is restored to weight 1.
 */
export function reconcile(want: PlannedVirtualServer | undefined, have: CurrentVirtualServer | undefined): Reconciliation {
  const r: Reconciliation = { operations: [], draining: [], restored: [], staleFlows: [] };
  if (want === undefined) {
    if (have === undefined) return r;
    const service = keyOf(have);
    r.operations.push({ op: 'deleteService', service });
    if (have.protocol !== 'tcp') r.staleFlows.push({ service });
    return r;
  }
  const service = keyOf(want);
  if (have === undefined) {
    r.operations.push({ op: 'addService', service: serviceSpec(want) });
    for (const d of want.dests.values()) r.operations.push({ op: 'addDest', service, dest: { address: d.address, port: d.port, forward: 'masq', weight: 1 } });
    return r;
  }
  if (!sameService(want, have)) r.operations.push({ op: 'updateService', service: serviceSpec(want) });
  for (const [k, d] of want.dests) {
    const cur = have.dests.get(k);
    const dest = { address: d.address, port: d.port, forward: 'masq' as const, weight: 1 };
    if (cur === undefined) r.operations.push({ op: 'addDest', service, dest });
    else if (cur.weight !== 1 || cur.forward !== 'masq') {
      r.operations.push({ op: 'updateDest', service, dest });
      r.restored.push({ service, dest: d });
    }
  }
  for (const [k, cur] of have.dests) {
    if (want.dests.has(k)) continue;
    const dest = { address: cur.address, port: cur.port };
    if (want.protocol !== 'tcp') {
      r.operations.push({ op: 'deleteDest', service, dest });
      r.staleFlows.push({ service, dest });
    } else if (cur.connections === 0) {
      r.operations.push({ op: 'deleteDest', service, dest });
    } else {
      if (cur.weight !== 0 || cur.forward !== 'masq') r.operations.push({ op: 'updateDest', service, dest: { ...dest, forward: 'masq', weight: 0 } });
      r.draining.push({ service, dest });
    }
  }
  return r;
}
