/**
 * dataplane/proxy: the parts of `dataplane-proxy` a custom proxy reuses —
 * configuration (kube-proxy's flags and KubeProxyConfiguration), the watch
 * layer (@kubernetes/client-node informers that restart with backoff), the
 * pure model (Services and EndpointSlices -> ServicePorts and endpoints,
 * change trackers, endpoint choice), the sync runner, the proxier, health,
 * metrics, conntrack cleanup and the backends. Importing it loads
 * @kubernetes/client-node; the root `dataplane` import does not.
 */
export type { Backend, BackendOptions, DetectLocal, ProxyMode, SyncRequest, SyncResult } from './backend/backend.js';
export { backendFactory, implementedModes, ModeNotImplementedError, registerBackend, type BackendFactory } from './backend/registry.js';
export { CAP_NET_ADMIN, effectiveCapabilities, hasCapability, requireNetAdmin } from './caps.js';
export { FakeClock, flushMicrotasks, realClock, type Clock, type ClockTimer } from './clock.js';
export { main } from './cli.js';
export { ConfigError, type ConfigProblem } from './config/errors.js';
export { decodeConfiguration, encodeConfiguration, loadConfigurationFile, writeConfigurationFile } from './config/file.js';
export { defaultConfiguration, DEFAULT_MODE } from './config/defaults.js';
export { formatDuration, parseDuration } from './config/duration.js';
export { FLAGS, parseCommandLine, type CommandLine, type FlagSpec } from './config/flags.js';
export { backendOptions, detectLocalOf, logLevelFor, toProxyConfig, type HostFacts, type LogLevel, type ProxyConfig } from './config/proxy-config.js';
export { nodeNameOf, resolveArgv, resolveCommandLine, type ResolvedCommandLine } from './config/resolve.js';
export type { KubeProxyConfiguration } from './config/schema.js';
export { ConntrackReconciler, needsReconcile, staleFlows, type ConntrackClient } from './conntrack-reconciler.js';
export { goTimeString, ProxyHealth, ProxyHealthServer } from './health/proxy-health.js';
export { serviceHealthBody, ServiceHealthServer, type ServiceHealthOptions } from './health/service-health.js';
export { createLogger, silentLogger, type ProxyLogger } from './log.js';
export { familyLabel, ProxyMetrics } from './metrics.js';
export { categorizeEndpoints, externallyAccessible, usesClusterEndpoints, usesLocalEndpoints, type Categorized } from './model/categorize.js';
export { canonicalCidr, canonicalIp, cidrContains } from './model/cidr.js';
export { EndpointSliceCache, endpointKey, type EndpointsMap } from './model/endpointslices.js';
export * from './model/k8s.js';
export { nodeEligible, nodeInfo, nodeNeedsFullSync, podCIDRs, primaryIPs } from './model/node.js';
export { clusterIPOf, servicePortKey, servicePorts, skipReason, type ServiceModelOptions } from './model/service.js';
export { EndpointsChangeTracker, ServiceChangeTracker, type AppliedChanges, type AppliedEndpointChanges } from './model/trackers.js';
export type * from './model/types.js';
export { Proxier, type ProxierOptions, type SyncOutcome } from './proxier.js';
export { BoundedFrequencyRunner, type RunFn, type RunnerOptions, type RunReason } from './runner.js';
export { detectFamilies } from './host.js';
export { ProxyServer, type ProxyServerOptions } from './server.js';
export { loadKubeConfig, type ClientOptions } from './watch/client.js';
export { ResilientInformer, type InformerHandlers, type InformerOptions, type ListPage, type Named } from './watch/informer.js';
export { interner, sliceStub, slimEndpointSlice, slimNode, slimService, type Intern } from './watch/slim.js';
export { ENDPOINT_SLICES, NODES, SERVICES, WATCHED_RESOURCES, type WatchedResource } from './watch/resources.js';
