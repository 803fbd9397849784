// The nftables backend: kube-proxy's nftables mode semantics, in a sharded
// ruleset. Per IP family, `table ip dataplane-proxy` holds the filter
// checks and masquerading every service shares, and `table ip
// dataplane-proxy-N` (N < shard count) the NAT of the services whose
// namespace/name hashes to N. A change to one service makes one shard's
// transaction, so the kernel's validation walks that shard, not the cluster.
import { parseCidr, type IpFamily } from '../../../addr.js';
import { Nftables, type NftablesInterface } from '../../../nft/index.js';
import type { NodeInfo, ProxyState } from '../../model/types.js';
import type { Backend, BackendOptions, SyncRequest, SyncResult } from '../backend.js';
import { localAddresses, nodePortMatch } from '../node-ports.js';
import type { NodePortMatch } from './base.js';
import { removeTables } from './cleanup.js';
import { deleteDueChains, type Generation } from './commit.js';
import { familyNames, type FamilyNames } from './family.js';
import { fullSync, type SyncEnv } from './full.js';
import { DEFAULT_SHARDS, MAX_SHARDS } from './names.js';
import { partialSync, steadySync } from './partial.js';
import { probeKernel } from './probe.js';
import { StaleChains } from './stale.js';
import type { FamilyState, Settings } from './state.js';

/** What the backend may be given instead of what it would open or read itself (tests, benchmarks). */
export interface NftablesBackendDeps {
  /** The nf_tables handle (default: Nftables.open in options.netns, closed by close()). */
  readonly nftables?: NftablesInterface;
  /** How many shard tables services are spread over (default DEFAULT_SHARDS; changing it moves services at the next full sync). */
  readonly shards?: number;
  /** The node's addresses of a family, for NodePorts on CIDRs (default: rtnetlink in options.netns). */
  readonly localAddresses?: (family: IpFamily) => Promise<string[]>;
  /** Milliseconds clock (default Date.now), for when stale chains may be deleted. */
  readonly now?: () => number;
}

function checkOptions(o: BackendOptions, shards: number): void {
  if (!Array.isArray(o.families) || o.families.length === 0 || o.families.some((f) => f !== 4 && f !== 6) || new Set(o.families).size !== o.families.length) {
    throw new TypeError('nftables backend: families must list 4 and/or 6 once each');
  }
  if (!Number.isInteger(o.masqueradeBit) || o.masqueradeBit < 0 || o.masqueradeBit > 31) throw new RangeError('nftables backend: masqueradeBit must be 0..31');
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new RangeError(`nftables backend: shards must be 1..${MAX_SHARDS}`);
  const d = o.detectLocal;
  if (d.mode === 'ClusterCIDR' || d.mode === 'NodeCIDR') d.cidrs.forEach((c, i) => parseCidr(c, `nftables backend: detectLocal.cidrs[${i}]`));
  const ifname = d.mode === 'BridgeInterface' ? d.interface : d.mode === 'InterfaceNamePrefix' ? d.prefix : undefined;
  if (ifname !== undefined && (typeof ifname !== 'string' || ifname === '' || Buffer.byteLength(ifname) > 15 || ifname.includes('\0'))) {
    throw new TypeError(`nftables backend: detectLocal: not an interface name: ${JSON.stringify(ifname)}`);
  }
  if (!('primary' in o.nodePortAddresses)) o.nodePortAddresses.cidrs.forEach((c, i) => parseCidr(c, `nftables backend: nodePortAddresses.cidrs[${i}]`));
}

// What of the node the rules depend on: a change makes the next sync a full one.
const nodeKey = (n: NodeInfo): string => JSON.stringify([n.name, n.labels, n.primaryIPs]);

/**
 * Keeps a sharded nftables ruleset in line with the proxy's state.
 * Equivalent to kube-proxy `--proxy-mode nftables` (its chains are ours,
 * see the README's "nftables ruleset" section); `nft list table ip
 * dataplane-proxy` shows the shared part.
 */
export class NftablesBackend implements Backend {
  readonly mode = 'nftables' as const;
  readonly #options: BackendOptions;
  readonly #deps: NftablesBackendDeps;
  readonly #settings: Settings;
  readonly #families: FamilyNames[];
  readonly #stale: StaleChains;
  #nft: NftablesInterface | undefined;
  #opened: Nftables | undefined;
  #belief: Map<IpFamily, FamilyState> | undefined;
  #node = '';
  readonly #gen: Generation = { value: undefined };
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BackendOptions, deps: NftablesBackendDeps = {}) {
    const shards = deps.shards ?? DEFAULT_SHARDS;
    checkOptions(options, shards);
    this.#options = options;
    this.#deps = deps;
    this.#nft = deps.nftables;
    this.#families = options.families.map(familyNames);
    this.#settings = { shards, masqueradeMark: 2 ** options.masqueradeBit, masqueradeAll: options.masqueradeAll, detectLocal: options.detectLocal };
    this.#stale = new StaleChains(deps.now ?? Date.now);
  }

  async #handle(): Promise<NftablesInterface> {
    if (this.#nft === undefined) {
      this.#opened = await Nftables.open(this.#options.netns !== undefined ? { netns: this.#options.netns } : {});
      this.#nft = this.#opened;
    }
    return this.#nft;
  }

  // One operation at a time, in the order called.
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Opens the nf_tables handle and checks that the kernel takes every statement the ruleset uses. */
  setup(): Promise<void> {
    return this.#serial(async () => probeKernel(await this.#handle(), this.#families));
  }

  /**
   * A full sync (asked for, the first one, after a failure, or when the
   * node's addresses or labels changed) rewrites every table in one
   * transaction each, repairing whatever else changed them — unless nothing
   * but this backend has committed since its last sync (the ruleset
   * generation says so): then only what differs from the last sync is
   * written. A partial sync writes only the changed service ports, in their
   * shards.
   */
  sync(state: ProxyState, request: SyncRequest): Promise<SyncResult> {
    return this.#serial(async () => {
      const env = this.#env(await this.#handle());
      let written: number;
      try {
        const how = await this.#how(env, state, request);
        if (how === 'rewrite') {
          this.#belief = undefined;
          const r = await fullSync(env, state);
          this.#belief = r.families;
          this.#node = nodeKey(state.node);
          written = r.written;
        } else {
          written = how === 'steady' ? await steadySync(env, this.#belief!, state) : await partialSync(env, this.#belief!, state, request.changed);
        }
      } catch (e) {
        this.#belief = undefined;  // what the kernel holds is no longer known: the next sync is a full one
        throw e;
      }
      written += await deleteDueChains(env.nft, this.#stale, this.#gen);
      return { noLocalEndpoints: this.#noLocal(), written };
    });
  }

  // A full sync rewrites every table, unless nothing but this backend has
  // committed since its last sync and the node is as it was ('steady': the
  // service ports that differ from the belief are written). A partial sync
  // becomes a rewrite when nothing is believed or the node changed.
  async #how(env: SyncEnv, state: ProxyState, request: SyncRequest): Promise<'rewrite' | 'steady' | 'partial'> {
    const known = this.#belief !== undefined && nodeKey(state.node) === this.#node;
    if (known && !request.full) return 'partial';
    const current = await env.nft.generation();
    const clean = this.#gen.value === current;
    this.#gen.value = current;
    if (!known || !clean) return 'rewrite';
    for (const fs of this.#belief!.values()) {
      if (JSON.stringify(await this.#nodePorts(fs.fam, state.node)) !== JSON.stringify(fs.nodePorts)) return 'rewrite';
    }
    return 'steady';
  }

  #noLocal(): SyncResult['noLocalEndpoints'] {
    let internal = 0, external = 0;
    for (const fs of this.#belief?.values() ?? []) {
      internal += fs.noLocal.internal;
      external += fs.noLocal.external;
    }
    return { internal, external };
  }

  #env(nft: NftablesInterface): SyncEnv {
    return { nft, settings: this.#settings, families: this.#families, stale: this.#stale, gen: this.#gen, nodePorts: (fam, node) => this.#nodePorts(fam, node) };
  }

  async #nodePorts(fam: FamilyNames, node: NodeInfo): Promise<NodePortMatch> {
    return nodePortMatch(this.#options.nodePortAddresses, fam.family, node,
      (family) => this.#deps.localAddresses?.(family) ?? localAddresses(this.#options.netns, family));
  }

  /** Deletes every table this backend ever made, in both families, whatever the shard count. Equivalent to `nft delete table ip dataplane-proxy`, and so on. */
  cleanup(): Promise<void> {
    return this.#serial(async () => {
      this.#belief = undefined;
      this.#gen.value = undefined;
      this.#stale.clear();
      await removeTables(await this.#handle());
    });
  }

  /** Closes the handle it opened (a handle passed in deps is the caller's). */
  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#opened?.close();
      this.#opened = undefined;
      if (this.#deps.nftables === undefined) this.#nft = undefined;
    });
  }
}
