// What the proxy keeps of each watched object: only the fields of
// model/k8s.ts, copied out of client-node's object (a typed list item or a
// watch event's JSON), so the rest (managedFields, uids, owner and target
// references, timestamps, status conditions) is garbage as soon as the event
// is handled. Strings that repeat across thousands of objects (namespaces,
// protocols, types, port names, node names, zones) are interned per
// informer, so they are held once.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME, LABEL_SERVICE_NAME, type EndpointSlice, type EndpointSliceEndpoint, type EndpointSlicePort, type Node, type ObjectMeta, type Service,
  type ServicePortSpec,
} from '../model/k8s.js';

/** One string per distinct value (few distinct values, many copies). */
export type Intern = (s: string) => string;

/** An interning function with its own table. */
export function interner(): Intern {
  const strings = new Map<string, string>();
  return (s) => {
    const have = strings.get(s);
    if (have !== undefined) return have;
    strings.set(s, s);
    return s;
  };
}

// Each projection takes what client-node hands over: typed objects from a
// list, plain JSON from a watch. Every object it makes has all its fields
// (undefined when absent), so objects of a kind share one hidden class.
type Raw = Record<string, any>;

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const interned = (v: unknown, intern: Intern): string | undefined => (v === undefined || v === null ? undefined : intern(String(v)));
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strings = (a: unknown, intern?: Intern): string[] | undefined =>
  Array.isArray(a) ? a.map((s) => (intern !== undefined ? intern(String(s)) : String(s))) : undefined;

function record(r: unknown, intern: Intern): Record<string, string> | undefined {
  if (r === undefined || r === null || typeof r !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) out[intern(k)] = String(v);
  return out;
}

/** The metadata the model reads; of the annotations, only the one named. */
function slimMeta(m: Raw | undefined, intern: Intern, annotation?: string): ObjectMeta {
  const value = annotation !== undefined ? str(m?.annotations?.[annotation]) : undefined;
  return {
    name: str(m?.name),
    namespace: interned(m?.namespace, intern),
    resourceVersion: str(m?.resourceVersion),
    labels: record(m?.labels, intern),
    annotations: value !== undefined ? { [annotation!]: value } : undefined,
    deletionTimestamp: m?.deletionTimestamp ?? undefined,
  };
}

const slimServicePort = (p: Raw, intern: Intern): ServicePortSpec =>
  ({ name: interned(p.name, intern), protocol: interned(p.protocol, intern), port: p.port, nodePort: num(p.nodePort) });

/** A v1 Service as the model reads it (model/service.ts). */
export function slimService(o: KubernetesObject, intern: Intern): Service {
  const svc = o as Raw;
  const spec = (svc.spec ?? {}) as Raw;
  const ingress = svc.status?.loadBalancer?.ingress as Raw[] | undefined;
  const timeoutSeconds = num(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds);
  return {
    metadata: slimMeta(svc.metadata, intern),
    spec: {
      type: interned(spec.type, intern),
      clusterIP: str(spec.clusterIP),
      clusterIPs: strings(spec.clusterIPs),
      ipFamilies: strings(spec.ipFamilies, intern),
      ports: Array.isArray(spec.ports) ? spec.ports.map((p: Raw) => slimServicePort(p, intern)) : undefined,
      externalIPs: strings(spec.externalIPs),
      loadBalancerSourceRanges: strings(spec.loadBalancerSourceRanges),
      sessionAffinity: interned(spec.sessionAffinity, intern),
      sessionAffinityConfig: timeoutSeconds !== undefined ? { clientIP: { timeoutSeconds } } : undefined,
      externalTrafficPolicy: interned(spec.externalTrafficPolicy, intern),
      internalTrafficPolicy: interned(spec.internalTrafficPolicy, intern),
      healthCheckNodePort: num(spec.healthCheckNodePort),
      trafficDistribution: interned(spec.trafficDistribution, intern),
      externalName: str(spec.externalName),
    },
    status: Array.isArray(ingress) && ingress.length > 0
      ? { loadBalancer: { ingress: ingress.map((i) => ({ ip: str(i.ip), hostname: str(i.hostname), ipMode: interned(i.ipMode, intern) })) } }
      : undefined,
  };
}

const hintNames = (a: unknown, intern: Intern): { name: string }[] | undefined =>
  Array.isArray(a) ? a.map((h: Raw) => ({ name: intern(String(h.name)) })) : undefined;

function slimEndpoint(e: Raw, intern: Intern): EndpointSliceEndpoint {
  const c = e.conditions as Raw | undefined | null;
  const h = e.hints as Raw | undefined | null;
  return {
    addresses: strings(e.addresses) ?? [],
    conditions: c === undefined || c === null ? undefined : { ready: c.ready, serving: c.serving, terminating: c.terminating },
    nodeName: interned(e.nodeName, intern),
    zone: interned(e.zone, intern),
    hints: h === undefined || h === null ? undefined : { forZones: hintNames(h.forZones, intern), forNodes: hintNames(h.forNodes, intern) },
  };
}

/** A discovery.k8s.io/v1 EndpointSlice as the model reads it (model/endpointslices.ts). */
export function slimEndpointSlice(o: KubernetesObject, intern: Intern): EndpointSlice {
  const s = o as Raw;
  return {
    metadata: slimMeta(s.metadata, intern, ANNOTATION_LAST_CHANGE_TRIGGER_TIME),
    addressType: intern(String(s.addressType)),
    endpoints: Array.isArray(s.endpoints) ? s.endpoints.map((e: Raw) => slimEndpoint(e, intern)) : undefined,
    ports: Array.isArray(s.ports)
      ? s.ports.map((p: Raw): EndpointSlicePort => ({ name: interned(p.name, intern), protocol: interned(p.protocol, intern), port: num(p.port) }))
      : undefined,
  };
}

/**
 * What the slice informer keeps after the event was delivered: the slice
 * without its endpoints (the EndpointSlice cache holds what they made),
 * annotations and labels other than the service name: a delete needs only
 * the name, the service label and the address type, and a relist compares
 * the resourceVersion.
 */
export function sliceStub(s: EndpointSlice): EndpointSlice {
  const m = s.metadata;
  const service = m?.labels?.[LABEL_SERVICE_NAME];
  return {
    metadata: {
      name: m?.name, namespace: m?.namespace, resourceVersion: m?.resourceVersion,
      labels: service !== undefined ? { [LABEL_SERVICE_NAME]: service } : undefined, annotations: undefined, deletionTimestamp: undefined,
    },
    addressType: s.addressType, endpoints: undefined, ports: s.ports,
  };
}

/** A v1 Node as the model reads it (model/node.ts). */
export function slimNode(o: KubernetesObject, intern: Intern): Node {
  const n = o as Raw;
  const spec = n.spec as Raw | undefined;
  const addresses = n.status?.addresses as Raw[] | undefined;
  return {
    metadata: slimMeta(n.metadata, intern),
    spec: spec === undefined || spec === null ? undefined : {
      podCIDR: str(spec.podCIDR),
      podCIDRs: strings(spec.podCIDRs),
      taints: Array.isArray(spec.taints) ? spec.taints.map((t: Raw) => ({ key: String(t.key), effect: str(t.effect) })) : undefined,
    },
    status: Array.isArray(addresses) ? { addresses: addresses.map((a) => ({ type: intern(String(a.type)), address: String(a.address) })) } : undefined,
  };
}
