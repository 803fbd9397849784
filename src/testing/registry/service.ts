// Services: defaulting (SetDefaults_Service), the fields the server keeps
// on update (patchAllocatedValues, NormalizeClusterIPs) and validation
// (ValidateService / ValidateServiceUpdate), with the real messages.

import { tryParseIp } from '../../addr.js';
import { fieldErrors as fe, goStrings, type FieldError } from '../errors.js';
import type { KubeObject } from '../store.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, portNameErrors, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const FAMILIES = ['IPv4', 'IPv6'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
/** v1.DefaultClientIPServiceAffinitySeconds and MaxClientIPServiceAffinitySeconds. */
export const DEFAULT_AFFINITY_SECONDS = 10800;
const MAX_AFFINITY_SECONDS = 86400;
const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

type Spec = Record<string, any>;

/** Type LoadBalancer or NodePort, or a ClusterIP service with external IPs. */
export function externallyAccessible(spec: Spec): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
}

/** LoadBalancer with externalTrafficPolicy Local: gets a healthCheckNodePort. */
export function needsHealthCheck(spec: Spec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** clusterIP None. */
export function isHeadless(spec: Spec): boolean {
  return spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === 'None';
}

/** SetDefaults_Service, applied whenever a Service is decoded. */
export function defaultService(svc: KubeObject): void {
  const spec: Spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_AFFINITY_SECONDS } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
  }
}

/** NormalizeClusterIPs: keeps spec.clusterIP and spec.clusterIPs in step. */
export function normalizeClusterIPs(svc: Spec, old: Spec | undefined): void {
  const same = (a: Spec, b: Spec) => JSON.stringify(a.clusterIPs ?? []) === JSON.stringify(b.clusterIPs ?? []);
  if (old === undefined) {
    if (svc.clusterIP && !(svc.clusterIPs?.length > 0)) svc.clusterIPs = [svc.clusterIP];
    return;
  }
  if (old.clusterIPs?.length > 0 && !(svc.clusterIPs?.length > 0) && (old.clusterIP ?? '') === (svc.clusterIP ?? '')) {
    svc.clusterIPs = old.clusterIPs;
  }
  if ((old.clusterIP ?? '') !== (svc.clusterIP ?? '')) {
    if (old.clusterIP && !svc.clusterIP) {
      if (same(old, svc)) delete svc.clusterIPs;
    } else if (same(old, svc)) {
      svc.clusterIPs = [svc.clusterIP];
    }
  }
}

function needsClusterIP(s: Spec): boolean {
  return s.type !== 'ExternalName';
}

function needsNodePort(s: Spec): boolean {
  return s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
}

/** patchAllocatedValues: a resubmitted manifest keeps what the server allocated. */
export function keepAllocatedValues(svc: Spec, old: Spec): void {
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!svc.clusterIP && old.clusterIP) svc.clusterIP = old.clusterIP;
    if (!(svc.clusterIPs?.length > 0) && old.clusterIPs?.length > 0) svc.clusterIPs = old.clusterIPs;
    if (svc.ipFamilyPolicy === undefined && old.ipFamilyPolicy !== undefined) svc.ipFamilyPolicy = old.ipFamilyPolicy;
    if (!(svc.ipFamilies?.length > 0) && old.ipFamilies?.length > 0) svc.ipFamilies = old.ipFamilies;
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const used = (s: Spec) => new Set<number>((s.ports ?? []).map((p: Spec) => p.nodePort).filter((n: unknown) => n));
    const oldUsed = used(old), newUsed = used(svc);
    const taken = new Set([...oldUsed].filter((n) => newUsed.has(n)));
    const byName = new Map<string, number>((old.ports ?? []).map((p: Spec) => [p.name ?? '', p.nodePort]));
    for (const p of svc.ports ?? []) {
      const was = byName.get(p.name ?? '');
      if (!p.nodePort && was && !taken.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && !svc.healthCheckNodePort) svc.healthCheckNodePort = old.healthCheckNodePort;
}

function portErrors(n: number): string[] {
  return n >= 1 && n <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

function validatePort(p: Spec, i: number, requireName: boolean, names: Set<string>): FieldError[] {
  const path = `spec.ports[${i}]`;
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(fe.required(`${path}.name`));
  else if (p.name) {
    for (const m of dns1123Label(p.name)) errs.push(fe.invalid(`${path}.name`, p.name, m));
    if (names.has(p.name)) errs.push(fe.duplicate(`${path}.name`, p.name));
    names.add(p.name);
  }
  for (const m of portErrors(p.port)) errs.push(fe.invalid(`${path}.port`, p.port, m));
  if (!p.protocol) errs.push(fe.required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(fe.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  if (typeof p.targetPort === 'number') {
    for (const m of portErrors(p.targetPort)) errs.push(fe.invalid(`${path}.targetPort`, p.targetPort, m));
  } else {
    for (const m of portNameErrors(p.targetPort)) errs.push(fe.invalid(`${path}.targetPort`, p.targetPort, m));
  }
  return errs;
}

function servicePortGo(p: Spec): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validatePorts(spec: Spec): FieldError[] {
  const errs: FieldError[] = [];
  const ports: Spec[] = spec.ports ?? [];
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, i, ports.length > 1, names)));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => { if (p.nodePort) errs.push(fe.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'")); });
  }
  const nodePorts = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    if (p.nodePort) {
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(fe.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(k);
    }
    const k = `${p.protocol}/${p.port}`;
    if (keys.has(k)) errs.push(fe.duplicate(`spec.ports[${i}]`, { go: servicePortGo(p) }));
    keys.add(k);
  });
  return errs;
}

function validateAffinity(spec: Spec): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.sessionAffinity) errs.push(fe.required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(spec.sessionAffinity)) errs.push(fe.notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const why = 'when session affinity type is ClientIP';
    const cfg = spec.sessionAffinityConfig;
    if (cfg === undefined) errs.push(fe.required('spec.sessionAffinityConfig', why));
    else if (cfg.clientIP === undefined) errs.push(fe.required('spec.sessionAffinityConfig.clientIP', why));
    else if (cfg.clientIP.timeoutSeconds === undefined) errs.push(fe.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', why));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t <= 0 || t > MAX_AFFINITY_SECONDS) {
        errs.push(fe.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
      }
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig !== undefined) {
    errs.push(fe.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields. */
function validateClusterIPs(spec: Spec): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips: string[] = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(fe.required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f: string, i: number) => {
    if (!FAMILIES.includes(f)) errs.push(fe.notSupported(`spec.ipFamilies[${i}]`, f, FAMILIES));
    if (seen.has(f)) errs.push(fe.duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && !FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(fe.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, FAMILY_POLICIES));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) { bad = true; errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), "'None' must be the first and only value")); }
      return;
    }
    if (tryParseIp(ip) === undefined) { bad = true; errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, IP_MSG)); }
  });
  if (ips.length > 2) errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), 'may only hold up to 2 values'));
  if (bad) return errs;
  if (ips.length > 1 && tryParseIp(ips[0]!)?.family === tryParseIp(ips[1]!)?.family) {
    errs.push(fe.invalid('spec.clusterIPs', goStrings(ips), 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      const want = spec.ipFamilies?.[i];
      const fam = tryParseIp(ip)?.family === 6 ? 'IPv6' : 'IPv4';
      if (want !== undefined && want !== fam) {
        errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, `expected an ${want} value as indicated by \`ipFamilies[${i}]\``));
      }
    });
  }
  return errs;
}

function validateTypeSpecific(spec: Spec): FieldError[] {
  const errs: FieldError[] = [];
  const headless = isHeadless(spec);
  if (!(spec.ports?.length > 0) && !headless && spec.type !== 'ExternalName') errs.push(fe.required('spec.ports'));
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && headless) {
    errs.push(fe.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.type === 'ExternalName') {
    if (spec.clusterIPs?.length > 0) errs.push(fe.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length > 0) errs.push(fe.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) errs.push(fe.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = String(spec.externalName ?? '').replace(/\.$/, '');
    if (cname === '') errs.push(fe.required('spec.externalName'));
    else for (const m of dns1123Subdomain(cname)) errs.push(fe.invalid('spec.externalName', cname, m));
  }
  if (!spec.type) errs.push(fe.required('spec.type'));
  else if (!TYPES.includes(spec.type)) errs.push(fe.notSupported('spec.type', spec.type, TYPES));
  return errs;
}

function validateTrafficFields(spec: Spec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(fe.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined && spec.type !== 'LoadBalancer') {
    errs.push(fe.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  if ((spec.loadBalancerSourceRanges?.length ?? 0) > 0 && spec.type !== 'LoadBalancer') {
    errs.push(fe.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) errs.push(fe.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) errs.push(fe.required('spec.externalTrafficPolicy'));
  else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) errs.push(fe.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  if (!needsHealthCheck(spec)) {
    if (spec.healthCheckNodePort) {
      errs.push(fe.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) errs.push(fe.required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(fe.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose') {
    errs.push(fe.notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  }
  (spec.externalIPs ?? []).forEach((ip: string, i: number) => {
    if (tryParseIp(ip) === undefined) errs.push(fe.invalid(`spec.externalIPs[${i}]`, ip, IP_MSG));
  });
  return errs;
}

/** ValidateService (create). */
export function validateService(svc: KubeObject): FieldError[] {
  const spec: Spec = svc.spec ?? {};
  return [
    ...validateObjectMeta(svc, true, dns1035Label),
    ...validateTypeSpecific(spec),
    ...validatePorts(spec),
    ...(spec.selector !== undefined ? validateLabels(spec.selector, 'spec.selector') : []),
    ...validateAffinity(spec),
    ...validateClusterIPs(spec),
    ...validateTrafficFields(spec),
  ];
}

/** ValidateServiceUpdate: clusterIPs and families may not change once set. */
export function validateServiceUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(svc, old);
  const s: Spec = svc.spec, o: Spec = old.spec;
  if (s.type !== 'ExternalName' && o.type !== 'ExternalName' && !(isHeadless(s) && isHeadless(o))) {
    const a: string[] = o.clusterIPs ?? [], b: string[] = s.clusterIPs ?? [];
    if (a.length === b.length) {
      a.forEach((ip, i) => { if (ip !== b[i]) errs.push(fe.invalid(`spec.clusterIPs[${i}]`, goStrings(b), 'may not change once set')); });
    } else if (a.length > b.length && b.length === 0) {
      errs.push(fe.invalid('spec.clusterIPs[0]', goStrings(b), 'primary clusterIP can not be unset'));
    } else if (a.length > 0 && b.length > 0 && a[0] !== b[0]) {
      errs.push(fe.invalid('spec.clusterIPs[0]', goStrings(b), 'may not change once set'));
    }
  }
  if (needsHealthCheck(o) && needsHealthCheck(s) && s.healthCheckNodePort !== o.healthCheckNodePort) {
    errs.push(fe.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateService(svc)];
}

/** ValidateServiceStatusUpdate: load-balancer ingress addresses. */
export function validateServiceStatus(svc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing: Spec, i: number) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip && tryParseIp(ing.ip) === undefined) errs.push(fe.invalid(`${p}.ip`, ing.ip, 'must be a valid IP address'));
    if (ing.ipMode !== undefined && !ing.ip) errs.push(fe.forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not'));
    if (ing.ipMode !== undefined && !['VIP', 'Proxy'].includes(ing.ipMode)) errs.push(fe.notSupported(`${p}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
  });
  return errs;
}
