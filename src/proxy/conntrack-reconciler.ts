// Stale UDP and SCTP flows (kube-proxy's conntrack.CleanStaleEntries),
// shared by every mode. Connectionless flows keep their NAT in conntrack for
// as long as packets keep coming, so when an endpoint goes away (or none is
// left) its flows would keep going to it (or nowhere): after a sync, delete
// each flow to a service IP:port or NodePort whose reply source is not a
// serving endpoint of that service port. TCP needs none of this (a dead
// backend resets or times out, and the client reconnects).
import type { IpFamily } from '../addr.js';
import type { Conntrack, ConntrackEntry, ConntrackEntryRef } from '../conntrack.js';
import { realClock, type Clock } from './clock.js';
import type { ProxyLogger } from './log.js';
import { familyLabel, type ProxyMetrics } from './metrics.js';
import type { Endpoint, ProxyState } from './model/types.js';

/** The conntrack calls the reconciler makes (the library's Conntrack, or a fake). */
export type ConntrackClient = Pick<Conntrack, 'list' | 'deleteEntries'>;

/** Protocols whose flows the reconciler cleans. */
export const RECONCILED_PROTOCOLS = ['udp', 'sctp'] as const;
type Reconciled = (typeof RECONCILED_PROTOCOLS)[number];

/** Serving endpoint IPs by `proto ip port` (service IPs) and by `proto port` (NodePorts). */
interface Targets {
  readonly byAddress: Map<string, Set<string>>;
  readonly byNodePort: Map<string, Set<string>>;
}

function servingIPs(eps: readonly Endpoint[] | undefined): Set<string> {
  return new Set((eps ?? []).filter((e) => e.serving).map((e) => e.ip));
}

function targetsOf(state: ProxyState, family: IpFamily): Targets {
  const byAddress = new Map<string, Set<string>>();
  const byNodePort = new Map<string, Set<string>>();
  for (const sp of state.services.values()) {
    if (sp.family !== family || !(RECONCILED_PROTOCOLS as readonly string[]).includes(sp.protocol)) continue;
    const ips = servingIPs(state.endpoints.get(sp.key));
    for (const ip of [sp.clusterIP, ...sp.loadBalancerVIPs, ...sp.externalIPs]) byAddress.set(`${sp.protocol} ${ip} ${sp.port}`, ips);
    if (sp.nodePort !== 0) byNodePort.set(`${sp.protocol} ${sp.nodePort}`, ips);
  }
  return { byAddress, byNodePort };
}

/**
 * The flows of `entries` to delete: to a service IP:port whose reply source
 * is not one of that port's serving endpoints; or to a NodePort (DNAT'd, or
 * addressed to a node IP) likewise. Pure.
 */
export function staleFlows(entries: readonly ConntrackEntry[], state: ProxyState, family: IpFamily): ConntrackEntry[] {
  const t = targetsOf(state, family);
  const nodeIPs = new Set(Object.values(state.node.primaryIPs));
  const out: ConntrackEntry[] = [];
  for (const e of entries) {
    const proto = e.protocol as Reconciled;
    if (!(RECONCILED_PROTOCOLS as readonly unknown[]).includes(proto)) continue;
    const { destination, destinationPort } = e.original;
    const replySource = e.reply.source;
    const svc = t.byAddress.get(`${proto} ${destination} ${destinationPort}`);
    if (svc !== undefined) {
      if (!svc.has(replySource)) out.push(e);
      continue;
    }
    const np = t.byNodePort.get(`${proto} ${destinationPort}`);
    if (np !== undefined && (e.status.dstNat || nodeIPs.has(destination)) && !np.has(replySource)) out.push(e);
  }
  return out;
}

function toRef(e: ConntrackEntry): ConntrackEntryRef {
  return { family: e.family, protocol: e.protocol, original: e.original, zone: e.zone, id: e.id };
}

/** True if a sync touching `changed` keys may have left stale flows (a UDP or SCTP service port changed). */
export function needsReconcile(changed: ReadonlySet<string>): boolean {
  for (const key of changed) if (key.endsWith('/udp') || key.endsWith('/sctp')) return true;
  return false;
}

export interface ConntrackReconcilerOptions {
  readonly metrics?: ProxyMetrics;
  readonly log?: ProxyLogger;
  readonly clock?: Clock;
}

/** Runs staleFlows against the kernel's table after syncs; counts kubeproxy_conntrack_reconciler_deleted_entries_total. */
export class ConntrackReconciler {
  constructor(private readonly ct: ConntrackClient, private readonly opts: ConntrackReconcilerOptions = {}) {}

  /** Deletes the stale UDP/SCTP flows of `family`; returns how many were deleted. */
  async reconcile(state: ProxyState, family: IpFamily): Promise<number> {
    const clock = this.opts.clock ?? realClock;
    const started = clock.now();
    const entries: ConntrackEntry[] = [];
    for (const protocol of RECONCILED_PROTOCOLS) entries.push(...await this.ct.list({ family, protocol }));
    const stale = staleFlows(entries, state, family);
    const deleted = stale.length === 0 ? 0 : await this.ct.deleteEntries(stale.map(toRef));
    const label = familyLabel(family);
    this.opts.metrics?.conntrackDeleted.labels(label).inc(deleted);
    this.opts.metrics?.conntrackReconcileDuration.labels(label).observe((clock.now() - started) / 1000);
    this.opts.log?.debug({ ipFamily: label, listed: entries.length, stale: stale.length, deleted }, 'Reconciled conntrack entries');
    return deleted;
  }
}

