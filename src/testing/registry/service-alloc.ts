// What the Service REST storage does around a write: IP family defaulting,
// cluster IP, node port and health-check node port allocation (rolled back
// when the write fails), releasing what an update or delete gave up, and
// dropping type-dependent fields when the type changes.

import { tryParseIp } from '../../addr.js';
import { fieldErrors as fe, goStrings, type FieldError } from '../errors.js';
import type { KubeObject } from '../store.js';
import { IpAllocator, PortAllocator } from './allocators.js';
import { isHeadless, needsHealthCheck } from './service.js';

type Spec = Record<string, any>;

/** The outcome of an allocation: errors, or a reservation to commit or roll back. */
export interface Allocation {
  errors: FieldError[];
  /** The write went through: give back what the old object held and the new one does not. */
  commit(): void;
  /** The write failed: give back what this allocation took. */
  rollback(): void;
}

function familyOf(ip: string): 'IPv4' | 'IPv6' | undefined {
  const a = tryParseIp(ip);
  return a === undefined ? undefined : a.family === 4 ? 'IPv4' : 'IPv6';
}

/** NodePort services, and LoadBalancer ones unless allocateLoadBalancerNodePorts is false. */
export function needsNodePorts(s: Spec): boolean {
  return s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
}

function sameNodePorts(a: Spec, b: Spec): boolean {
  const ports = (s: Spec) => JSON.stringify((s.ports ?? []).map((p: Spec) => p.nodePort ?? 0));
  return ports(a) === ports(b);
}

/** dropTypeDependentFields: a type change clears what the old type needed and the user left alone. */
export function dropTypeDependentFields(s: Spec, old: Spec): void {
  if (s.type === old.type) return;
  if (s.type === 'ExternalName' && JSON.stringify(s.clusterIPs ?? []) === JSON.stringify(old.clusterIPs ?? [])) {
    delete s.clusterIP; delete s.clusterIPs; delete s.ipFamilies; delete s.ipFamilyPolicy;
  }
  if (!needsNodePorts(s) && sameNodePorts(s, old)) for (const p of s.ports ?? []) delete p.nodePort;
  if (!needsHealthCheck(s) && s.healthCheckNodePort === old.healthCheckNodePort) delete s.healthCheckNodePort;
  if (s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if (s.loadBalancerClass === old.loadBalancerClass) delete s.loadBalancerClass;
  }
}

/** Cluster IPs (one allocator per configured family, primary first) and node ports. */
export class ServiceAllocator {
  readonly ips: IpAllocator[];
  readonly nodePorts: PortAllocator;

  constructor(serviceCidrs: readonly string[], nodePortRange: [number, number]) {
    this.ips = serviceCidrs.map((c) => new IpAllocator(c));
    if (this.ips.length === 0 || this.ips.length > 2 || (this.ips.length === 2 && this.ips[0]!.family === this.ips[1]!.family)) {
      throw new RangeError('serviceCidrs: one CIDR, or one IPv4 and one IPv6 CIDR');
    }
    this.nodePorts = new PortAllocator(nodePortRange[0], nodePortRange[1]);
  }

  private families(): string[] {
    return this.ips.map((a) => (a.family === 4 ? 'IPv4' : 'IPv6'));
  }

  private allocatorFor(family: string): IpAllocator | undefined {
    return this.ips.find((a) => (a.family === 4 ? 'IPv4' : 'IPv6') === family);
  }

  /** initIPFamilyFields: policy and families from what was given and how the cluster is configured. */
  private initFamilies(s: Spec, errs: FieldError[]): void {
    const configured = this.families();
    const dual = configured.length === 2;
    if (s.ipFamilyPolicy === 'RequireDualStack' && !dual) {
      errs.push(fe.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
      return;
    }
    const families: string[] = [...(s.ipFamilies ?? [])];
    (s.clusterIPs ?? []).forEach((ip: string, i: number) => {
      const f = ip === 'None' ? undefined : familyOf(ip);
      if (f !== undefined && families[i] === undefined) families[i] = f;
    });
    families.forEach((f, i) => {
      if (['IPv4', 'IPv6'].includes(f) && !configured.includes(f)) errs.push(fe.invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    });
    if (s.ipFamilyPolicy === undefined) {
      if (families.length === 2 || (s.clusterIPs?.length ?? 0) === 2) s.ipFamilyPolicy = 'RequireDualStack';
      else if (isHeadless(s) && s.selector === undefined && dual) s.ipFamilyPolicy = 'RequireDualStack';
      else s.ipFamilyPolicy = 'SingleStack';
    }
    if (families.length === 0) families.push(configured[0]!);
    if (s.ipFamilyPolicy !== 'SingleStack' && dual && families.length === 1) {
      families.push(configured.find((f) => f !== families[0])!);
    }
    if (s.ipFamilyPolicy === 'SingleStack' && families.length > 1) {
      errs.push(fe.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'must be RequireDualStack or PreferDualStack when multiple IP families are specified'));
    }
    s.ipFamilies = families;
  }

  /** Fills and reserves cluster IPs and node ports for a created (old undefined) or updated Service. */
  allocate(svc: KubeObject, old: KubeObject | undefined): Allocation {
    const s: Spec = svc.spec;
    const o: Spec | undefined = old?.spec;
    const errs: FieldError[] = [];
    const takenIps: [IpAllocator, string][] = [];
    const takenPorts: number[] = [];
    const undo = () => {
      for (const [a, ip] of takenIps) a.release(ip);
      for (const p of takenPorts) this.nodePorts.release(p);
    };
    if (s.type === 'ExternalName') {
      delete s.ipFamilies; delete s.ipFamilyPolicy;
    } else {
      this.initFamilies(s, errs);
      if (errs.length === 0 && !isHeadless(s)) this.allocateIps(s, o, errs, takenIps);
      if (isHeadless(s)) s.clusterIP = 'None';
    }
    if (errs.length === 0 && needsNodePorts(s)) this.allocateNodePorts(s, o, errs, takenPorts);
    if (errs.length === 0 && needsHealthCheck(s) && !(o !== undefined && needsHealthCheck(o) && o.healthCheckNodePort === s.healthCheckNodePort && s.healthCheckNodePort)) {
      if (s.healthCheckNodePort) {
        const why = this.nodePorts.allocate(s.healthCheckNodePort);
        if (why !== undefined) errs.push(fe.invalid('spec.healthCheckNodePort', s.healthCheckNodePort, why));
        else takenPorts.push(s.healthCheckNodePort);
      } else {
        const p = this.nodePorts.allocateNext();
        if (p === undefined) errs.push(fe.invalid('spec.healthCheckNodePort', 0, 'range is full'));
        else { s.healthCheckNodePort = p; takenPorts.push(p); }
      }
    }
    if (errs.length > 0) undo();
    return {
      errors: errs,
      rollback: undo,
      commit: () => { if (old !== undefined) this.releaseUnused(old, svc); },
    };
  }

  private allocateIps(s: Spec, o: Spec | undefined, errs: FieldError[], taken: [IpAllocator, string][]): void {
    const ips: string[] = [...(s.clusterIPs ?? [])];
    for (const [i, family] of (s.ipFamilies as string[]).entries()) {
      const a = this.allocatorFor(family);
      if (a === undefined) continue;
      const given = ips[i];
      if (given !== undefined && o?.clusterIPs?.includes(given)) continue; // kept from before
      if (given !== undefined) {
        const why = a.allocate(given);
        if (why !== undefined) { errs.push(fe.invalid('spec.clusterIPs', goStrings(s.clusterIPs), `failed to allocate IP ${given}: ${why}`)); return; }
        taken.push([a, given]);
      } else {
        const ip = a.allocateNext();
        if (ip === undefined) { errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), `failed to allocate a serviceIP: range is full`)); return; }
        ips[i] = ip;
        taken.push([a, ip]);
      }
    }
    s.clusterIPs = ips;
    s.clusterIP = ips[0];
  }

  private allocateNodePorts(s: Spec, o: Spec | undefined, errs: FieldError[], taken: number[]): void {
    const held = new Set<number>((o !== undefined && needsNodePorts(o) ? o.ports ?? [] : []).map((p: Spec) => p.nodePort).filter(Boolean));
    const byPort = new Map<number, number>();
    for (const [i, p] of (s.ports as Spec[] ?? []).entries()) {
      if (p.nodePort) {
        if (held.has(p.nodePort) || taken.includes(p.nodePort)) { byPort.set(p.port, p.nodePort); continue; }
        const why = this.nodePorts.allocate(p.nodePort);
        if (why !== undefined) { errs.push(fe.invalid(`spec.ports[${i}].nodePort`, p.nodePort, why)); return; }
        taken.push(p.nodePort);
        byPort.set(p.port, p.nodePort);
        continue;
      }
      const shared = byPort.get(p.port);
      if (shared !== undefined) { p.nodePort = shared; continue; }
      const n = this.nodePorts.allocateNext();
      if (n === undefined) { errs.push(fe.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full')); return; }
      p.nodePort = n;
      taken.push(n);
      byPort.set(p.port, n);
    }
  }

  private releaseUnused(old: KubeObject, now: KubeObject | undefined): void {
    const o: Spec = old.spec, s: Spec = now?.spec ?? {};
    for (const ip of o.clusterIPs ?? []) {
      if (ip === 'None' || (s.clusterIPs ?? []).includes(ip)) continue;
      for (const a of this.ips) a.release(ip);
    }
    const keep = new Set<number>([...(s.ports ?? []).map((p: Spec) => p.nodePort), s.healthCheckNodePort].filter(Boolean));
    for (const p of [...(o.ports ?? []).map((x: Spec) => x.nodePort), o.healthCheckNodePort]) {
      if (p && !keep.has(p)) this.nodePorts.release(p);
    }
  }

  /** A deleted Service gives back everything it held. */
  release(svc: KubeObject): void {
    this.releaseUnused(svc, undefined);
  }

  /** Marks what a stored Service holds as taken (after loading a snapshot). */
  restore(svc: KubeObject): void {
    const s: Spec = svc.spec ?? {};
    for (const ip of s.clusterIPs ?? []) {
      const a = ip === 'None' ? undefined : this.ips.find((x) => x.family === tryParseIp(ip)?.family);
      a?.allocate(ip);
    }
    for (const p of [...(s.ports ?? []).map((x: Spec) => x.nodePort), s.healthCheckNodePort]) if (p) this.nodePorts.allocate(p);
  }
}
