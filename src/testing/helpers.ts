// What a test or a demo does to a cluster that a kubelet, a cloud or an
// operator would do in a real one: nodes with addresses and zones, pods
// that are scheduled, get IPs and turn Ready, namespaces. Every write goes
// through the same API path (validation, watches, controllers) as HTTP.

import type { Api } from './api.js';
import { formatTime } from './schema/decode.js';
import { lookupKind, lookupResource, type ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

type Obj = Record<string, any>;

const PODS = lookupResource('', 'v1', 'pods')!;
const NODES = lookupResource('', 'v1', 'nodes')!;
const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;

/** A node to create: its name, addresses (InternalIP first), zone and region labels. */
export interface NodeSpec {
  name: string;
  /** InternalIP addresses (one per family). */
  internalIPs?: string[];
  externalIPs?: string[];
  hostname?: string;
  /** `topology.kubernetes.io/zone`. */
  zone?: string;
  /** `topology.kubernetes.io/region`. */
  region?: string;
  labels?: Record<string, string>;
  podCIDRs?: string[];
  /** The Ready condition (default true). */
  ready?: boolean;
  unschedulable?: boolean;
}

/** A pod as a kubelet would report it: scheduled on a node, with IPs and a Ready condition. */
export interface PodSpec {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  /** Pod IPs, one per family (status.podIPs); none leaves the pod Pending without an IP. */
  ips?: string[];
  /** Ready condition (default true when the pod has IPs). */
  ready?: boolean;
  /** Container ports of the pod's one container (named ports resolve service targetPorts). */
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  /** Replaces the default single container. */
  containers?: Obj[];
  hostname?: string;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
}

function readyConditions(ready: boolean, at: string): Obj[] {
  const s = ready ? 'True' : 'False';
  const notReady = ready ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [app]' };
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: at },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: at },
    { type: 'Ready', status: s, lastProbeTime: null, lastTransitionTime: at, ...notReady },
    { type: 'ContainersReady', status: s, lastProbeTime: null, lastTransitionTime: at, ...notReady },
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at },
  ];
}

function containerStatuses(pod: KubeObject, ready: boolean, at: string): Obj[] {
  return (pod.spec.containers ?? []).map((c: Obj) => ({
    name: c.name,
    state: { running: { startedAt: at } },
    lastState: {},
    ready,
    restartCount: 0,
    image: c.image,
    imageID: '',
    containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}${c.name}`.slice(0, 77),
    started: true,
  }));
}

/** Test-side writes on an in-process cluster. */
export class ClusterHelpers {
  constructor(readonly api: Api) {}

  private resourceOf(obj: Obj): ResourceType {
    const r = lookupKind(obj.apiVersion ?? 'v1', obj.kind ?? '');
    if (r === undefined) throw new TypeError(`no resource serves apiVersion ${String(obj.apiVersion)} kind ${String(obj.kind)}`);
    return r;
  }

  /** Creates any served object from its manifest (`kubectl create -f`); throws a StatusError as the server would answer. */
  create(manifest: Obj): KubeObject {
    return this.api.create(this.resourceOf(manifest), manifest.metadata?.namespace ?? 'default', manifest, { fieldValidation: 'Strict' }).object;
  }

  /** Creates the object, or replaces the stored one's content with the manifest's (a blunt `kubectl apply`). */
  apply(manifest: Obj): KubeObject {
    const r = this.resourceOf(manifest);
    const ns = manifest.metadata?.namespace ?? 'default';
    const have = this.api.find(r, ns, manifest.metadata?.name);
    if (have === undefined) return this.create(manifest);
    const patch = { ...manifest, metadata: { ...manifest.metadata } };
    return this.api.patch(r, ns, have.metadata.name, 'merge', patch, { fieldValidation: 'Strict' }).object;
  }

  /** Deletes an object by kind, namespace and name (`kubectl delete`). */
  delete(kind: string, name: string, namespace = 'default', apiVersion = kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1', gracePeriodSeconds?: number): void {
    const r = this.resourceOf({ kind, apiVersion });
    this.api.delete(r, namespace, name, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
  }

  /** `kubectl create namespace NAME`. */
  createNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
    return this.api.create(NAMESPACES, undefined, { metadata: { name, labels } }).object;
  }

  /** Registers a node and reports its status as its kubelet would (addresses, Ready). */
  createNode(spec: NodeSpec): KubeObject {
    const labels: Record<string, string> = {
      'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': spec.hostname ?? spec.name, 'kubernetes.io/os': 'linux', ...(spec.labels ?? {}),
    };
    if (spec.zone !== undefined) labels['topology.kubernetes.io/zone'] = spec.zone;
    if (spec.region !== undefined) labels['topology.kubernetes.io/region'] = spec.region;
    const nodeSpec: Obj = {};
    if (spec.podCIDRs !== undefined) { nodeSpec.podCIDR = spec.podCIDRs[0]; nodeSpec.podCIDRs = spec.podCIDRs; }
    if (spec.unschedulable) nodeSpec.unschedulable = true;
    const node = this.api.create(NODES, undefined, { metadata: { name: spec.name, labels }, spec: nodeSpec }).object;
    const at = formatTime(Date.now());
    const addresses = [
      ...(spec.internalIPs ?? []).map((address) => ({ type: 'InternalIP', address })),
      ...(spec.externalIPs ?? []).map((address) => ({ type: 'ExternalIP', address })),
      { type: 'Hostname', address: spec.hostname ?? spec.name },
    ];
    const ready = spec.ready ?? true;
    const status = {
      addresses,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: ready ? 'kubelet is posting ready status' : 'container runtime is down' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: 'dataplane test node', containerRuntimeVersion: 'none://0',
        kubeletVersion: 'v1.32.4', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    };
    return this.api.update(NODES, undefined, node.metadata.name, { ...node, status }, { subresource: 'status' }).object;
  }

  /** Sets a node's Ready condition. */
  setNodeReady(name: string, ready: boolean): KubeObject {
    const node = this.api.get(NODES, undefined, name);
    const at = formatTime(Date.now());
    const conditions = (node.status?.conditions ?? []).filter((c: Obj) => c.type !== 'Ready');
    conditions.push({ type: 'Ready', status: ready ? 'True' : 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: ready ? 'KubeletReady' : 'KubeletNotReady' });
    return this.api.update(NODES, undefined, name, { ...node, status: { ...node.status, conditions } }, { subresource: 'status' }).object;
  }

  /**
   * Creates a pod and, when it has IPs, reports it Running with those IPs and
   * its Ready condition, as the kubelet of its node would (two writes: create, then status).
   */
  createPod(spec: PodSpec): KubeObject {
    const ns = spec.namespace ?? 'default';
    const containers = spec.containers ?? [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ...(spec.ports !== undefined ? { ports: spec.ports } : {}) }];
    const podSpec: Obj = { containers };
    if (spec.nodeName !== undefined) podSpec.nodeName = spec.nodeName;
    if (spec.hostname !== undefined) podSpec.hostname = spec.hostname;
    if (spec.subdomain !== undefined) podSpec.subdomain = spec.subdomain;
    if (spec.terminationGracePeriodSeconds !== undefined) podSpec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds;
    const pod = this.api.create(PODS, ns, { metadata: { name: spec.name, namespace: ns, labels: spec.labels ?? {} }, spec: podSpec }).object;
    if (spec.ips === undefined || spec.ips.length === 0) return pod;
    return this.runPod(pod, spec.ips, spec.ready ?? true);
  }

  private runPod(pod: KubeObject, ips: string[], ready: boolean): KubeObject {
    const at = formatTime(Date.now());
    const node = pod.spec.nodeName ? this.api.find(NODES, undefined, pod.spec.nodeName) : undefined;
    const hostIPs = (node?.status?.addresses ?? []).filter((a: Obj) => a.type === 'InternalIP').map((a: Obj) => ({ ip: a.address }));
    const status: Obj = {
      phase: 'Running',
      conditions: readyConditions(ready, at),
      ...(hostIPs.length > 0 ? { hostIP: hostIPs[0].ip, hostIPs } : {}),
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      startTime: at,
      containerStatuses: containerStatuses(pod, ready, at),
      qosClass: pod.status?.qosClass ?? 'BestEffort',
    };
    return this.api.update(PODS, pod.metadata.namespace, pod.metadata.name, { ...pod, status }, { subresource: 'status' }).object;
  }

  /** Reports a pod Ready or not (its Ready and ContainersReady conditions and container readiness). */
  setPodReady(name: string, ready: boolean, namespace = 'default'): KubeObject {
    const pod = this.api.get(PODS, namespace, name);
    const at = formatTime(Date.now());
    const s = ready ? 'True' : 'False';
    const conditions = (pod.status?.conditions ?? []).map((c: Obj) => (c.type === 'Ready' || c.type === 'ContainersReady')
      ? (c.status === s ? c : { type: c.type, status: s, lastProbeTime: null, lastTransitionTime: at })
      : c);
    if (!conditions.some((c: Obj) => c.type === 'Ready')) conditions.push({ type: 'Ready', status: s, lastProbeTime: null, lastTransitionTime: at });
    const statuses = (pod.status?.containerStatuses ?? []).map((c: Obj) => ({ ...c, ready }));
    return this.api.update(PODS, namespace, name, { ...pod, status: { ...pod.status, conditions, containerStatuses: statuses } }, { subresource: 'status' }).object;
  }

  /** Gives a pending pod its IPs and reports it Running (Ready unless told otherwise). */
  setPodIPs(name: string, ips: string[], ready = true, namespace = 'default'): KubeObject {
    return this.runPod(this.api.get(PODS, namespace, name), ips, ready);
  }

  /** Merges fields into a pod's status (a status subresource write). */
  patchPodStatus(name: string, status: Obj, namespace = 'default'): KubeObject {
    return this.api.patch(PODS, namespace, name, 'strategic', { status }, { subresource: 'status' }).object;
  }

  /** Deletes a pod; with a grace period it stays Terminating (endpoints `terminating: true`) until it ends. */
  deletePod(name: string, namespace = 'default', gracePeriodSeconds?: number): void {
    this.api.delete(PODS, namespace, name, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
  }

  /** Every stored object of a kind (optionally of one namespace). */
  list(kind: string, namespace?: string, apiVersion = kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1'): KubeObject[] {
    const r = this.resourceOf({ kind, apiVersion });
    return this.api.list(r, namespace === undefined ? {} : { namespace }).items.map((e) => e.obj);
  }

  /** The stored object of a kind, or undefined. */
  get(kind: string, name: string, namespace = 'default', apiVersion = kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1'): KubeObject | undefined {
    return this.api.find(this.resourceOf({ kind, apiVersion }), namespace, name);
  }
}

