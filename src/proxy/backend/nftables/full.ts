// A full sync: every service port planned afresh, every table of ours
// rewritten in one transaction of its own (shards first, then the shared
// table), and the tables no longer wanted (empty shards, shards past the
// shard count, families not served) deleted last.
import type { IpFamily } from '../../../addr.js';
import type { NftablesInterface, SetElement } from '../../../nft/index.js';
import type { NodeInfo, ProxyState } from '../../model/types.js';
import { dropLeftovers, writeBase, writeService, type TableListing, type TableRef } from './apply.js';
import type { NodePortMatch, TableBase } from './base.js';
import { commitAll, type Generation, type Work } from './commit.js';
import type { FamilyNames } from './family.js';
import { readListing, tableKey, type Listing } from './listing.js';
import type { StaleChains } from './stale.js';
import type { ServicePlan } from './plan.js';
import { FamilyState, type Placed, type Settings, type ShardState } from './state.js';
import { TxBuilder } from './txbuilder.js';

/** What a sync works with besides the state. */
export interface SyncEnv {
  readonly nft: NftablesInterface;
  readonly settings: Settings;
  readonly families: readonly FamilyNames[];
  readonly stale: StaleChains;
  readonly gen: Generation;
  /** Where NodePorts listen in this family, for this node. */
  nodePorts(fam: FamilyNames, node: NodeInfo): Promise<NodePortMatch>;
}

/**
 * Plans everything in `state` and rewrites every table; returns the new
 * belief and the operations sent. Every service port is checked before the
 * first transaction is built; then each shard is planned, written and
 * committed in turn, so only one shard's plans are in memory at a time.
 */
export async function fullSync(env: SyncEnv, state: ProxyState): Promise<{ families: Map<IpFamily, FamilyState>; written: number }> {
  const listing = await readListing(env.nft);
  const families = new Map<IpFamily, FamilyState>();
  for (const fam of env.families) families.set(fam.family, new FamilyState(fam, env.settings, await env.nodePorts(fam, state.node), state.node));
  const byShard = new Map<FamilyState, Map<number, Placed[]>>();
  for (const svc of state.services.values()) {
    const fs = families.get(svc.family);
    if (fs === undefined) continue;
    const endpoints = state.endpoints.get(svc.key) ?? [];
    fs.check(svc, endpoints);
    let shards = byShard.get(fs);
    if (shards === undefined) byShard.set(fs, (shards = new Map()));
    const index = fs.shardIndex(svc);
    let list = shards.get(index);
    if (list === undefined) shards.set(index, (list = []));
    list.push({ svc, endpoints });
  }
  let written = 0;
  const kept = new Set<string>();
  for (const [fs, shards] of byShard) {
    for (const [index, placed] of [...shards].sort((a, b) => a[0] - b[0])) {
      const shard = fs.shard(index);
      const plans = placed.map((p) => {
        const plan = fs.plan(p);
        fs.place(shard, p.svc.key, { placed: p, plan });
        return plan;
      });
      kept.add(tableKey(shard.ref));
      written += await commitAll(env.nft, [shardWork(env, fs, shard, plans, listing.get(tableKey(shard.ref)))], env.gen);
    }
  }
  const shared: Work[] = [];
  for (const fs of families.values()) {
    kept.add(tableKey(fs.sharedRef));
    shared.push(sharedWork(env, fs, listing.get(tableKey(fs.sharedRef))));
  }
  written += await commitAll(env.nft, [...shared, dropTables(env, listing, kept)], env.gen);
  return { families, written };
}

function shardWork(env: SyncEnv, fs: FamilyState, shard: ShardState, plans: readonly ServicePlan[], listing: TableListing | undefined): Work {
  return tableWork(env, shard.ref, fs.shardBase(shard.index), shard.registry.all(), plans, listing, () => { shard.exists = true; });
}

function sharedWork(env: SyncEnv, fs: FamilyState, listing: TableListing | undefined): Work {
  return tableWork(env, fs.sharedRef, fs.sharedBase, fs.shared.all(), [], listing);
}

// One table rewritten: its fixed part with `elements`, its services' plans,
// and (with a listing) what the kernel has beyond them flushed or deleted;
// rebuilt from scratch if the kernel refuses that.
function tableWork(env: SyncEnv, ref: TableRef, base: TableBase, elements: ReadonlyMap<string, SetElement[]>, plans: readonly ServicePlan[],
  listing: TableListing | undefined, done?: () => void): Work {
  const write = (b: TxBuilder, l: TableListing | undefined, fresh: boolean): TxBuilder => {
    writeBase(b, base, elements, l, fresh);
    for (const plan of plans) writeService(b, ref, plan, l);
    return b;
  };
  const b = write(new TxBuilder(), listing, false);
  const leftovers = new Set<string>();
  if (listing !== undefined) {
    const chains = new Set(base.chains.map((c) => c.name));
    const sets = new Set(base.sets.map((s) => s.name));
    for (const plan of plans) {
      for (const c of plan.chains.keys()) chains.add(c);
      for (const s of plan.sets.keys()) sets.add(s);
    }
    dropLeftovers(b, ref, listing, { chains, sets }, (c) => leftovers.add(c));
  }
  return {
    builder: b,
    rebuild: () => {
      leftovers.clear();
      return write(new TxBuilder(), undefined, true);
    },
    done: () => {
      done?.();
      env.stale.keepOnly(ref, leftovers);
      for (const c of leftovers) env.stale.mark(ref, c);
    },
  };
}

// Our tables that this sync did not write.
function dropTables(env: SyncEnv, listing: Listing, kept: ReadonlySet<string>): Work {
  const b = new TxBuilder();
  const gone = [...listing.values()].filter((t) => !kept.has(tableKey(t.ref)));
  for (const t of gone) b.deleteTable({ family: t.ref.family, name: t.ref.table });
  return { builder: b, done: () => { for (const t of gone) env.stale.dropTable(t.ref); } };
}
