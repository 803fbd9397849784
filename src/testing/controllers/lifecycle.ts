// The smaller control-plane loops: the namespace controller (a deleted
// namespace's contents go, then the namespace), the load-balancer
// controller (LoadBalancer services get ingress IPs from a pool, as a cloud
// controller would) and the kubelet's part in pod deletion (a terminating
// pod is removed when its grace period ends).

import { parseCidr, formatIp } from '../../addr.js';
import type { Api } from '../api.js';
import { StatusError } from '../errors.js';
import { lookupResource, RESOURCES } from '../resources.js';
import type { Change, KubeObject } from '../store.js';

const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;
const SERVICES = lookupResource('', 'v1', 'services')!;
const PODS = lookupResource('', 'v1', 'pods')!;

function ignoreGone(e: unknown): void {
  if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
}

/** Empties and then removes namespaces being deleted. */
export class NamespaceController {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly api: Api) {}

  start(): void {
    this.unsubscribe = this.api.store.table(NAMESPACES).subscribe((c) => {
      if (c.type === 'MODIFIED' && c.entry.obj.metadata.deletionTimestamp !== undefined) this.schedule();
    });
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer === undefined) this.timer = setTimeout(() => this.sweep(), 10);
  }

  private sweep(): void {
    this.timer = undefined;
    let pending = false;
    for (const e of this.api.store.table(NAMESPACES).entries()) {
      const ns = e.obj;
      if (ns.metadata.deletionTimestamp === undefined) continue;
      if (this.empty(ns.metadata.name)) {
        try {
          this.api.update(NAMESPACES, undefined, ns.metadata.name, { ...ns, spec: { ...ns.spec, finalizers: [] } }, { subresource: 'finalize' });
        } catch (err) { ignoreGone(err); }
      } else {
        pending = true;
      }
    }
    if (pending) this.timer = setTimeout(() => this.sweep(), 50);
  }

  /** Deletes what is left in the namespace; true when nothing is. */
  private empty(namespace: string): boolean {
    let left = 0;
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      for (const e of this.api.store.table(r).entries(namespace)) {
        left++;
        if (e.obj.metadata.deletionTimestamp !== undefined) continue;
        try { this.api.delete(r, namespace, e.obj.metadata.name); } catch (err) { ignoreGone(err); }
      }
    }
    return left === 0;
  }
}

/** Hands LoadBalancer services ingress IPs from a pool (status.loadBalancer.ingress). */
export class LoadBalancerController {
  private readonly free: string[] = [];
  private readonly used = new Map<string, string>();
  private unsubscribe: (() => void) | undefined;
  private pending = new Set<string>();
  private scheduled = false;

  constructor(private readonly api: Api, pool: readonly string[]) {
    for (const p of pool) this.free.push(...expandPool(p));
  }

  start(): void {
    this.unsubscribe = this.api.store.table(SERVICES).subscribe((c) => this.onChange(c));
    for (const e of this.api.store.table(SERVICES).entries()) {
      const ing = e.obj.status?.loadBalancer?.ingress?.[0]?.ip;
      if (ing) this.take(`${e.obj.metadata.namespace}/${e.obj.metadata.name}`, ing);
      else this.queue(e.obj);
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private take(key: string, ip: string): void {
    const i = this.free.indexOf(ip);
    if (i >= 0) this.free.splice(i, 1);
    this.used.set(key, ip);
  }

  private onChange(c: Change): void {
    const svc = c.entry.obj;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    if (c.type === 'DELETED' || svc.spec.type !== 'LoadBalancer') {
      const ip = this.used.get(key);
      if (ip !== undefined) { this.used.delete(key); this.free.unshift(ip); }
      if (c.type !== 'DELETED' && (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0) this.queue(svc);
      return;
    }
    this.queue(svc);
  }

  private queue(svc: KubeObject): void {
    this.pending.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const keys = [...this.pending];
      this.pending.clear();
      for (const k of keys) this.sync(k);
    });
  }

  private sync(key: string): void {
    const [ns, name] = key.split('/') as [string, string];
    const svc = this.api.find(SERVICES, ns, name);
    if (svc === undefined) return;
    const have: string | undefined = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    let want: string | undefined;
    if (svc.spec.type === 'LoadBalancer' && !svc.spec.loadBalancerClass) {
      want = this.used.get(key);
      if (want === undefined) {
        const asked = svc.spec.loadBalancerIP as string | undefined;
        want = asked && this.free.includes(asked) ? asked : this.free[0];
        if (want !== undefined) this.take(key, want);
      }
    }
    if (want === have || (want === undefined && svc.spec.type === 'LoadBalancer')) return;
    const ingress = want === undefined ? [] : [{ ip: want, ipMode: 'VIP' }];
    try {
      this.api.update(SERVICES, ns, name, { ...svc, status: { ...svc.status, loadBalancer: ingress.length > 0 ? { ingress } : {} } }, { subresource: 'status' });
    } catch (e) { ignoreGone(e); }
  }
}

/** Addresses of a pool entry: one IP, or every host address of a CIDR (IPv4 /16 or longer, IPv6 /112 or longer). */
export function expandPool(entry: string): string[] {
  if (!entry.includes('/')) return [entry];
  const c = parseCidr(entry, 'loadBalancerPool');
  const bits = c.family === 4 ? 32 : 128;
  const host = bits - c.prefixLength;
  if (host > 16) throw new RangeError(`loadBalancerPool ${entry}: at most 65536 addresses`);
  const out: string[] = [];
  const n = 2 ** host;
  for (let i = 1; i < n - (c.family === 4 && n > 2 ? 1 : 0); i++) {
    const bytes = Uint8Array.from(c.bytes);
    let carry = i;
    for (let b = bytes.length - 1; b >= 0 && carry > 0; b--) {
      const v = bytes[b]! + (carry & 0xff);
      bytes[b] = v & 0xff;
      carry = (carry >> 8) + (v >> 8);
    }
    out.push(formatIp(bytes));
  }
  return out;
}

/** The kubelet's part in pod deletion: a terminating pod goes when its grace period ends, or when told to. */
export class Kubelet {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly api: Api, private readonly mode: 'grace-period' | 'manual') {}

  /** A pod got a deletionTimestamp: remove it when its grace period ends (mode grace-period). */
  terminating(pod: KubeObject): void {
    if (this.mode === 'manual') return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    clearTimeout(this.timers.get(key));
    // the kubelet counts the grace period from when it sees the deletion (the timestamp has whole seconds only)
    const delay = (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.finish(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid);
    }, delay));
  }

  /** Reports a terminating pod's containers gone: the pod is removed now. */
  finish(namespace: string, name: string, uid?: string): void {
    const pod = this.api.find(PODS, namespace, name);
    if (pod === undefined || pod.metadata.deletionTimestamp === undefined) return;
    try {
      this.api.delete(PODS, namespace, name, { gracePeriodSeconds: 0, preconditions: uid === undefined ? {} : { uid } });
    } catch (e) { ignoreGone(e); }
  }

  /** Re-arms timers for pods already terminating (after a snapshot was loaded): they go at their deletionTimestamp. */
  resume(): void {
    for (const e of this.api.store.table(PODS).entries()) {
      const pod = e.obj;
      if (pod.metadata.deletionTimestamp === undefined || this.mode === 'manual') continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const delay = Math.max(0, Date.parse(pod.metadata.deletionTimestamp) - Date.now());
      this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.finish(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid); }, delay));
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
