// What the backend believes the kernel holds, per IP family: which service
// ports live in which shard (kept as the ServicePort and endpoints they were
// planned from: plans are made again when needed, not kept), and who asks
// for each shared element. A full sync builds it afresh; a partial sync
// replaces the service ports that changed.
import type { DetectLocal } from '../backend.js';
import type { Endpoint, NodeInfo, ServicePort } from '../../model/types.js';
import { localTraffic, sharedBase, shardBase, type NodePortMatch, type TableBase } from './base.js';
import type { TableRef } from './apply.js';
import type { FamilyNames } from './family.js';
import { TABLE, shardOf, shardTable } from './names.js';
import { planService, sharedItems, type LocalTraffic, type PlanContext, type ServicePlan } from './plan.js';
import { ElementRegistry, type ElementChanges } from './registry.js';
import { checkServicePort } from './validate.js';

/** What every plan of a backend shares. */
export interface Settings {
  readonly shards: number;
  readonly masqueradeMark: number;
  readonly masqueradeAll: boolean;
  readonly detectLocal: DetectLocal;
}

/** A service port as it was planned (the model's objects are immutable). */
export interface Placed {
  readonly svc: ServicePort;
  readonly endpoints: readonly Endpoint[];
}

/** One shard table of one family. */
export interface ShardState {
  readonly index: number;
  readonly ref: TableRef;
  /** The table is in the kernel (written by a full sync, or by the partial sync that placed its first service). */
  exists: boolean;
  readonly registry: ElementRegistry;
  readonly services: Map<string, Placed>;
}

const noDerived = (id: string): never => {
  throw new Error(`shard entries are owned, not counted: ${id}`);
};

/** One IP family's belief: its shard tables and the services in them, its shared table's owners, its fixed table parts. */
export class FamilyState {
  readonly shared = new ElementRegistry(sharedItems);
  readonly sharedRef: TableRef;
  readonly sharedBase: TableBase;
  readonly shards = new Map<number, ShardState>();
  /** The shard of every service port placed, by key (to find a deleted one). */
  readonly located = new Map<string, number>();
  readonly #bases = new Map<number, TableBase>();
  readonly #local: { match: LocalTraffic | undefined; cidrs: string[] };
  #noLocal = { internal: 0, external: 0 };

  constructor(readonly fam: FamilyNames, readonly settings: Settings, readonly nodePorts: NodePortMatch, readonly node: NodeInfo) {
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
      s = { index, ref: { family: this.fam.table, table: shardTable(index) }, exists: false, registry: new ElementRegistry(noDerived), services: new Map() };
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

  /** Checks a service port and its endpoints: a TypeError/RangeError naming it and the field. */
  check(svc: ServicePort, endpoints: readonly Endpoint[]): void {
    try {
      checkServicePort(svc, endpoints);
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) e.message = `service port ${svc.key}: ${e.message}`;
      throw e;
    }
  }

  /** Plans one (checked) service port for this family's node. */
  plan(p: Placed): ServicePlan {
    const ctx: PlanContext = {
      fam: this.fam, table: shardTable(this.shardIndex(p.svc)), masqueradeMark: this.settings.masqueradeMark,
      masqueradeAll: this.settings.masqueradeAll, local: this.#local.match, node: this.node,
    };
    return planService(p.svc, p.endpoints, ctx);
  }

  /**
   * Puts `next` (a service port and its plan) in place of what the key had
   * (planned again here, and returned), adding to the change lists the
   * element changes this makes in the shard's and the shared table.
   */
  place(shard: ShardState, key: string, next: { placed: Placed; plan: ServicePlan } | undefined,
    changes?: { shard: ElementChanges; shared: ElementChanges }): ServicePlan | undefined {
    const was = shard.services.get(key);
    const old = was === undefined ? undefined : this.plan(was);
    shard.registry.replace(key, old?.shard ?? [], next?.plan.shard ?? [], changes?.shard);
    this.shared.replace(key, old?.shared ?? [], next?.plan.shared ?? [], changes?.shared);
    if (next === undefined) {
      shard.services.delete(key);
      this.located.delete(key);
    } else {
      shard.services.set(key, next.placed);
      this.located.set(key, shard.index);
    }
    this.#noLocal.internal += (next?.plan.noLocal.internal ?? 0) - (old?.noLocal.internal ?? 0);
    this.#noLocal.external += (next?.plan.noLocal.external ?? 0) - (old?.noLocal.external ?? 0);
    return old;
  }
}
