// The EndpointSlice controller: keeps, for every Service with a selector,
// slices (at most 100 endpoints each, one address type and port list per
// slice) of the pods it selects, labelled kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by, owned by the Service. Changes are
// queued per service and reconciled in batches, reusing existing slices.

import type { Api } from '../api.js';
import { StatusError } from '../errors.js';
import { jsonEqual } from '../json.js';
import { lookupResource } from '../resources.js';
import type { Change, KubeObject } from '../store.js';
import { desiredEndpoints, slicePorts, type EndpointGroup } from './endpoints.js';
import { PodIndex, SelectorIndex } from './pod-index.js';

type Obj = Record<string, any>;

const SERVICES = lookupResource('', 'v1', 'services')!;
const PODS = lookupResource('', 'v1', 'pods')!;
const NODES = lookupResource('', 'v1', 'nodes')!;
const SLICES = lookupResource('discovery.k8s.io', 'v1', 'endpointslices')!;

/** The managed-by label value of this controller's slices. */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** The label naming a slice's Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** The label naming a slice's controller. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** When the change a slice reflects happened. */
export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** A node's zone label. */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** Options of the EndpointSlice controller. */
export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice: number;
  /** Milliseconds to gather changes before a reconcile pass (0: next turn of the event loop). */
  batchMs: number;
}

function triggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** kube-controller-manager's EndpointSlice controller, in process. */
export class EndpointSliceController {
  private readonly pods = new PodIndex();
  private readonly selectors = new SelectorIndex();
  private readonly zones = new Map<string, string>();
  /** Managed slices by service key. */
  private readonly slices = new Map<string, Map<string, KubeObject>>();
  private readonly dirty = new Map<string, number>();
  private readonly ownWrites = new Set<string>();
  private scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private unsubscribe: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly api: Api, private readonly opts: EndpointSliceControllerOptions) {}

  start(): void {
    const s = this.api.store;
    for (const e of s.table(NODES).entries()) this.onNode(e.obj);
    for (const e of s.table(PODS).entries()) this.pods.set(e.obj);
    for (const e of s.table(SLICES).entries()) this.trackSlice(e.obj, false);
    for (const e of s.table(SERVICES).entries()) this.onService(e.obj, false);
    this.unsubscribe = [
      s.table(SERVICES).subscribe((c) => this.onService(c.entry.obj, c.type === 'DELETED')),
      s.table(PODS).subscribe((c) => this.onPod(c)),
      s.table(NODES).subscribe((c) => this.onNode(c.entry.obj, c.type === 'DELETED')),
      s.table(SLICES).subscribe((c) => this.onSlice(c)),
    ];
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.scheduled !== undefined) { clearTimeout(this.scheduled as NodeJS.Timeout); clearImmediate(this.scheduled as NodeJS.Immediate); }
    this.scheduled = undefined;
    this.wake();
  }

  /** Resolves once every queued service has been reconciled. */
  settle(): Promise<void> {
    if (this.dirty.size === 0 && this.scheduled === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private wake(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  private queue(key: string): void {
    if (!this.dirty.has(key)) this.dirty.set(key, Date.now());
    if (this.scheduled !== undefined) return;
    const run = () => this.process();
    this.scheduled = this.opts.batchMs > 0 ? setTimeout(run, this.opts.batchMs) : setImmediate(run);
  }

  private process(): void {
    this.scheduled = undefined;
    const until = Date.now() + 50;
    for (const [key, at] of this.dirty) {
      this.dirty.delete(key);
      this.reconcile(key, at);
      if (Date.now() > until) break;
    }
    if (this.dirty.size > 0) this.scheduled = setImmediate(() => this.process());
    else this.wake();
  }

  private onService(svc: KubeObject, deleted: boolean): void {
    const { namespace, name } = svc.metadata;
    this.selectors.set(namespace, name, deleted ? undefined : svc.spec?.selector);
    this.queue(`${namespace}/${name}`);
  }

  private onPod(c: Change): void {
    const pod = c.entry.obj;
    const ns = pod.metadata.namespace as string;
    if (c.type === 'DELETED') this.pods.remove(ns, pod.metadata.name); else this.pods.set(pod);
    const keys = new Set(this.selectors.matching(ns, pod.metadata.labels));
    if (c.prev !== undefined) for (const k of this.selectors.matching(ns, c.prev.metadata.labels)) keys.add(k);
    for (const k of keys) this.queue(k);
  }

  private onNode(node: KubeObject, deleted = false): void {
    const name = node.metadata.name as string;
    const zone = deleted ? undefined : node.metadata.labels?.[LABEL_ZONE];
    if (this.zones.get(name) === zone) return;
    if (zone === undefined) this.zones.delete(name); else this.zones.set(name, zone);
    for (const pod of this.pods.all()) {
      if (pod.spec?.nodeName === name) for (const k of this.selectors.matching(pod.metadata.namespace, pod.metadata.labels)) this.queue(k);
    }
  }

  private serviceKeyOf(slice: KubeObject): string | undefined {
    const l = slice.metadata.labels ?? {};
    if (l[LABEL_MANAGED_BY] !== MANAGED_BY || !l[LABEL_SERVICE_NAME]) return undefined;
    return `${slice.metadata.namespace}/${l[LABEL_SERVICE_NAME]}`;
  }

  private trackSlice(slice: KubeObject, deleted: boolean): string | undefined {
    const key = this.serviceKeyOf(slice);
    for (const m of this.slices.values()) m.delete(slice.metadata.name);
    if (key === undefined || deleted) return key;
    let m = this.slices.get(key);
    if (m === undefined) this.slices.set(key, (m = new Map()));
    m.set(slice.metadata.name, slice);
    return key;
  }

  private onSlice(c: Change): void {
    const before = c.prev !== undefined ? this.serviceKeyOf(c.prev) : undefined;
    const key = this.trackSlice(c.entry.obj, c.type === 'DELETED');
    const own = this.ownWrites.delete(`${c.entry.obj.metadata.name}@${c.rv}`);
    if (own) return;
    if (key !== undefined) this.queue(key);
    if (before !== undefined && before !== key) this.queue(before);
  }

  private reconcile(key: string, at: number): void {
    const slash = key.indexOf('/');
    const ns = key.slice(0, slash), name = key.slice(slash + 1);
    const svc = this.api.find(SERVICES, ns, name);
    const existing = [...(this.slices.get(key)?.values() ?? [])].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    try {
      if (svc === undefined || svc.spec.type === 'ExternalName' || Object.keys(svc.spec.selector ?? {}).length === 0) {
        for (const s of existing) this.remove(s);
        return;
      }
      const groups = desiredEndpoints(svc, this.pods.select(ns, svc.spec.selector), (n) => this.zones.get(n));
      new SliceSet(this, svc, existing, triggerTime(at)).apply(groups, this.opts.maxEndpointsPerSlice);
    } catch (e) {
      if (e instanceof StatusError && (e.code === 409 || e.code === 404)) { this.queue(key); return; }
      throw e;
    }
  }

  /** Creates or updates a slice, remembering the write so its own event does not requeue. */
  write(slice: KubeObject, old: KubeObject | undefined): void {
    const body = { ...slice, metadata: { ...slice.metadata } };
    const out = old === undefined
      ? this.api.create(SLICES, slice.metadata.namespace, body, { fieldValidation: 'Ignore' })
      : this.api.update(SLICES, slice.metadata.namespace, old.metadata.name, body, { fieldValidation: 'Ignore' });
    if (out.object.metadata.resourceVersion !== old?.metadata.resourceVersion) {
      this.ownWrites.add(`${out.object.metadata.name}@${out.object.metadata.resourceVersion}`);
    }
  }

  remove(slice: KubeObject): void {
    this.api.delete(SLICES, slice.metadata.namespace, slice.metadata.name, { preconditions: { resourceVersion: slice.metadata.resourceVersion } });
    this.ownWrites.add(`${slice.metadata.name}@${this.api.store.rv}`);
  }
}

/** One reconcile of a service's slices: keeps endpoints where they are, fills free room, then makes new slices. */
class SliceSet {
  private pool: KubeObject[];

  constructor(private readonly ctl: EndpointSliceController, private readonly svc: KubeObject, existing: KubeObject[], private readonly trigger: string) {
    this.pool = [...existing];
  }

  private labels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.svc.metadata.labels ?? {})) {
      if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY) out[k] = v as string;
    }
    out[LABEL_SERVICE_NAME] = this.svc.metadata.name;
    out[LABEL_MANAGED_BY] = MANAGED_BY;
    if (this.svc.spec.clusterIP === 'None') out['service.kubernetes.io/headless'] = '';
    return out;
  }

  private build(old: KubeObject | undefined, addressType: string, endpoints: Obj[], ports: Obj[]): KubeObject {
    const m = this.svc.metadata;
    const meta: Obj = old === undefined
      ? { generateName: `${m.name}-`, namespace: m.namespace }
      : { name: old.metadata.name, namespace: m.namespace, resourceVersion: old.metadata.resourceVersion };
    meta.labels = this.labels();
    meta.annotations = { ...(old?.metadata.annotations ?? {}), [TRIGGER_TIME]: this.trigger };
    meta.ownerReferences = [{ apiVersion: 'v1', kind: 'Service', name: m.name, uid: m.uid, controller: true, blockOwnerDeletion: true }];
    return { metadata: meta, addressType, endpoints, ports } as KubeObject;
  }

  private changed(old: KubeObject, next: KubeObject): boolean {
    return !jsonEqual([old.addressType, old.endpoints ?? [], old.ports ?? [], old.metadata.labels, old.metadata.ownerReferences],
      [next.addressType, next.endpoints, next.ports ?? [], next.metadata.labels, next.metadata.ownerReferences]);
  }

  private put(old: KubeObject | undefined, addressType: string, endpoints: Obj[], ports: Obj[]): void {
    const next = this.build(old, addressType, endpoints, ports);
    if (old !== undefined && !this.changed(old, next)) return;
    this.ctl.write(next, old);
  }

  apply(groups: EndpointGroup[], max: number): void {
    const placed: [KubeObject | undefined, EndpointGroup, Obj[]][] = [];
    for (const g of groups) {
      const portsJson = JSON.stringify(slicePorts(g.ports));
      const mine = this.pool.filter((s) => s.addressType === g.addressType && JSON.stringify(s.ports ?? []) === portsJson);
      this.pool = this.pool.filter((s) => !mine.includes(s));
      const left = new Map(g.endpoints);
      const filled = mine.map((s) => {
        const keep: Obj[] = [];
        for (const ep of s.endpoints ?? []) {
          const pod = ep.targetRef?.name;
          const want = pod === undefined ? undefined : left.get(pod);
          if (want !== undefined) { keep.push(want); left.delete(pod); }
        }
        return [s, keep] as [KubeObject, Obj[]];
      });
      for (const f of filled) {
        for (const [pod, ep] of left) {
          if (f[1].length >= max) break;
          f[1].push(ep);
          left.delete(pod);
        }
      }
      const rest = [...left.values()];
      for (const [s, eps] of filled) placed.push([s, g, eps]);
      for (let i = 0; i < rest.length; i += max) placed.push([undefined, g, rest.slice(i, i + max)]);
    }
    const nonEmpty = placed.filter(([, , eps]) => eps.length > 0);
    for (const [s, , eps] of placed) if (eps.length === 0 && s !== undefined) this.pool.push(s);
    for (const [s, g, eps] of nonEmpty) {
      // a new slice takes over a leftover slice of the same address type rather than being created
      const reuse = s ?? this.takeFromPool(g.addressType);
      this.put(reuse, g.addressType, eps, slicePorts(g.ports));
    }
    if (nonEmpty.length === 0) {
      const primary = (this.svc.spec.ipFamilies?.[0] as string | undefined) ?? 'IPv4';
      this.put(this.takeFromPool(primary), primary, [], []);
    }
    for (const s of this.pool) this.ctl.remove(s);
  }

  private takeFromPool(addressType: string): KubeObject | undefined {
    const i = this.pool.findIndex((s) => s.addressType === addressType);
    return i < 0 ? undefined : this.pool.splice(i, 1)[0];
  }
}
