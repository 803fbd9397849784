// The parts of the Kubernetes objects the model reads: v1 Service,
// discovery.k8s.io/v1 EndpointSlice and v1 Node. Structural, so the model
// takes objects from @kubernetes/client-node (typed lists, raw watch JSON)
// or a test's literals alike, and never imports the client.

/** metav1.ObjectMeta, the fields used here. Timestamps arrive as text (watch) or Date (typed list). */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string | Date;
}

export interface ServicePortSpec {
  name?: string;
  protocol?: string;
  port: number;
  nodePort?: number;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}

export interface Service {
  metadata?: ObjectMeta;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    ports?: ServicePortSpec[];
    externalIPs?: string[];
    loadBalancerSourceRanges?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    trafficDistribution?: string;
    externalName?: string;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string | null;
  zone?: string | null;
  hints?: { forZones?: { name: string }[] | null; forNodes?: { name: string }[] | null } | null;
}

export interface EndpointSlicePort {
  name?: string | null;
  protocol?: string | null;
  port?: number | null;
}

export interface EndpointSlice {
  metadata?: ObjectMeta;
  addressType: string;
  endpoints?: EndpointSliceEndpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}

export interface NodeAddress {
  type: string;
  address: string;
}

export interface Node {
  metadata?: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[]; taints?: { key: string; effect?: string }[] };
  status?: { addresses?: NodeAddress[] };
}

/** Well-known labels and annotations the proxy reads. */
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** The Cluster Autoscaler's taint on a node it is about to delete. */
export const TAINT_TO_BE_DELETED = 'ToBeDeletedByClusterAutoscaler';

/** `namespace/name` of an object. */
export function namespacedName(meta: ObjectMeta | undefined): string {
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}
