// IPVS mode: one virtual server per service address and port with its
// endpoints as masq real servers, every service address bound on
// kube-ipvs0, and our nftables table for what kube-proxy does with iptables
// and ipsets. A full sync diffs against the kernel's own listing (repairing
// foreign changes); a partial sync touches only the changed service ports'
// virtual servers, real servers, addresses and set elements.
import type { Address } from '../../../index.js';
import { isNotFound, isUnsupported, NftCommitError } from '../../../index.js';
import type { ProxyState, ServicePort } from '../../model/types.js';
import type { Backend, BackendOptions, SyncRequest, SyncResult } from '../backend.js';
import { cidrContains } from '../../model/cidr.js';
import { DesiredState, type Delta } from './desired.js';
import { Draining } from './draining.js';
import {
  applyIpvs, boundAddresses, changeAddresses, cleanStaleFlows, DUMMY_DEVICE, ensureDummy, openHandles, probeScheduler,
  type Handles,
} from './kernel.js';
import { elementChanges, nftFamily, rebuildTable, TABLE } from './nft-table.js';
import { resolveIpvsOptions, type IpvsOptions } from './options.js';
import { canonicalAddress, planServicePort, type PlanContext, type ServicePortPlan } from './plan.js';
import { currentFromKernel, currentFromPlan, drainsTcp, reconcile, withKernelDests, type CurrentVirtualServer, type Reconciliation } from './reconcile.js';
import { ensureSysctls, isOwnNetns, procSys, type SysctlAccess } from '../sysctl.js';
import { ipvsSysctls } from './sysctl.js';

/** What the backend talks to; anything left out is opened in the node's namespace (unit tests pass fakes). */
export interface IpvsBackendDeps extends Partial<Handles> {
  /** How sysctls are read and written (default: /proc/sys of this process, which must run in the node's namespace). */
  readonly sysctl?: SysctlAccess;
}

function mergeInto(all: Reconciliation, r: Reconciliation): void {
  all.operations.push(...r.operations);
  all.draining.push(...r.draining);
  all.restored.push(...r.restored);
  all.staleFlows.push(...r.staleFlows);
}

const LINK_LOCAL_OR_LOOPBACK = ['127.0.0.0/8', '::1/128', 'fe80::/10'];

/**
 * kube-proxy's IPVS mode on the library: Ipvs for virtual and real servers,
 * Rtnl for kube-ipvs0, Nftables for masquerade/firewall/filtering (table
 * `ip|ip6 dataplane-ipvs`), Conntrack for stale UDP/SCTP flows.
 *
 * ```ts
 * const backend = new IpvsBackend(options, { scheduler: 'rr' });
 * await backend.setup();                       // probes the scheduler, sets sysctls
 * await backend.sync(state, { full: true, changed: new Set() });
 * ```
 */
export class IpvsBackend implements Backend {
  readonly mode = 'ipvs' as const;
  readonly #options: BackendOptions;
  readonly #ipvs: IpvsOptions;
  readonly #deps: IpvsBackendDeps;
  #handles?: Promise<Handles>;
  #desired = new DesiredState();
  #ctx?: PlanContext;
  #link = 0;
  readonly #draining = new Draining();
  #synced = false;
  #queue: Promise<unknown> = Promise.resolve();
  #timer?: NodeJS.Timeout;

  /** `ipvs` defaults to `options.ipvs` (the proxy's --ipvs-* settings), then to kube-proxy's defaults. */
  constructor(options: BackendOptions, ipvs: Partial<IpvsOptions> = options.ipvs ?? {}, deps: IpvsBackendDeps = {}) {
    if (!Array.isArray(options.families) || options.families.length === 0 || options.families.some((f) => f !== 4 && f !== 6)) {
      throw new TypeError('families must list 4 and/or 6');
    }
    if (!Number.isInteger(options.masqueradeBit) || options.masqueradeBit < 0 || options.masqueradeBit > 31) {
      throw new RangeError(`masqueradeBit must be 0..31: ${options.masqueradeBit}`);
    }
    this.#options = options;
    this.#ipvs = resolveIpvsOptions(ipvs);
    this.#deps = deps;
  }

  /** How many TCP real servers are draining at weight 0. */
  get draining(): number {
    return this.#draining.size;
  }

  #open(): Promise<Handles> {
    this.#handles ??= openHandles(this.#options.netns, this.#deps);
    return this.#handles;
  }

  // One kernel conversation at a time: syncs, drain checks, cleanup.
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Probes IPVS and the scheduler (an unknown one fails here), writes the
   * sysctls IPVS mode needs, sets the IPVS timeouts, makes kube-ipvs0 and
   * starts the periodic check of draining real servers.
   */
  async setup(): Promise<void> {
    const sysctl = this.#deps.sysctl ?? procSys;
    if (this.#deps.sysctl === undefined && !isOwnNetns(this.#options.netns)) {
      throw new Error('IPVS mode sets sysctls through /proc/sys, which shows only the namespace this process runs in: ' +
        'run dataplane-proxy inside the node\'s network namespace instead of pointing it at another one');
    }
    await this.#serial(async () => {
      const h = await this.#open();
      await probeScheduler(h.ipvs, this.#ipvs.scheduler);
      await ensureSysctls(sysctl, ipvsSysctls(await sysctl.read('kernel/osrelease'), this.#ipvs.strictARP));
      const { tcpTimeout, tcpFinTimeout, udpTimeout } = this.#ipvs;
      if (tcpTimeout > 0 || tcpFinTimeout > 0 || udpTimeout > 0) {
        const s = (ms: number) => Math.floor(ms / 1000);
        await h.ipvs.setTimeouts({ tcp: s(tcpTimeout), tcpFin: s(tcpFinTimeout), udp: s(udpTimeout) });
      }
      this.#link = await ensureDummy(h.rtnl);
    });
    this.#timer ??= setInterval(() => { void this.checkDraining().catch(() => undefined); }, this.#ipvs.syncPeriod);
    this.#timer.unref();
  }

  /** Deletes draining real servers whose connections have ended; returns how many (also run every syncPeriod). */
  checkDraining(): Promise<number> {
    return this.#serial(async () => (this.#draining.size === 0 ? 0 : this.#draining.check((await this.#open()).ipvs)));
  }

  async sync(state: ProxyState, request: SyncRequest): Promise<SyncResult> {
    return this.#serial(async () => {
      const full = request.full || !this.#synced;
      this.#synced = false;  // until this one succeeds: a failed sync is followed by a full one
      const written = full ? await this.#fullSync(state) : await this.#partialSync(state, request.changed);
      this.#synced = true;
      return { noLocalEndpoints: this.#desired.noLocalEndpoints(), written };
    });
  }

  #serves(svc: ServicePort | undefined): svc is ServicePort {
    return svc !== undefined && this.#options.families.includes(svc.family);
  }

  #plan(state: ProxyState, key: string): ServicePortPlan | undefined {
    const svc = state.services.get(key);
    return this.#serves(svc) ? planServicePort(svc, state.endpoints.get(key) ?? [], this.#ctx!) : undefined;
  }

  /** Virtual servers a sync may change or delete: ours by family, not on --ipvs-exclude-cidrs. */
  #owns(v: CurrentVirtualServer, families: readonly (4 | 6)[] = this.#options.families): boolean {
    return families.includes(v.address.includes(':') ? 6 : 4) && !this.#ipvs.excludeCIDRs.some((c) => cidrContains(c, v.address));
  }

  #context(state: ProxyState, addresses: readonly Address[]): PlanContext {
    const other = addresses.filter((a) => a.link !== this.#link);
    const otherAddresses = new Set(other.map((a) => canonicalAddress(a.address)));
    const nodePortIPs: Partial<Record<4 | 6, string[]>> = {};
    const npa = this.#options.nodePortAddresses;
    for (const f of this.#options.families) {
      if ('primary' in npa) {
        const ip = state.node.primaryIPs[f];
        nodePortIPs[f] = ip === undefined ? [] : [canonicalAddress(ip)];
      } else {
        nodePortIPs[f] = [...otherAddresses].filter((ip) => (ip.includes(':') ? 6 : 4) === f &&
          !LINK_LOCAL_OR_LOOPBACK.some((c) => cidrContains(c, ip)) && npa.cidrs.some((c) => cidrContains(c, ip))).sort();
      }
    }
    return { scheduler: this.#ipvs.scheduler, node: state.node, nodePortIPs, otherAddresses };
  }

  async #fullSync(state: ProxyState): Promise<number> {
    const h = await this.#open();
    this.#link = await ensureDummy(h.rtnl);
    const [listed, addresses] = await Promise.all([h.ipvs.list(), h.rtnl.listAddresses()]);
    this.#ctx = this.#context(state, addresses);
    const desired = DesiredState.of([...state.services.keys()].map((k) => [k, this.#plan(state, k)]));

    const current = new Map<string, CurrentVirtualServer>();
    for (const s of listed) {
      const c = currentFromKernel(s);
      if (c !== undefined && this.#owns(c)) current.set(c.key, c);
    }
    const all: Reconciliation = { operations: [], draining: [], restored: [], staleFlows: [] };
    for (const k of new Set([...current.keys(), ...desired.virtualServers()])) mergeInto(all, reconcile(desired.virtualServer(k), current.get(k)));

    const bound = new Set(boundAddresses(addresses, this.#link).map(canonicalAddress));
    const want = new Set(desired.addresses());
    const tx = h.nft.transaction();
    for (const f of this.#options.families) rebuildTable(tx, f, this.#options, desired.elements());
    // The table first (its allow-lists and reject rule guard the addresses), then IPVS and kube-ipvs0 side
    // by side: separate sockets and kernel locks, so the two batches overlap.
    await h.nft.commit(tx);
    const [ops, addrs] = await Promise.all([
      applyIpvs(h.ipvs, all.operations),
      changeAddresses(h.rtnl, this.#link, [...want].filter((a) => !bound.has(a)), [...bound].filter((a) => !want.has(a))),
    ]);
    const written = tx.operations.length + ops + addrs;
    this.#desired = desired;
    this.#draining.clear();
    for (const d of all.draining) this.#draining.add(d);
    await cleanStaleFlows(h.conntrack, all.staleFlows);
    return written;
  }

  async #partialSync(state: ProxyState, changed: ReadonlySet<string>): Promise<number> {
    const h = await this.#open();
    const delta: Delta = this.#desired.update([...changed].map((k) => [k, this.#plan(state, k)]));
    const all: Reconciliation = { operations: [], draining: [], restored: [], staleFlows: [] };
    for (const [k, { before, after }] of delta.virtualServers) {
      let have = before !== undefined ? currentFromPlan(before, this.#draining.of(k)) : undefined;
      // Real servers to drain: their connection counts decide between deleting now and weight 0.
      if (drainsTcp(after, have)) have = withKernelDests(have!, await h.ipvs.listDests({ protocol: have!.protocol, address: have!.address, port: have!.port }));
      mergeInto(all, reconcile(after, have));
      if (after === undefined) this.#draining.dropService(k);
    }
    let written = 0;
    if (delta.elementsAdded.length > 0 || delta.elementsRemoved.length > 0) {
      const tx = h.nft.transaction();
      written += elementChanges(tx, delta.elementsAdded, delta.elementsRemoved);
      await h.nft.commit(tx);
    }
    const [ops, addrs] = await Promise.all([
      applyIpvs(h.ipvs, all.operations),
      changeAddresses(h.rtnl, this.#link, delta.addressesAdded, delta.addressesRemoved),
    ]);
    written += ops + addrs;
    for (const r of all.restored) this.#draining.remove(r);
    for (const d of all.draining) this.#draining.add(d);
    await cleanStaleFlows(h.conntrack, all.staleFlows);
    return written;
  }

  /**
   * Removes every virtual server outside --ipvs-exclude-cidrs (kube-proxy's
   * cleanup flushes them all), kube-ipvs0 with its addresses, and our tables;
   * on a kernel without IPVS, just what there is of the rest.
   * Equivalent to: `ipvsadm -D ...` per service, `ip link del kube-ipvs0`,
   * `nft delete table ip dataplane-ipvs; nft delete table ip6 dataplane-ipvs`.
   */
  async cleanup(): Promise<void> {
    await this.#serial(async () => {
      const h = await this.#open();
      const ops = [];
      let services: Awaited<ReturnType<typeof h.ipvs.listServices>> = [];
      try {
        services = await h.ipvs.listServices();
      } catch (e) {
        if (!isUnsupported(e)) throw e;  // a kernel without IPVS has no virtual servers to remove
      }
      for (const s of services) {
        const c = currentFromKernel({ ...s, dests: [] });
        if (c !== undefined && this.#owns(c, [4, 6])) ops.push({ op: 'deleteService' as const, service: { protocol: c.protocol, address: c.address, port: c.port } });
      }
      await applyIpvs(h.ipvs, ops, (r) => isNotFound(r.error));
      try {
        await h.rtnl.deleteLink(DUMMY_DEVICE);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      for (const f of [4, 6] as const) {
        const tx = h.nft.transaction().deleteTable({ family: nftFamily(f), name: TABLE });
        try {
          await h.nft.commit(tx);
        } catch (e) {
          if (!(e instanceof NftCommitError && e.code === 'ENOENT')) throw e;
        }
      }
      this.#desired = new DesiredState();
      this.#draining.clear();
      this.#synced = false;
    });
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue;
    const handles = this.#handles;
    this.#handles = undefined;
    if (handles === undefined) return;
    const h = await handles.catch(() => undefined);
    if (h === undefined) return;
    // Only what the backend opened itself: handles it was given belong to the caller.
    const d = this.#deps;
    await Promise.all([d.ipvs ? 0 : h.ipvs.close(), d.rtnl ? 0 : h.rtnl.close(), d.nft ? 0 : h.nft.close(), d.conntrack ? 0 : h.conntrack.close()]);
  }
}
