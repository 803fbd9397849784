// Pods: defaulting, the status a new pod starts with, validation of what a
// proxy depends on (containers, container ports, pod IPs) and graceful
// deletion. Pods are never run: their IPs and Ready condition come from
// status updates, as a kubelet would write them.

import { tryParseIp } from '../../addr.js';
import { fieldErrors as fe, type FieldError } from '../errors.js';
import type { KubeObject } from '../store.js';
import { dns1123Label, dns1123Subdomain, portNameErrors, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';

type Spec = Record<string, any>;

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
/** v1.DefaultTerminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

function defaultContainer(c: Spec): void {
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (!c.imagePullPolicy && typeof c.image === 'string') {
    const tagged = /:[^/]+$/.test(c.image.split('@')[0]!) && !c.image.endsWith(':latest');
    c.imagePullPolicy = tagged || c.image.includes('@') ? 'IfNotPresent' : 'Always';
  }
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

/** SetDefaults_Pod / PodSpec / Container. */
export function defaultPod(pod: KubeObject): void {
  const s: Spec = (pod.spec ??= {});
  if (!s.restartPolicy) s.restartPolicy = 'Always';
  if (!s.dnsPolicy) s.dnsPolicy = 'ClusterFirst';
  if (!s.schedulerName) s.schedulerName = 'default-scheduler';
  if (s.terminationGracePeriodSeconds === undefined) s.terminationGracePeriodSeconds = DEFAULT_GRACE_SECONDS;
  if (s.securityContext === undefined) s.securityContext = {};
  if (s.enableServiceLinks === undefined) s.enableServiceLinks = true;
  if (s.preemptionPolicy === undefined) s.preemptionPolicy = 'PreemptLowerPriority';
  if (s.priority === undefined) s.priority = 0;
  for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) defaultContainer(c);
  syncPodIPs(pod);
}

/** podIP/podIPs and hostIP/hostIPs are one field each in the internal type: keep them in step. */
export function syncPodIPs(pod: KubeObject): void {
  const st = pod.status;
  if (st === undefined) return;
  if (st.podIP && !(st.podIPs?.length > 0)) st.podIPs = [{ ip: st.podIP }];
  if (st.podIPs?.length > 0) st.podIP = st.podIPs[0].ip; else delete st.podIP;
  if (st.hostIP && !(st.hostIPs?.length > 0)) st.hostIPs = [{ ip: st.hostIP }];
  if (st.hostIPs?.length > 0) st.hostIP = st.hostIPs[0].ip; else delete st.hostIP;
}

/** The status a pod is created with: Pending, its QoS class. */
export function initialPodStatus(pod: KubeObject): Spec {
  const resources = (pod.spec.containers ?? []).some((c: Spec) => Object.keys(c.resources?.requests ?? {}).length + Object.keys(c.resources?.limits ?? {}).length > 0);
  return { phase: 'Pending', qosClass: resources ? 'Burstable' : 'BestEffort' };
}

function validateContainer(c: Spec, path: string, names: Set<string>, portNames: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fe.required(`${path}.name`));
  else {
    for (const m of dns1123Label(c.name)) errs.push(fe.invalid(`${path}.name`, c.name, m));
    if (names.has(c.name)) errs.push(fe.duplicate(`${path}.name`, c.name));
    names.add(c.name);
  }
  if (!c.image) errs.push(fe.required(`${path}.image`));
  for (const [i, p] of (c.ports ?? []).entries()) {
    const pp = `${path}.ports[${i}]`;
    if (p.name) {
      for (const m of portNameErrors(p.name)) errs.push(fe.invalid(`${pp}.name`, p.name, m));
      if (portNames.has(p.name)) errs.push(fe.duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
    }
    if (p.containerPort === 0) errs.push(fe.required(`${pp}.containerPort`));
    else if (p.containerPort < 1 || p.containerPort > 65535) errs.push(fe.invalid(`${pp}.containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
    if (p.hostPort && (p.hostPort < 1 || p.hostPort > 65535)) errs.push(fe.invalid(`${pp}.hostPort`, p.hostPort, 'must be between 1 and 65535, inclusive'));
    if (!p.protocol) errs.push(fe.required(`${pp}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(fe.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
  }
  return errs;
}

/** ValidatePodCreate, for what matters here. */
export function validatePod(pod: KubeObject): FieldError[] {
  const s: Spec = pod.spec ?? {};
  const errs = validateObjectMeta(pod, true, dns1123Subdomain);
  if (!(s.containers?.length > 0)) errs.push(fe.required('spec.containers'));
  const names = new Set<string>(), portNames = new Set<string>();
  (s.initContainers ?? []).forEach((c: Spec, i: number) => errs.push(...validateContainer(c, `spec.initContainers[${i}]`, names, new Set())));
  (s.containers ?? []).forEach((c: Spec, i: number) => errs.push(...validateContainer(c, `spec.containers[${i}]`, names, portNames)));
  if (!RESTART.includes(s.restartPolicy)) errs.push(fe.notSupported('spec.restartPolicy', s.restartPolicy ?? '', RESTART));
  if (!DNS_POLICIES.includes(s.dnsPolicy)) errs.push(fe.notSupported('spec.dnsPolicy', s.dnsPolicy ?? '', DNS_POLICIES));
  if (s.nodeName) for (const m of dns1123Subdomain(s.nodeName)) errs.push(fe.invalid('spec.nodeName', s.nodeName, m));
  if (s.terminationGracePeriodSeconds !== undefined && s.terminationGracePeriodSeconds < 0) {
    errs.push(fe.invalid('spec.terminationGracePeriodSeconds', s.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return [...errs, ...validatePodStatusIPs(pod)];
}

function mutableView(spec: Spec): string {
  const s = structuredClone(spec);
  for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
  delete s.activeDeadlineSeconds;
  delete s.tolerations;
  delete s.terminationGracePeriodSeconds;
  return JSON.stringify(s);
}

/** ValidatePodUpdate: a pod's spec is immutable but for images, deadlines and tolerations. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod, old);
  if (mutableView(pod.spec) !== mutableView(old.spec)) {
    errs.push(fe.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
  }
  return errs;
}

function validateIpList(list: Spec[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ips = (list ?? []).map((x) => x.ip as string);
  if (ips.length > 2) errs.push(fe.tooMany(path, ips.length, 2));
  const seen = new Set<string>();
  ips.forEach((ip, i) => {
    if (tryParseIp(ip ?? '') === undefined) errs.push(fe.invalid(`${path}[${i}].ip`, ip ?? '', 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (seen.has(ip)) errs.push(fe.duplicate(`${path}[${i}].ip`, ip));
    seen.add(ip);
  });
  if (ips.length === 2 && tryParseIp(ips[0]!)?.family === tryParseIp(ips[1]!)?.family) {
    errs.push(fe.invalid(path, { go: `[]core.PodIP{${ips.map((ip) => `core.PodIP{IP:${JSON.stringify(ip)}}`).join(', ')}}` }, 'may specify no more than one IP for each IP family'));
  }
  return errs;
}

function validatePodStatusIPs(pod: KubeObject): FieldError[] {
  return [...validateIpList(pod.status?.podIPs, 'status.podIPs'), ...validateIpList(pod.status?.hostIPs, 'status.hostIPs')];
}

/** ValidatePodStatusUpdate. */
export function validatePodStatus(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod, old);
  if (old.spec.nodeName && pod.status?.nominatedNodeName) {
    for (const m of dns1123Subdomain(pod.status.nominatedNodeName)) errs.push(fe.invalid('status.nominatedNodeName', pod.status.nominatedNodeName, m));
  }
  return [...errs, ...validatePodStatusIPs(pod)];
}

/** CheckGracefulDelete: the grace period a deletion gets (0 deletes at once). */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 0;
  const g = requested ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  return g < 0 ? 1 : g;
}
