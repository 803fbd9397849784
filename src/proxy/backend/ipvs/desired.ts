// The union of every service port's plan, with reference counts, so a
// partial sync can say exactly which virtual servers, addresses and set
// elements changed when some service ports changed: an address shared by
// two ports of a service stays bound until the last one goes.
import type { PlannedElement, PlannedVirtualServer, ServicePortPlan } from './plan.js';

/** The net change of one update, against what was desired before it. */
export interface Delta {
  /** Virtual servers whose desired state may differ: before and after (undefined: not wanted). */
  readonly virtualServers: Map<string, { before?: PlannedVirtualServer; after?: PlannedVirtualServer }>;
  readonly addressesAdded: string[];
  readonly addressesRemoved: string[];
  readonly elementsAdded: PlannedElement[];
  readonly elementsRemoved: PlannedElement[];
}

/** A service port's place in the metrics: its namespace/name. */
function serviceName(key: string): string {
  const k = key.startsWith('v6 ') ? key.slice(3) : key;
  const colon = k.indexOf(':');
  return colon < 0 ? k.slice(0, k.lastIndexOf('/')) : k.slice(0, colon);
}

function countIn(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k); else m.set(k, n);
}

/** Every service port's plan, and what they add up to. */
export class DesiredState {
  readonly #plans = new Map<string, ServicePortPlan>();
  // vs key -> the service ports that want it; the lowest key's plan wins a clash.
  readonly #owners = new Map<string, Map<string, PlannedVirtualServer>>();
  readonly #addresses = new Map<string, number>();
  readonly #elements = new Map<string, { element: PlannedElement; count: number }>();
  readonly #noLocal = { internal: new Map<string, number>(), external: new Map<string, number>() };

  /** The union of these plans, without the bookkeeping of a delta (a full sync diffs against the kernel instead). */
  static of(plans: Iterable<[string, ServicePortPlan | undefined]>): DesiredState {
    const d = new DesiredState();
    for (const [key, plan] of plans) {
      if (plan === undefined) continue;
      d.#account(key, plan, 1);
      d.#plans.set(key, plan);
    }
    return d;
  }

  /** The plan of one service port. */
  plan(key: string): ServicePortPlan | undefined {
    return this.#plans.get(key);
  }

  /** The virtual server wanted under a key. */
  virtualServer(vsKey: string): PlannedVirtualServer | undefined {
    const owners = this.#owners.get(vsKey);
    if (owners === undefined) return undefined;
    let best: string | undefined;
    for (const k of owners.keys()) if (best === undefined || k < best) best = k;
    return owners.get(best!);
  }

  virtualServers(): IterableIterator<string> {
    return this.#owners.keys();
  }

  /** Addresses wanted on kube-ipvs0. */
  addresses(): IterableIterator<string> {
    return this.#addresses.keys();
  }

  elements(): PlannedElement[] {
    return [...this.#elements.values()].map((e) => e.element);
  }

  /** Services with Local policy and endpoints elsewhere but none here, counted once per Service. */
  noLocalEndpoints(): { internal: number; external: number } {
    return { internal: this.#noLocal.internal.size, external: this.#noLocal.external.size };
  }

  /** Replaces the plans of some service ports (undefined: the port is gone) and returns the net change. */
  update(changes: Iterable<[string, ServicePortPlan | undefined]>): Delta {
    const vsBefore = new Map<string, PlannedVirtualServer | undefined>();
    const addrBefore = new Map<string, boolean>();
    const elBefore = new Map<string, PlannedElement | undefined>();
    for (const [key, plan] of changes) {
      const old = this.#plans.get(key);
      for (const p of [old, plan]) {
        if (p === undefined) continue;
        for (const v of p.virtualServers) if (!vsBefore.has(v.key)) vsBefore.set(v.key, this.virtualServer(v.key));
        for (const a of p.addresses) if (!addrBefore.has(a)) addrBefore.set(a, this.#addresses.has(a));
        for (const e of p.elements) if (!elBefore.has(e.id)) elBefore.set(e.id, this.#elements.get(e.id)?.element);
      }
      if (old !== undefined) this.#account(key, old, -1);
      if (plan !== undefined) this.#account(key, plan, 1);
      if (plan === undefined) this.#plans.delete(key); else this.#plans.set(key, plan);
    }
    const delta: Delta = { virtualServers: new Map(), addressesAdded: [], addressesRemoved: [], elementsAdded: [], elementsRemoved: [] };
    for (const [k, before] of vsBefore) {
      const after = this.virtualServer(k);
      if (before !== after) delta.virtualServers.set(k, { ...(before ? { before } : {}), ...(after ? { after } : {}) });
    }
    for (const [a, had] of addrBefore) {
      const has = this.#addresses.has(a);
      if (has && !had) delta.addressesAdded.push(a);
      if (had && !has) delta.addressesRemoved.push(a);
    }
    for (const [id, before] of elBefore) {
      const after = this.#elements.get(id)?.element;
      if (after !== undefined && before === undefined) delta.elementsAdded.push(after);
      if (before !== undefined && after === undefined) delta.elementsRemoved.push(before);
    }
    return delta;
  }

  #account(key: string, plan: ServicePortPlan, by: 1 | -1): void {
    for (const v of plan.virtualServers) {
      let owners = this.#owners.get(v.key);
      if (by > 0) {
        if (owners === undefined) this.#owners.set(v.key, (owners = new Map()));
        owners.set(key, v);
      } else if (owners !== undefined) {
        owners.delete(key);
        if (owners.size === 0) this.#owners.delete(v.key);
      }
    }
    for (const a of new Set(plan.addresses)) countIn(this.#addresses, a, by);
    for (const e of plan.elements) {
      const have = this.#elements.get(e.id);
      if (by > 0) {
        if (have === undefined) this.#elements.set(e.id, { element: e, count: 1 }); else have.count++;
      } else if (have !== undefined && --have.count === 0) {
        this.#elements.delete(e.id);
      }
    }
    const name = serviceName(key);
    if (plan.noLocalEndpoints.internal) countIn(this.#noLocal.internal, name, by);
    if (plan.noLocalEndpoints.external) countIn(this.#noLocal.external, name, by);
  }
}
