// A full sync: every service port planned afresh, every table of ours
// rewritten in one transaction of its own (shards first, then the shared
// table), and the tables no longer wanted (empty shards, shards past the
// shard count, families not served) deleted last.
import type { IpFamily } from '../../../addr.js';
import type { NftablesInterface } from '../../../nft/index.js';
import type { NodeInfo, ProxyState } from '../../model/types.js';
import { dropLeftovers, writeBase, writeService, type TableListing } from './apply.js';
import type { NodePortMatch } from './base.js';
import { commitAll, type Work } from './commit.js';
import type { FamilyNames } from './family.js';
import { readListing, tableKey, type Listing } from './listing.js';
import type { StaleChains } from './stale.js';
import { FamilyState, type Settings, type ShardState } from './state.js';
import { TxBuilder } from './txbuilder.js';

/** What a sync works with besides the state. */
export interface SyncEnv {
  readonly nft: NftablesInterface;
  readonly settings: Settings;
  readonly families: readonly FamilyNames[];
  readonly stale: StaleChains;
  /** Where NodePorts listen in this family, for this node. */
  nodePorts(fam: FamilyNames, node: NodeInfo): Promise<NodePortMatch>;
}

/** Plans everything in `state` and rewrites every table; returns the new belief and the operations sent. */
export async function fullSync(env: SyncEnv, state: ProxyState): Promise<{ families: Map<IpFamily, FamilyState>; written: number }> {
  const listing = await readListing(env.nft);
  const families = new Map<IpFamily, FamilyState>();
  for (const fam of env.families) families.set(fam.family, new FamilyState(fam, env.settings, await env.nodePorts(fam, state.node)));
  for (const svc of state.services.values()) {
    const fs = families.get(svc.family);
    if (fs === undefined) continue;
    fs.place(fs.shard(fs.shardIndex(svc)), svc.key, fs.plan(svc, state.endpoints.get(svc.key) ?? [], state.node));
  }
  const work: Work[] = [];
  const kept = new Set<string>();
  for (const fs of families.values()) {
    for (const shard of fs.shards.values()) {
      kept.add(tableKey(shard.ref));
      work.push(shardWork(env, fs, shard, listing.get(tableKey(shard.ref))));
    }
  }
  for (const fs of families.values()) {
    kept.add(tableKey(fs.sharedRef));
    work.push(sharedWork(env, fs, listing.get(tableKey(fs.sharedRef))));
  }
  work.push(dropTables(env, listing, kept));
  return { families, written: await commitAll(env.nft, work) };
}

function shardWork(env: SyncEnv, fs: FamilyState, shard: ShardState, listing: TableListing | undefined): Work {
  const base = fs.shardBase(shard.index);
  const write = (b: TxBuilder, l: TableListing | undefined, fresh: boolean): TxBuilder => {
    writeBase(b, base, shard.registry.all(), l, fresh);
    for (const plan of shard.services.values()) writeService(b, shard.ref, plan, l);
    return b;
  };
  const b = write(new TxBuilder(), listing, false);
  const leftovers = new Set<string>();
  if (listing !== undefined) {
    const chains = new Set(base.chains.map((c) => c.name));
    const sets = new Set(base.sets.map((s) => s.name));
    for (const plan of shard.services.values()) {
      for (const c of plan.chains.keys()) chains.add(c);
      for (const s of plan.sets.keys()) sets.add(s);
    }
    dropLeftovers(b, shard.ref, listing, { chains, sets }, (c) => leftovers.add(c));
  }
  return {
    builder: b,
    rebuild: () => {
      leftovers.clear();
      return write(new TxBuilder(), undefined, true);
    },
    done: () => {
      shard.exists = true;
      env.stale.keepOnly(shard.ref, leftovers);
      for (const c of leftovers) env.stale.mark(shard.ref, c);
    },
  };
}

function sharedWork(env: SyncEnv, fs: FamilyState, listing: TableListing | undefined): Work {
  const base = fs.sharedBase;
  const write = (b: TxBuilder, l: TableListing | undefined, fresh: boolean): TxBuilder => {
    writeBase(b, base, fs.shared.all(), l, fresh);
    return b;
  };
  const b = write(new TxBuilder(), listing, false);
  const leftovers = new Set<string>();
  if (listing !== undefined) {
    dropLeftovers(b, fs.sharedRef, listing, { chains: new Set(base.chains.map((c) => c.name)), sets: new Set(base.sets.map((s) => s.name)) },
      (c) => leftovers.add(c));
  }
  return {
    builder: b,
    rebuild: () => {
      leftovers.clear();
      return write(new TxBuilder(), undefined, true);
    },
    done: () => {
      env.stale.keepOnly(fs.sharedRef, leftovers);
      for (const c of leftovers) env.stale.mark(fs.sharedRef, c);
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
