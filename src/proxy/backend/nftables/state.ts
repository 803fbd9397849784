// What the backend believes the kernel holds, per IP family: the plan of
// every service port by shard, and the owners of every shared element. A
// full sync builds it afresh; a partial sync replaces the plans of the
// service ports that changed.
import type { DetectLocal } from '../backend.js';
import type { Endpoint, NodeInfo, ServicePort } from '../../model/types.js';
import { localTraffic, sharedBase, shardBase, type NodePortMatch, type TableBase } from './base.js';
import type { TableRef } from './apply.js';
import type { FamilyNames } from './family.js';
import { TABLE, shardOf, shardTable } from './names.js';
import { planService, type LocalTraffic, type PlanContext, type ServicePlan } from './plan.js';
import { ElementRegistry, type ElementChanges } from './registry.js';
import { checkServicePort } from './validate.js';

/** What every plan of a backend shares. */
export interface Settings {
  readonly shards: number;
  readonly masqueradeMark: number;
  readonly masqueradeAll: boolean;
  readonly detectLocal: DetectLocal;
}

/** One shard table of one family. */
export interface ShardState {
  readonly index: number;
  readonly ref: TableRef;
  /** The table is in the kernel (created by a full sync, or by the partial sync that placed its first service). */
  exists: boolean;
  readonly registry: ElementRegistry;
  readonly services: Map<string, ServicePlan>;
}

export class FamilyState {
  readonly shared = new ElementRegistry();
  readonly sharedRef: TableRef;
  readonly sharedBase: TableBase;
  readonly shards = new Map<number, ShardState>();
  /** The shard of every service port placed, by key (to find a deleted one). */
  readonly located = new Map<string, number>();
  readonly #bases = new Map<number, TableBase>();
  readonly #local: { match: LocalTraffic | undefined; cidrs: string[] };
  #noLocal = { internal: 0, external: 0 };

  constructor(readonly fam: FamilyNames, readonly settings: Settings, readonly nodePorts: NodePortMatch) {
    this.sharedRef = { family: fam.table, table: TABLE };
    this.sharedBase = sharedBase(fam, { masqueradeMark: settings.masqueradeMark, nodePorts, shards: settings.shards });
    this.#local = localTraffic(fam, settings.detectLocal);
  }

  /** Service ports left without endpoints by Local policy, over all shards. */
  get noLocal(): { internal: number; external: number } {
    return { ...this.#noLocal };
  }

  /** The shard a service port of this family lives in. */
  shardIndex(svc: Pick<ServicePort, 'namespace' | 'name'>): number {
    return shardOf(svc, this.settings.shards);
  }

  shard(index: number): ShardState {
    let s = this.shards.get(index);
    if (s === undefined) {
      s = { index, ref: { family: this.fam.table, table: shardTable(index) }, exists: false, registry: new ElementRegistry(), services: new Map() };
      this.shards.set(index, s);
    }
    return s;
  }

  shardBase(index: number): TableBase {
    let b = this.#bases.get(index);
    if (b === undefined) {
      b = shardBase(this.fam, index, { shards: this.settings.shards, nodePorts: this.nodePorts, localCidrs: this.#local.cidrs });
      this.#bases.set(index, b);
    }
    return b;
  }

  /** Plans one service port for `node` (throws TypeError on a value the kernel could not take). */
  plan(svc: ServicePort, endpoints: readonly Endpoint[], node: NodeInfo): ServicePlan {
    const ctx: PlanContext = {
      fam: this.fam, table: shardTable(this.shardIndex(svc)), masqueradeMark: this.settings.masqueradeMark,
      masqueradeAll: this.settings.masqueradeAll, local: this.#local.match, node,
    };
    try {
      checkServicePort(svc, endpoints);
      return planService(svc, endpoints, ctx);
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) e.message = `service port ${svc.key}: ${e.message}`;
      throw e;
    }
  }

  /**
   * Puts `next` in place of the service port's current plan (either may be
   * absent) and adds the element changes this makes to the shard's and the
   * shared table's to the given change lists. Returns the plan it replaced.
   */
  place(shard: ShardState, key: string, next: ServicePlan | undefined, changes?: { shard: ElementChanges; shared: ElementChanges }): ServicePlan | undefined {
    const old = shard.services.get(key);
    shard.registry.replace(key, old?.shard ?? [], next?.shard ?? [], changes?.shard);
    this.shared.replace(key, old?.shared ?? [], next?.shared ?? [], changes?.shared);
    if (next === undefined) {
      shard.services.delete(key);
      this.located.delete(key);
    } else {
      shard.services.set(key, next);
      this.located.set(key, shard.index);
    }
    this.#noLocal.internal += (next?.noLocal.internal ?? 0) - (old?.noLocal.internal ?? 0);
    this.#noLocal.external += (next?.noLocal.external ?? 0) - (old?.noLocal.external ?? 0);
    return old;
  }
}
