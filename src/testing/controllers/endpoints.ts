// What a Service's EndpointSlices should hold, as kube-controller-manager's
// EndpointSlice controller computes it (pure functions, no I/O): one
// endpoint per pod and address family, conditions from the pod's Ready
// condition and deletionTimestamp, ports with targetPort resolved (named
// ports through each pod's container ports), zone from the pod's node, and
// PreferClose hints.

import { tryParseIp } from '../../addr.js';
import type { KubeObject } from '../store.js';

type Obj = Record<string, any>;

/** One port of a slice, targetPort resolved. */
export interface EndpointPort {
  name: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

/** Endpoints that share an address type and a port list go in the same slices. */
export interface EndpointGroup {
  addressType: 'IPv4' | 'IPv6';
  ports: EndpointPort[];
  /** Endpoints keyed by pod name, in pod-name order. */
  endpoints: Map<string, Obj>;
}

/** IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

/** ShouldPodBeInEndpoints (terminating pods included, as for slices). */
export function podInEndpoints(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  return (pod.status?.podIPs?.length ?? 0) > 0 || !!pod.status?.podIP;
}

/** FindPort: a service port's targetPort on this pod, or undefined when a named port is missing. */
export function findPort(pod: KubeObject, sp: Obj): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === sp.protocol) return p.containerPort;
    }
  }
  return undefined;
}

function podAddress(pod: KubeObject, family: 4 | 6): string | undefined {
  const ips: string[] = (pod.status?.podIPs ?? []).map((x: Obj) => x.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => tryParseIp(ip)?.family === family);
}

function endpointFor(svc: KubeObject, pod: KubeObject, address: string, zoneOf: (node: string) => string | undefined): Obj {
  const publish = svc.spec.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = publish || (serving && !terminating);
  const ep: Obj = { addresses: [address], conditions: { ready, serving, terminating } };
  const spec = pod.spec ?? {};
  if (spec.hostname && spec.subdomain === svc.metadata.name) ep.hostname = spec.hostname;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  if (spec.nodeName) {
    ep.nodeName = spec.nodeName;
    const zone = zoneOf(spec.nodeName);
    if (zone) ep.zone = zone;
  }
  return ep;
}

/** The address types a service's endpoints use, from its IP families. */
export function addressTypes(svc: KubeObject): ('IPv4' | 'IPv6')[] {
  const fams: string[] = svc.spec.ipFamilies ?? [];
  const out = fams.filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6');
  return out.length > 0 ? out : ['IPv4'];
}

/** Groups the endpoints of `pods` for `svc`. */
export function desiredEndpoints(svc: KubeObject, pods: KubeObject[], zoneOf: (node: string) => string | undefined): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  const sorted = [...pods].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const type of addressTypes(svc)) {
    for (const pod of sorted) {
      if (!podInEndpoints(pod)) continue;
      const address = podAddress(pod, type === 'IPv4' ? 4 : 6);
      if (address === undefined) continue;
      const ports: EndpointPort[] = [];
      for (const sp of svc.spec.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        const p: EndpointPort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
        if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
        ports.push(p);
      }
      const key = `${type}|${JSON.stringify(ports)}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { addressType: type, ports, endpoints: new Map() }));
      g.endpoints.set(pod.metadata.name, endpointFor(svc, pod, address, zoneOf));
    }
  }
  if (svc.spec.trafficDistribution === 'PreferClose') for (const g of groups.values()) addZoneHints(g);
  return [...groups.values()];
}

/** PreferClose: every endpoint hinted for its own zone, or no hints when any endpoint has no zone. */
export function addZoneHints(g: EndpointGroup): void {
  const eps = [...g.endpoints.values()];
  if (eps.some((e) => !e.zone)) return;
  for (const e of eps) e.hints = { forZones: [{ name: e.zone }] };
}

/** The slice ports of a group, in the wire shape. */
export function slicePorts(ports: EndpointPort[]): Obj[] {
  return ports.map((p) => {
    const out: Obj = { name: p.name, protocol: p.protocol, port: p.port };
    if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
    return out;
  });
}
