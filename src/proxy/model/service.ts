// Service -> ServicePorts, one per (spec.ports[] entry, IP family), with
// kube-proxy's rules (pkg/proxy/serviceport.go newBaseServiceInfo and
// util.ShouldSkipService). Pure: no I/O, no clock.
import type { IpFamily } from '../../addr.js';
import { canonicalCidr, canonicalIp } from './cidr.js';
import { LABEL_HEADLESS, LABEL_SERVICE_PROXY_NAME, type Service } from './k8s.js';
import type { L4Protocol, ServicePort, ServicePortName, TrafficDistribution } from './types.js';

/** kube-proxy's default ClientIP affinity timeout (v1.DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

const PROTOCOLS: Readonly<Record<string, L4Protocol>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const DISTRIBUTIONS = new Set<string>(['PreferClose', 'PreferSameZone', 'PreferSameNode']);

export interface ServiceModelOptions {
  /** The IP families this proxy serves. */
  readonly families: readonly IpFamily[];
  /** --service-proxy-name (ours): Services with this label value are handled too. */
  readonly serviceProxyName?: string;
}

/** The key trackers and backends share: `ns/name:port/proto`, `v6 ` in front for IPv6. */
export function servicePortKey(name: ServicePortName, family: IpFamily): string {
  // join makes one flat string (a template literal makes a tree of string
  // pieces that stays as long as the key: it is kept for every service port).
  return [family === 6 ? 'v6 ' : '', name.namespace, '/', name.name, name.portName === '' ? '' : ':', name.portName, '/', name.protocol].join('');
}

/** The L4 protocol of a Service or EndpointSlice port (default TCP), or undefined for one the proxy cannot serve. */
export function l4Protocol(p: string | null | undefined): L4Protocol | undefined {
  return PROTOCOLS[p ?? 'TCP'];
}

/**
 * Why the proxy ignores a Service, or undefined if it handles it: the
 * service-proxy-name label (unless it names this proxy), the headless label,
 * type ExternalName, or no cluster IP.
 */
export function skipReason(svc: Service, serviceProxyName = ''): string | undefined {
  const labels = svc.metadata?.labels ?? {};
  const proxyName = labels[LABEL_SERVICE_PROXY_NAME];
  if (proxyName !== undefined && (serviceProxyName === '' || proxyName !== serviceProxyName)) return `labelled ${LABEL_SERVICE_PROXY_NAME}=${proxyName}`;
  if (labels[LABEL_HEADLESS] !== undefined) return `labelled ${LABEL_HEADLESS}`;
  if (svc.spec?.type === 'ExternalName') return 'type ExternalName';
  const ip = svc.spec?.clusterIP ?? '';
  if (ip === '' || ip === 'None') return 'no cluster IP';
  return undefined;
}

/** spec.clusterIPs' entry of `family` (kube-proxy's GetClusterIPByFamily), canonical, or undefined. */
export function clusterIPOf(svc: Service, family: IpFamily): string | undefined {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs !== undefined && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  for (const ip of ips) {
    const c = canonicalIp(ip);
    if (c?.family === family) return c.text;
  }
  return undefined;
}

/** NodePort, LoadBalancer, or ClusterIP with externalIPs (apiservice.ExternallyAccessible). */
function externallyAccessibleType(svc: Service): boolean {
  const type = svc.spec?.type ?? 'ClusterIP';
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0);
}

function ipsOf(list: readonly string[] | undefined, family: IpFamily): string[] {
  const out: string[] = [];
  for (const s of list ?? []) {
    const c = canonicalIp(s);
    if (c?.family === family && !out.includes(c.text)) out.push(c.text);
  }
  return out;
}

function cidrsOf(list: readonly string[] | undefined, family: IpFamily): string[] {
  const out: string[] = [];
  for (const s of list ?? []) {
    const c = canonicalCidr(s);
    if (c?.family === family && !out.includes(c.text)) out.push(c.text);
  }
  return out;
}

function loadBalancerVIPs(svc: Service, family: IpFamily): string[] {
  const vips = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((i) => i.ip !== undefined && i.ip !== '' && (i.ipMode === undefined || i.ipMode === 'VIP'))
    .map((i) => i.ip!);
  return ipsOf(vips, family);
}

/** The service-wide fields every ServicePort of `svc` in `family` shares. */
function commonFields(svc: Service, family: IpFamily, clusterIP: string) {
  const spec = svc.spec ?? {};
  const externalPolicyLocal = externallyAccessibleType(svc) && spec.externalTrafficPolicy === 'Local';
  const sticky = spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS : 0;
  const distribution = spec.trafficDistribution !== undefined && DISTRIBUTIONS.has(spec.trafficDistribution)
    ? spec.trafficDistribution as TrafficDistribution : undefined;
  return {
    family,
    clusterIP,
    externalIPs: ipsOf(spec.externalIPs, family),
    loadBalancerVIPs: loadBalancerVIPs(svc, family),
    loadBalancerSourceRanges: cidrsOf(spec.loadBalancerSourceRanges, family),
    stickyMaxAgeSeconds: sticky,
    externalPolicyLocal,
    internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
    healthCheckNodePort: spec.type === 'LoadBalancer' && externalPolicyLocal ? spec.healthCheckNodePort ?? 0 : 0,
    distribution,
  };
}

/**
 * The ServicePorts of a Service, by key: one per port and per served IP
 * family that has a cluster IP. Empty when the Service is skipped (see
 * skipReason) or undefined (deleted).
 */
export function servicePorts(svc: Service | undefined, opts: ServiceModelOptions): Map<string, ServicePort> {
  const out = new Map<string, ServicePort>();
  if (svc === undefined || skipReason(svc, opts.serviceProxyName) !== undefined) return out;
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  for (const family of opts.families) {
    const clusterIP = clusterIPOf(svc, family);
    if (clusterIP === undefined) continue;
    const common = commonFields(svc, family, clusterIP);
    for (const p of svc.spec?.ports ?? []) {
      const protocol = l4Protocol(p.protocol);
      if (protocol === undefined || !Number.isInteger(p.port)) continue;
      const portName = p.name ?? '';
      const key = servicePortKey({ namespace, name, portName, protocol }, family);
      // Written out field by field: built with object spread, V8's optimized
      // code gave every ServicePort a hidden class of its own (10,000 services:
      // 10,000 maps and 4 MiB of descriptors, and megamorphic reads everywhere).
      const sp: { -readonly [K in keyof ServicePort]: ServicePort[K] } = {
        namespace, name, portName, protocol, key, port: p.port, nodePort: p.nodePort ?? 0,
        family: common.family, clusterIP: common.clusterIP, externalIPs: common.externalIPs, loadBalancerVIPs: common.loadBalancerVIPs,
        loadBalancerSourceRanges: common.loadBalancerSourceRanges, stickyMaxAgeSeconds: common.stickyMaxAgeSeconds,
        externalPolicyLocal: common.externalPolicyLocal, internalPolicyLocal: common.internalPolicyLocal, healthCheckNodePort: common.healthCheckNodePort,
      };
      if (common.distribution !== undefined) sp.trafficDistribution = common.distribution;
      out.set(key, sp);
    }
  }
  return out;
}
