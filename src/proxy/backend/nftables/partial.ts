// A partial sync: only the service ports that changed are planned again,
// and each shard they live in gets one transaction with just the
// difference (their chains, maps and elements there, and their elements of
// the shared table). The kernel then validates that shard alone.
import type { IpFamily } from '../../../addr.js';
import type { ProxyState } from '../../model/types.js';
import { diffService, writeBase, writeChanges } from './apply.js';
import { sameEndpoints, sameServicePort } from '../../model/equal.js';
import { commitAll, type Work } from './commit.js';
import type { SyncEnv } from './full.js';
import type { ServicePlan } from './plan.js';
import { noChanges } from './registry.js';
import type { FamilyState, Placed, ShardState } from './state.js';
import { TxBuilder } from './txbuilder.js';

interface Group {
  readonly fs: FamilyState;
  readonly shard: ShardState;
  /** The changed service ports of this shard, with their new plans (undefined: deleted). */
  readonly next: Map<string, { placed: Placed; plan: ServicePlan } | undefined>;
}

// Checks and plans every changed service port (before anything is changed:
// a bad one leaves the belief as it was), grouped by shard.
function planChanges(families: ReadonlyMap<IpFamily, FamilyState>, state: ProxyState, changed: ReadonlySet<string>): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const key of changed) {
    const svc = state.services.get(key);
    let fs: FamilyState | undefined;
    let index: number | undefined;
    if (svc !== undefined) {
      fs = families.get(svc.family);
      index = fs?.shardIndex(svc);
    } else {
      for (const f of families.values()) {
        index = f.located.get(key);
        if (index !== undefined) { fs = f; break; }
      }
    }
    if (fs === undefined || index === undefined) continue;
    const gk = `${fs.fam.family}/${index}`;
    let g = groups.get(gk);
    if (g === undefined) groups.set(gk, (g = { fs, shard: fs.shard(index), next: new Map() }));
    if (svc === undefined) {
      g.next.set(key, undefined);
      continue;
    }
    const placed = { svc, endpoints: state.endpoints.get(key) ?? [] };
    fs.check(svc, placed.endpoints);
    g.next.set(key, { placed, plan: fs.plan(placed) });
  }
  return groups;
}

/** Writes the changed service ports; returns the operations sent. */
export async function partialSync(env: SyncEnv, families: ReadonlyMap<IpFamily, FamilyState>, state: ProxyState, changed: ReadonlySet<string>): Promise<number> {
  const work: Work[] = [];
  for (const g of planChanges(families, state, changed).values()) work.push(groupWork(env, g));
  return commitAll(env.nft, work, env.gen);
}

function groupWork(env: SyncEnv, { fs, shard, next }: Group): Work {
  const b = new TxBuilder();
  const base = fs.shardBase(shard.index);
  if (!shard.exists) writeBase(b, base, new Map(), undefined, true);  // a new shard: whatever had its name goes
  const changes = { shard: noChanges(), shared: noChanges() };
  const stale: string[] = [];
  for (const [key, n] of next) {
    const old = fs.place(shard, key, n, changes);
    diffService(b, shard.ref, old, n?.plan, (c) => stale.push(c));
    for (const c of n?.plan.chains.keys() ?? []) env.stale.unmark(shard.ref, c);
  }
  writeChanges(b, base.sets, changes.shard);
  writeChanges(b, fs.sharedBase.sets, changes.shared);
  return {
    builder: b,
    done: () => {
      shard.exists = true;
      for (const c of stale) env.stale.mark(shard.ref, c);
    },
  };
}

/**
 * A full sync when nothing but this backend has committed since its last
 * sync (the ruleset generation is the one its commits left): the kernel
 * holds what the belief says, so only the service ports that differ from
 * what was planned are written, as in a partial sync.
 */
export async function steadySync(env: SyncEnv, families: ReadonlyMap<IpFamily, FamilyState>, state: ProxyState): Promise<number> {
  const changed = new Set<string>();
  for (const fs of families.values()) {
    for (const shard of fs.shards.values()) {
      for (const [key, placed] of shard.services) {
        const svc = state.services.get(key);
        if (svc === undefined || !sameServicePort(svc, placed.svc) || !sameEndpoints(state.endpoints.get(key) ?? [], placed.endpoints)) changed.add(key);
      }
    }
  }
  for (const [key, svc] of state.services) {
    const fs = families.get(svc.family);
    if (fs !== undefined && !fs.located.has(key)) changed.add(key);
  }
  return changed.size === 0 ? 0 : partialSync(env, families, state, changed);
}
