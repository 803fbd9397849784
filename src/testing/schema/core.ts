// k8s.io/api/core/v1: the kinds of the core group the test cluster serves.
// Field order and patch strategies follow the Go types; sub-structures no
// proxy reads (probes, volumes' sources, affinity, security contexts) are
// kept as given (`any`) instead of being checked field by field.

import { Condition, kindSchema } from './meta.js';
import {
  always, any, bool, i32, i64, intOrString, listOf, mapOf, microTime, ptr, quantity, str, struct, time,
} from './types.js';

const CORE = 'io.k8s.api.core.v1';
const kind = (k: string, fields: Parameters<typeof kindSchema>[4]) => kindSchema(CORE, '', 'v1', k, fields);
const core = (go: string, fields: Parameters<typeof struct>[2], extra?: Parameters<typeof struct>[3]) => struct(CORE, go, fields, extra);
const atomic = { listType: 'atomic' as const };

/** v1.ObjectReference (an endpoint's targetRef, an event's involvedObject). */
export const ObjectReference = core('ObjectReference', {
  kind: str, namespace: str, name: str, uid: str, apiVersion: str, resourceVersion: str, fieldPath: str,
});

// -- Namespace ---------------------------------------------------------------

const NamespaceCondition = core('NamespaceCondition', {
  type: always(str), status: always(str), lastTransitionTime: time, reason: str, message: str,
});

/** v1.Namespace. */
export const Namespace = kind('Namespace', {
  spec: core('NamespaceSpec', { finalizers: listOf(str, atomic) }),
  status: core('NamespaceStatus', {
    phase: str,
    conditions: listOf(NamespaceCondition, { mergeKey: 'type', strategy: 'merge', listType: 'map', listMapKeys: ['type'] }),
  }),
});

// -- Service -----------------------------------------------------------------

/** v1.ServicePort. */
export const ServicePort = core('ServicePort', {
  name: str,
  protocol: str,
  appProtocol: ptr(str),
  port: always(i32),
  targetPort: intOrString,
  nodePort: i32,
}, { required: ['port'] });

const PortStatus = core('PortStatus', { port: always(i32), protocol: always(str), error: ptr(str) });

const LoadBalancerIngress = core('LoadBalancerIngress', {
  ip: str,
  hostname: str,
  ipMode: ptr(str),
  ports: listOf(PortStatus, atomic),
});

const LoadBalancerStatus = core('LoadBalancerStatus', { ingress: listOf(LoadBalancerIngress, atomic) });

/** v1.Service. */
export const Service = kind('Service', {
  spec: core('ServiceSpec', {
    ports: listOf(ServicePort, { mergeKey: 'port', strategy: 'merge', listType: 'map', listMapKeys: ['port', 'protocol'] }),
    selector: mapOf(str),
    clusterIP: str,
    clusterIPs: listOf(str, atomic),
    type: str,
    externalIPs: listOf(str, atomic),
    sessionAffinity: str,
    loadBalancerIP: str,
    loadBalancerSourceRanges: listOf(str, atomic),
    externalName: str,
    externalTrafficPolicy: str,
    healthCheckNodePort: i32,
    publishNotReadyAddresses: bool,
    sessionAffinityConfig: ptr(core('SessionAffinityConfig', {
      clientIP: ptr(core('ClientIPConfig', { timeoutSeconds: ptr(i32) })),
    })),
    ipFamilies: listOf(str, atomic),
    ipFamilyPolicy: ptr(str),
    allocateLoadBalancerNodePorts: ptr(bool),
    loadBalancerClass: ptr(str),
    internalTrafficPolicy: ptr(str),
    trafficDistribution: ptr(str),
  }),
  status: core('ServiceStatus', {
    loadBalancer: LoadBalancerStatus,
    conditions: listOf(Condition, { mergeKey: 'type', strategy: 'merge', listType: 'map', listMapKeys: ['type'] }),
  }),
});

// -- Pod ---------------------------------------------------------------------

const ContainerPort = core('ContainerPort', {
  name: str, hostPort: i32, containerPort: always(i32), protocol: str, hostIP: str,
}, { required: ['containerPort'] });

const EnvVar = core('EnvVar', { name: always(str), value: str, valueFrom: ptr(any) });

const VolumeMount = core('VolumeMount', {
  name: always(str), readOnly: bool, recursiveReadOnly: ptr(str), mountPath: always(str), subPath: str,
  mountPropagation: ptr(str), subPathExpr: str,
});

const Container = core('Container', {
  name: always(str),
  image: str,
  command: listOf(str, atomic),
  args: listOf(str, atomic),
  workingDir: str,
  ports: listOf(ContainerPort, { mergeKey: 'containerPort', strategy: 'merge', listType: 'map', listMapKeys: ['containerPort', 'protocol'] }),
  envFrom: listOf(any, atomic),
  env: listOf(EnvVar, { mergeKey: 'name', strategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  resources: core('ResourceRequirements', { limits: mapOf(quantity), requests: mapOf(quantity), claims: listOf(any, atomic) }),
  resizePolicy: listOf(any, atomic),
  restartPolicy: ptr(str),
  volumeMounts: listOf(VolumeMount, { mergeKey: 'mountPath', strategy: 'merge', listType: 'map', listMapKeys: ['mountPath'] }),
  volumeDevices: listOf(any, { mergeKey: 'devicePath', strategy: 'merge' }),
  livenessProbe: ptr(any),
  readinessProbe: ptr(any),
  startupProbe: ptr(any),
  lifecycle: ptr(any),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: ptr(any),
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
}, { required: ['name'] });

const Volume = core('Volume', { name: always(str) }, { retainKeys: true, required: ['name'] });
// A volume is its name plus one source; the sources are kept as given.
for (const source of ['hostPath', 'emptyDir', 'secret', 'configMap', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'csi', 'ephemeral', 'nfs', 'image']) {
  Volume.fields[source] = ptr(any);
}

const PodCondition = core('PodCondition', {
  type: always(str), status: always(str), lastProbeTime: time, lastTransitionTime: time, reason: str, message: str,
});

const ipList = (go: string) => listOf(core(go, { ip: always(str) }), { mergeKey: 'ip', strategy: 'merge', listType: 'map', listMapKeys: ['ip'] });

const PodSpec = core('PodSpec', {
  volumes: listOf(Volume, { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] }),
  initContainers: listOf(Container, { mergeKey: 'name', strategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  containers: always(listOf(Container, { mergeKey: 'name', strategy: 'merge', listType: 'map', listMapKeys: ['name'] })),
  ephemeralContainers: listOf(any, { mergeKey: 'name', strategy: 'merge' }),
  restartPolicy: str,
  terminationGracePeriodSeconds: ptr(i64),
  activeDeadlineSeconds: ptr(i64),
  dnsPolicy: str,
  nodeSelector: mapOf(str),
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: ptr(bool),
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: ptr(bool),
  securityContext: ptr(any),
  imagePullSecrets: listOf(core('LocalObjectReference', { name: str }), { mergeKey: 'name', strategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  hostname: str,
  subdomain: str,
  affinity: ptr(any),
  schedulerName: str,
  tolerations: listOf(any, atomic),
  hostAliases: listOf(any, { mergeKey: 'ip', strategy: 'merge', listType: 'map', listMapKeys: ['ip'] }),
  priorityClassName: str,
  priority: ptr(i32),
  dnsConfig: ptr(any),
  readinessGates: listOf(core('PodReadinessGate', { conditionType: always(str) }), atomic),
  runtimeClassName: ptr(str),
  enableServiceLinks: ptr(bool),
  preemptionPolicy: ptr(str),
  overhead: mapOf(quantity),
  topologySpreadConstraints: listOf(any, { mergeKey: 'topologyKey', strategy: 'merge', listType: 'map', listMapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
  setHostnameAsFQDN: ptr(bool),
  os: ptr(any),
  hostUsers: ptr(bool),
  schedulingGates: listOf(any, { mergeKey: 'name', strategy: 'merge', listType: 'map', listMapKeys: ['name'] }),
  resourceClaims: listOf(any, { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] }),
  resources: ptr(any),
});

const PodStatus = core('PodStatus', {
  phase: str,
  conditions: listOf(PodCondition, { mergeKey: 'type', strategy: 'merge', listType: 'map', listMapKeys: ['type'] }),
  message: str,
  reason: str,
  nominatedNodeName: str,
  hostIP: str,
  hostIPs: ipList('HostIP'),
  podIP: str,
  podIPs: ipList('PodIP'),
  startTime: ptr(time),
  initContainerStatuses: listOf(any, atomic),
  containerStatuses: listOf(any, atomic),
  qosClass: str,
  ephemeralContainerStatuses: listOf(any, atomic),
  resize: str,
  resourceClaimStatuses: listOf(any, { mergeKey: 'name', strategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] }),
});

/** v1.Pod. */
export const Pod = kind('Pod', { spec: PodSpec, status: PodStatus });

// -- Node --------------------------------------------------------------------

const NodeAddress = core('NodeAddress', { type: always(str), address: always(str) });

const NodeCondition = core('NodeCondition', {
  type: always(str), status: always(str), lastHeartbeatTime: time, lastTransitionTime: time, reason: str, message: str,
});

const Taint = core('Taint', { key: always(str), value: str, effect: always(str), timeAdded: ptr(time) });

/** v1.Node. */
export const Node = kind('Node', {
  spec: core('NodeSpec', {
    podCIDR: str,
    podCIDRs: listOf(str, { strategy: 'merge', listType: 'set' }),
    providerID: str,
    unschedulable: bool,
    taints: listOf(Taint, atomic),
    configSource: ptr(any),
    externalID: str,
  }),
  status: core('NodeStatus', {
    capacity: mapOf(quantity),
    allocatable: mapOf(quantity),
    phase: str,
    conditions: listOf(NodeCondition, { mergeKey: 'type', strategy: 'merge', listType: 'map', listMapKeys: ['type'] }),
    addresses: listOf(NodeAddress, { mergeKey: 'type', strategy: 'merge', listType: 'map', listMapKeys: ['type'] }),
    daemonEndpoints: core('NodeDaemonEndpoints', { kubeletEndpoint: core('DaemonEndpoint', { Port: always(i32) }) }),
    nodeInfo: core('NodeSystemInfo', {
      machineID: always(str), systemUUID: always(str), bootID: always(str), kernelVersion: always(str), osImage: always(str),
      containerRuntimeVersion: always(str), kubeletVersion: always(str), kubeProxyVersion: always(str),
      operatingSystem: always(str), architecture: always(str),
    }),
    images: listOf(any, atomic),
    volumesInUse: listOf(str, atomic),
    volumesAttached: listOf(any, atomic),
    config: ptr(any),
    runtimeHandlers: listOf(any, atomic),
    features: ptr(any),
  }),
});

// -- Event, ConfigMap ---------------------------------------------------------

/** v1.Event (core/v1, as `kubectl get events` reads them). */
export const Event = kind('Event', {
  involvedObject: ObjectReference,
  reason: str,
  message: str,
  source: core('EventSource', { component: str, host: str }),
  firstTimestamp: time,
  lastTimestamp: time,
  count: i32,
  type: str,
  eventTime: microTime,
  series: ptr(core('EventSeries', { count: i32, lastObservedTime: microTime })),
  action: str,
  related: ptr(ObjectReference),
  reportingComponent: always(str),
  reportingInstance: always(str),
});

/** v1.ConfigMap. */
export const ConfigMap = kind('ConfigMap', {
  immutable: ptr(bool),
  data: mapOf(str),
  binaryData: mapOf(str),
});

