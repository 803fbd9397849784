// KubeProxyConfiguration kubeproxy.config.k8s.io/v1alpha1: the file format
// of `--config` and `--write-config-to`, field for field as kube-proxy reads
// it (k8s.io/kube-proxy/config/v1alpha1), plus `serviceProxyName` (ours).
// Durations are held as nanoseconds and written back as Go duration text.

export const API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KIND = 'KubeProxyConfiguration';

export interface ClientConnectionConfiguration {
  kubeconfig: string;
  acceptContentTypes: string;
  contentType: string;
  qps: number;
  burst: number;
}

export interface LoggingOptions {
  splitStream: boolean;
  infoBufferSize: string;
}

export interface LoggingConfiguration {
  format: string;
  /** Nanoseconds. */
  flushFrequency: number;
  verbosity: number;
  vmodule: { filePattern: string; verbosity: number }[];
  options: { json: LoggingOptions; text: LoggingOptions };
}

export interface IPTablesConfiguration {
  masqueradeBit: number | null;
  masqueradeAll: boolean;
  localhostNodePorts: boolean | null;
  snatNodeInternalIP: boolean | null;
  syncPeriod: number;
  minSyncPeriod: number;
}

export interface IPVSConfiguration {
  syncPeriod: number;
  minSyncPeriod: number;
  scheduler: string;
  excludeCIDRs: string[] | null;
  strictARP: boolean;
  tcpTimeout: number;
  tcpFinTimeout: number;
  udpTimeout: number;
}

export interface NFTablesConfiguration {
  masqueradeBit: number | null;
  masqueradeAll: boolean;
  syncPeriod: number;
  minSyncPeriod: number;
}

export interface ConntrackConfiguration {
  maxPerCore: number | null;
  min: number | null;
  tcpEstablishedTimeout: number | null;
  tcpCloseWaitTimeout: number | null;
  tcpBeLiberal: boolean;
  udpTimeout: number;
  udpStreamTimeout: number;
}

export interface WinkernelConfiguration {
  networkName: string;
  sourceVip: string;
  enableDSR: boolean;
  rootHnsEndpointName: string;
  forwardHealthCheckVip: boolean;
}

/** The whole file, after defaulting (every field present). */
export interface KubeProxyConfiguration {
  apiVersion: string;
  kind: string;
  featureGates: Record<string, boolean>;
  clientConnection: ClientConnectionConfiguration;
  logging: LoggingConfiguration;
  hostnameOverride: string;
  bindAddress: string;
  healthzBindAddress: string;
  metricsBindAddress: string;
  bindAddressHardFail: boolean;
  enableProfiling: boolean;
  showHiddenMetricsForVersion: string;
  mode: string;
  iptables: IPTablesConfiguration;
  ipvs: IPVSConfiguration;
  nftables: NFTablesConfiguration;
  winkernel: WinkernelConfiguration;
  detectLocalMode: string;
  detectLocal: { bridgeInterface: string; interfaceNamePrefix: string };
  clusterCIDR: string;
  nodePortAddresses: string[] | null;
  oomScoreAdj: number | null;
  conntrack: ConntrackConfiguration;
  configSyncPeriod: number;
  portRange: string;
  windowsRunAsService: boolean;
  /** Ours: also handle Services whose service.kubernetes.io/service-proxy-name label equals this. */
  serviceProxyName: string;
}

/** How one field is written in YAML. `nullable` fields are Go pointers or slices. */
export type Field =
  | { readonly kind: 'string' | 'bool' | 'float' | 'duration' | 'stringList' | 'boolMap' | 'quantity' | 'durationOrNanos'; readonly nullable?: boolean }
  | { readonly kind: 'int32'; readonly nullable?: boolean; readonly unsigned?: boolean }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Field>>; readonly nullable?: boolean }
  | { readonly kind: 'list'; readonly of: Field; readonly nullable?: boolean };

const str: Field = { kind: 'string' };
const bool: Field = { kind: 'bool' };
const int32: Field = { kind: 'int32' };
const duration: Field = { kind: 'duration' };
const obj = (fields: Record<string, Field>): Field => ({ kind: 'object', fields });
const nullable = (f: Field): Field => ({ ...f, nullable: true });

const loggingOptions = obj({ splitStream: bool, infoBufferSize: { kind: 'quantity' } });

/** Every field kube-proxy's v1alpha1 decoder accepts; anything else is rejected with its path. */
export const SCHEMA: Readonly<Record<string, Field>> = {
  apiVersion: str,
  kind: str,
  featureGates: { kind: 'boolMap', nullable: true },
  clientConnection: obj({ kubeconfig: str, acceptContentTypes: str, contentType: str, qps: { kind: 'float' }, burst: int32 }),
  logging: obj({
    format: str,
    flushFrequency: { kind: 'durationOrNanos' },
    verbosity: { kind: 'int32', unsigned: true },
    vmodule: { kind: 'list', of: obj({ filePattern: str, verbosity: { kind: 'int32', unsigned: true } }), nullable: true },
    options: obj({ json: loggingOptions, text: loggingOptions }),
  }),
  hostnameOverride: str,
  bindAddress: str,
  healthzBindAddress: str,
  metricsBindAddress: str,
  bindAddressHardFail: bool,
  enableProfiling: bool,
  showHiddenMetricsForVersion: str,
  mode: str,
  iptables: obj({
    masqueradeBit: nullable(int32), masqueradeAll: bool, localhostNodePorts: nullable(bool),
    snatNodeInternalIP: nullable(bool), syncPeriod: duration, minSyncPeriod: duration,
  }),
  ipvs: obj({
    syncPeriod: duration, minSyncPeriod: duration, scheduler: str, excludeCIDRs: { kind: 'stringList', nullable: true },
    strictARP: bool, tcpTimeout: duration, tcpFinTimeout: duration, udpTimeout: duration,
  }),
  nftables: obj({ masqueradeBit: nullable(int32), masqueradeAll: bool, syncPeriod: duration, minSyncPeriod: duration }),
  winkernel: obj({ networkName: str, sourceVip: str, enableDSR: bool, rootHnsEndpointName: str, forwardHealthCheckVip: bool }),
  detectLocalMode: str,
  detectLocal: obj({ bridgeInterface: str, interfaceNamePrefix: str }),
  clusterCIDR: str,
  nodePortAddresses: { kind: 'stringList', nullable: true },
  oomScoreAdj: nullable(int32),
  conntrack: obj({
    maxPerCore: nullable(int32), min: nullable(int32), tcpEstablishedTimeout: nullable(duration),
    tcpCloseWaitTimeout: nullable(duration), tcpBeLiberal: bool, udpTimeout: duration, udpStreamTimeout: duration,
  }),
  configSyncPeriod: duration,
  portRange: str,
  windowsRunAsService: bool,
  serviceProxyName: str,
};
