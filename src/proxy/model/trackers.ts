// Change trackers (kube-proxy's ServiceChangeTracker and
// EndpointsChangeTracker): informer events accumulate here between syncs;
// a sync applies them to the proxy's maps and learns exactly which service
// port keys changed, which is what a partial sync rewrites. Pure.
import type { IpFamily } from '../../addr.js';
import { EndpointSliceCache, sliceKeys, sliceFamily, type EndpointsMap } from './endpointslices.js';
import { ANNOTATION_LAST_CHANGE_TRIGGER_TIME, namespacedName, type EndpointSlice, type Service } from './k8s.js';
import { sameEndpoints, sameServicePort } from './equal.js';
import { servicePorts, type ServiceModelOptions } from './service.js';
import type { ServicePort } from './types.js';

interface ServiceChange {
  readonly previous: Map<string, ServicePort>;
  current: Map<string, ServicePort>;
}

function sameServicePorts(a: Map<string, ServicePort>, b: Map<string, ServicePort>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !sameServicePort(v, w)) return false;
  }
  return true;
}

/** What applying a tracker's changes did. */
export interface AppliedChanges {
  /** Service port keys whose ServicePort (or endpoints) were added, changed or removed. */
  readonly changed: Set<string>;
  /** `ns/name` of every Service with a change. */
  readonly services: Set<string>;
}

/** Pending Service changes, by `ns/name`, each the ServicePorts before the first change and after the last. */
export class ServiceChangeTracker {
  readonly #items = new Map<string, ServiceChange>();

  constructor(readonly options: ServiceModelOptions) {}

  /**
   * Records a Service event (`previous` undefined: added; `current`
   * undefined: deleted). Returns true if any change is pending, from this
   * event or an earlier one; a change that undoes an earlier one cancels it.
   */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const svc = current ?? previous;
    if (svc === undefined) return false;
    const nsn = namespacedName(svc.metadata);
    let change = this.#items.get(nsn);
    if (change === undefined) this.#items.set(nsn, change = { previous: servicePorts(previous, this.options), current: new Map() });
    change.current = servicePorts(current, this.options);
    if (sameServicePorts(change.previous, change.current)) this.#items.delete(nsn);
    return this.#items.size > 0;
  }

  /** Services with pending changes (kubeproxy_sync_proxy_rules_service_changes_pending). */
  get pending(): number {
    return this.#items.size;
  }

  /** Applies every pending change to `map` (ServicePorts by key) and clears them. */
  applyTo(map: Map<string, ServicePort>): AppliedChanges {
    const changed = new Set<string>();
    const services = new Set<string>();
    for (const [nsn, { previous, current }] of this.#items) {
      services.add(nsn);
      for (const [key, sp] of current) {
        const before = previous.get(key);
        if (before === undefined || !sameServicePort(before, sp)) changed.add(key);
        map.set(key, sp);
      }
      for (const key of previous.keys()) {
        if (current.has(key)) continue;
        changed.add(key);
        map.delete(key);
      }
    }
    this.#items.clear();
    return { changed, services };
  }
}

/** A slice's endpoints.kubernetes.io/last-change-trigger-time (ms since the epoch), with the slice's family. */
export interface TriggerTime {
  readonly family: IpFamily;
  readonly at: number;
}

/** AppliedChanges of endpoints, with the trigger times of the slice changes per Service. */
export interface AppliedEndpointChanges extends AppliedChanges {
  readonly triggerTimes: Map<string, TriggerTime[]>;
}

/** Pending EndpointSlice changes (kube-proxy's EndpointsChangeTracker), for every served family at once. */
export class EndpointsChangeTracker {
  readonly #cache: EndpointSliceCache;
  readonly #triggerTimes = new Map<string, TriggerTime[]>();
  readonly #startedAt: number;

  /** `now()` gives ms since the epoch; trigger times from before the tracker started are not measured. */
  constructor(nodeName: string, families: readonly IpFamily[], now: () => number = Date.now) {
    this.#cache = new EndpointSliceCache(nodeName, families);
    this.#startedAt = now();
  }

  /** Records a slice event; returns true if it changes the endpoints a sync would apply. */
  endpointSliceUpdate(slice: EndpointSlice, removed: boolean): boolean {
    const family = sliceFamily(slice);
    const keys = sliceKeys(slice);
    if (family === undefined) return false;
    if (keys === undefined) return false;
    const changed = this.#cache.updatePending(slice, removed);
    if (!changed) return false;
    // A deletion's trigger time is that of the last update, not of this change: not measured.
    if (removed) {
      this.#triggerTimes.delete(keys.service);
    } else {
      const t = Date.parse(slice.metadata?.annotations?.[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] ?? '');
      if (Number.isFinite(t) && t > this.#startedAt) {
        const list = this.#triggerTimes.get(keys.service) ?? [];
        list.push({ family, at: t });
        this.#triggerTimes.set(keys.service, list);
      }
    }
    return true;
  }

  /** Services with pending endpoint changes. */
  get pending(): number {
    return this.#cache.pendingServices;
  }

  /** Applies pending slice changes to `map` (endpoints by service port key). */
  applyTo(map: EndpointsMap): AppliedEndpointChanges {
    const changed = new Set<string>();
    const services = new Set<string>();
    for (const [nsn, { previous, current }] of this.#cache.checkoutChanges()) {
      services.add(nsn);
      for (const key of previous.keys()) {
        if (!current.has(key)) {
          changed.add(key);
          map.delete(key);
        }
      }
      for (const [key, eps] of current) {
        const before = previous.get(key);
        if (before === undefined || !sameEndpoints(before, eps)) changed.add(key);
        map.set(key, eps);
      }
    }
    const triggerTimes = new Map(this.#triggerTimes);
    this.#triggerTimes.clear();
    return { changed, services, triggerTimes };
  }
}
