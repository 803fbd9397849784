// The typed configuration the proxy runs with, resolved from the validated
// KubeProxyConfiguration the way kube-proxy converts v1alpha1 to its
// internal config (the mode picks its section's sync periods and masquerade
// settings), and the BackendOptions every backend is built with.
import type { IpFamily } from '../../addr.js';
import type { NetnsOption } from '../../handle.js';
import type { BackendOptions, DetectLocal, ProxyMode } from '../backend/backend.js';
import { toMillis } from './duration.js';
import type { KubeProxyConfiguration } from './schema.js';
import { modeSection, splitHostPort } from './validate.js';

export type LogLevel = 'info' | 'debug' | 'trace';

/** Everything the proxy server needs, in its own types (durations in milliseconds). */
export interface ProxyConfig {
  readonly mode: ProxyMode;
  readonly nodeName: string;
  /** The Kubernetes API: kubeconfig file, --master URL; both empty: in-cluster service account. */
  readonly kubeconfig: string;
  readonly master: string;
  readonly syncPeriodMs: number;
  readonly minSyncPeriodMs: number;
  readonly configSyncPeriodMs: number;
  readonly masqueradeAll: boolean;
  readonly masqueradeBit: number;
  readonly clusterCIDRs: readonly string[];
  readonly detectLocalMode: 'ClusterCIDR' | 'NodeCIDR' | 'BridgeInterface' | 'InterfaceNamePrefix';
  readonly bridgeInterface: string;
  readonly interfaceNamePrefix: string;
  readonly nodePortAddresses: BackendOptions['nodePortAddresses'];
  /** undefined: the server is disabled. */
  readonly healthzBindAddress?: { readonly host: string; readonly port: number };
  readonly metricsBindAddress?: { readonly host: string; readonly port: number };
  readonly bindAddressHardFail: boolean;
  /** --bind-address when it names a specific IP (overrides the Node object's primary IP). */
  readonly nodeIPOverride: readonly string[];
  readonly serviceProxyName: string;
  readonly oomScoreAdj: number | null;
  readonly logLevel: LogLevel;
  readonly conntrack: {
    readonly maxPerCore: number;
    readonly min: number;
    readonly tcpEstablishedTimeoutMs: number;
    readonly tcpCloseWaitTimeoutMs: number;
    readonly tcpBeLiberal: boolean;
    readonly udpTimeoutMs: number;
    readonly udpStreamTimeoutMs: number;
  };
  readonly ipvs: {
    readonly scheduler: string;
    readonly excludeCIDRs: readonly string[];
    readonly strictARP: boolean;
    readonly tcpTimeoutMs: number;
    readonly tcpFinTimeoutMs: number;
    readonly udpTimeoutMs: number;
  };
  readonly iptables: { readonly localhostNodePorts: boolean };
}

/** klog verbosity to a pino level: 0-1 info, 2-4 debug, 5 and above trace. */
export function logLevelFor(verbosity: number): LogLevel {
  return verbosity >= 5 ? 'trace' : verbosity >= 2 ? 'debug' : 'info';
}

/** The ProxyConfig of a validated configuration (see resolveCommandLine) and the node's name. */
export function toProxyConfig(c: KubeProxyConfiguration, nodeName: string, master = ''): ProxyConfig {
  const section = c[modeSection(c.mode)];
  const masq = c.mode === 'nftables' ? c.nftables : c.iptables;
  const npa = c.nodePortAddresses ?? [];
  return {
    mode: c.mode as ProxyMode,
    nodeName,
    kubeconfig: c.clientConnection.kubeconfig,
    master,
    syncPeriodMs: toMillis(section.syncPeriod),
    minSyncPeriodMs: toMillis(section.minSyncPeriod),
    configSyncPeriodMs: toMillis(c.configSyncPeriod),
    masqueradeAll: masq.masqueradeAll,
    masqueradeBit: masq.masqueradeBit ?? 14,
    clusterCIDRs: c.clusterCIDR === '' ? [] : c.clusterCIDR.split(','),
    detectLocalMode: c.detectLocalMode as ProxyConfig['detectLocalMode'],
    bridgeInterface: c.detectLocal.bridgeInterface,
    interfaceNamePrefix: c.detectLocal.interfaceNamePrefix,
    nodePortAddresses: npa.length === 0 ? { cidrs: ['0.0.0.0/0', '::/0'] } : npa[0] === 'primary' ? { primary: true } : { cidrs: npa },
    ...(c.healthzBindAddress !== '' ? { healthzBindAddress: splitHostPort(c.healthzBindAddress)! } : {}),
    ...(c.metricsBindAddress !== '' ? { metricsBindAddress: splitHostPort(c.metricsBindAddress)! } : {}),
    bindAddressHardFail: c.bindAddressHardFail,
    nodeIPOverride: c.bindAddress.split(',').filter((ip) => ip !== '0.0.0.0' && ip !== '::'),
    serviceProxyName: c.serviceProxyName,
    oomScoreAdj: c.oomScoreAdj,
    logLevel: logLevelFor(c.logging.verbosity),
    conntrack: {
      maxPerCore: c.conntrack.maxPerCore ?? 0,
      min: c.conntrack.min ?? 0,
      tcpEstablishedTimeoutMs: toMillis(c.conntrack.tcpEstablishedTimeout ?? 0),
      tcpCloseWaitTimeoutMs: toMillis(c.conntrack.tcpCloseWaitTimeout ?? 0),
      tcpBeLiberal: c.conntrack.tcpBeLiberal,
      udpTimeoutMs: toMillis(c.conntrack.udpTimeout),
      udpStreamTimeoutMs: toMillis(c.conntrack.udpStreamTimeout),
    },
    ipvs: {
      scheduler: c.ipvs.scheduler === '' ? 'rr' : c.ipvs.scheduler,
      excludeCIDRs: c.ipvs.excludeCIDRs ?? [],
      strictARP: c.ipvs.strictARP,
      tcpTimeoutMs: toMillis(c.ipvs.tcpTimeout),
      tcpFinTimeoutMs: toMillis(c.ipvs.tcpFinTimeout),
      udpTimeoutMs: toMillis(c.ipvs.udpTimeout),
    },
    iptables: { localhostNodePorts: c.iptables.localhostNodePorts ?? true },
  };
}

/** Run-time facts the backend options depend on (found after the config is resolved, before any backend exists). */
export interface HostFacts {
  /** The IP families this node can serve (IPv6 only when the kernel has it). */
  readonly families: readonly IpFamily[];
  /** spec.podCIDRs of this node, for detect-local-mode NodeCIDR. */
  readonly podCIDRs?: readonly string[];
  readonly netns?: NetnsOption;
}

/** How local traffic is detected (kube-proxy's NewDetectLocal... by mode). */
export function detectLocalOf(cfg: ProxyConfig, facts: HostFacts): DetectLocal {
  switch (cfg.detectLocalMode) {
    case 'ClusterCIDR':
      return cfg.clusterCIDRs.length === 0 ? { mode: 'None' } : { mode: 'ClusterCIDR', cidrs: cfg.clusterCIDRs };
    case 'NodeCIDR':
      return (facts.podCIDRs ?? []).length === 0 ? { mode: 'None' } : { mode: 'NodeCIDR', cidrs: facts.podCIDRs! };
    case 'BridgeInterface':
      return { mode: 'BridgeInterface', interface: cfg.bridgeInterface };
    case 'InterfaceNamePrefix':
      return { mode: 'InterfaceNamePrefix', prefix: cfg.interfaceNamePrefix };
  }
}

/** The BackendOptions of a resolved config on this host. */
export function backendOptions(cfg: ProxyConfig, facts: HostFacts): BackendOptions {
  return {
    ...(facts.netns !== undefined ? { netns: facts.netns } : {}),
    families: facts.families,
    detectLocal: detectLocalOf(cfg, facts),
    masqueradeAll: cfg.masqueradeAll,
    masqueradeBit: cfg.masqueradeBit,
    nodePortAddresses: cfg.nodePortAddresses,
    ...(cfg.mode === 'ipvs' ? { ipvs: ipvsOptionsOf(cfg) } : {}),
    ...(cfg.mode === 'iptables' ? { iptables: { localhostNodePorts: cfg.iptables.localhostNodePorts } } : {}),
  };
}

/** The `ipvs:` section and --ipvs-* flags as IPVS mode takes them (its sync period also paces the drain checks). */
function ipvsOptionsOf(cfg: ProxyConfig): NonNullable<BackendOptions['ipvs']> {
  const i = cfg.ipvs;
  return {
    scheduler: i.scheduler, syncPeriod: cfg.syncPeriodMs, excludeCIDRs: i.excludeCIDRs, strictARP: i.strictARP,
    tcpTimeout: i.tcpTimeoutMs, tcpFinTimeout: i.tcpFinTimeoutMs, udpTimeout: i.udpTimeoutMs,
  };
}
