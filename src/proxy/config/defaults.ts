// Defaults of KubeProxyConfiguration v1alpha1, with Go's semantics: a zero
// duration or an unset pointer takes the default; an explicit 0 in a pointer
// field (masqueradeBit: 0) stays. Then the platform defaults kube-proxy
// applies after flags and file are merged (mode, nodePortAddresses,
// detectLocalMode).
import { tryParseIp } from '../../addr.js';
import { API_VERSION, KIND, type KubeProxyConfiguration, type LoggingOptions } from './schema.js';

const SECOND = 1e9;

/** kube-proxy's well-known ports (pkg/cluster/ports). */
export const HEALTHZ_PORT = 10256;
export const METRICS_PORT = 10249;

/** The proxy mode this binary uses when none is given (kube-proxy's is iptables: see README). */
export const DEFAULT_MODE = 'nftables';

const loggingOptions = (): LoggingOptions => ({ splitStream: false, infoBufferSize: '0' });

/** Every field at Go's zero value: what an empty file decodes to before defaulting. */
export function zeroConfiguration(): KubeProxyConfiguration {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    featureGates: {},
    clientConnection: { kubeconfig: '', acceptContentTypes: '', contentType: '', qps: 0, burst: 0 },
    logging: { format: '', flushFrequency: 0, verbosity: 0, vmodule: [], options: { json: loggingOptions(), text: loggingOptions() } },
    hostnameOverride: '',
    bindAddress: '',
    healthzBindAddress: '',
    metricsBindAddress: '',
    bindAddressHardFail: false,
    enableProfiling: false,
    showHiddenMetricsForVersion: '',
    mode: '',
    iptables: { masqueradeBit: null, masqueradeAll: false, localhostNodePorts: null, snatNodeInternalIP: null, syncPeriod: 0, minSyncPeriod: 0 },
    ipvs: { syncPeriod: 0, minSyncPeriod: 0, scheduler: '', excludeCIDRs: null, strictARP: false, tcpTimeout: 0, tcpFinTimeout: 0, udpTimeout: 0 },
    nftables: { masqueradeBit: null, masqueradeAll: false, syncPeriod: 0, minSyncPeriod: 0 },
    winkernel: { networkName: '', sourceVip: '', enableDSR: false, rootHnsEndpointName: '', forwardHealthCheckVip: false },
    detectLocalMode: '',
    detectLocal: { bridgeInterface: '', interfaceNamePrefix: '' },
    clusterCIDR: '',
    nodePortAddresses: null,
    oomScoreAdj: null,
    conntrack: {
      maxPerCore: null, min: null, tcpEstablishedTimeout: null, tcpCloseWaitTimeout: null,
      tcpBeLiberal: false, udpTimeout: 0, udpStreamTimeout: 0,
    },
    configSyncPeriod: 0,
    portRange: '',
    windowsRunAsService: false,
    serviceProxyName: '',
  };
}

/** `host:port`, appending `port` when `addr` is a bare IP (kube-proxy's AppendPortIfNeeded). */
export function appendPortIfNeeded(addr: string, port: number): string {
  const ip = tryParseIp(addr);
  if (ip === undefined) return addr;
  return ip.family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** kube-proxy's SetDefaults_KubeProxyConfiguration (v1alpha1), in place. */
export function setDefaults(c: KubeProxyConfiguration): KubeProxyConfiguration {
  if (c.bindAddress === '') c.bindAddress = '0.0.0.0';
  const v4 = tryParseIp(c.bindAddress)?.family !== 6;
  c.healthzBindAddress = c.healthzBindAddress === '' ? `${v4 ? '0.0.0.0' : '[::]'}:${HEALTHZ_PORT}`
    : appendPortIfNeeded(c.healthzBindAddress, HEALTHZ_PORT);
  c.metricsBindAddress = c.metricsBindAddress === '' ? `${v4 ? '127.0.0.1' : '[::1]'}:${METRICS_PORT}`
    : appendPortIfNeeded(c.metricsBindAddress, METRICS_PORT);
  c.oomScoreAdj ??= -999;
  if (c.iptables.syncPeriod === 0) c.iptables.syncPeriod = 30 * SECOND;
  if (c.iptables.minSyncPeriod === 0) c.iptables.minSyncPeriod = SECOND;
  c.iptables.masqueradeBit ??= 14;
  c.iptables.localhostNodePorts ??= true;
  if (c.ipvs.syncPeriod === 0) c.ipvs.syncPeriod = 30 * SECOND;
  if (c.nftables.syncPeriod === 0) c.nftables.syncPeriod = 30 * SECOND;
  if (c.nftables.minSyncPeriod === 0) c.nftables.minSyncPeriod = SECOND;
  c.nftables.masqueradeBit ??= 14;
  c.conntrack.maxPerCore ??= 32 * 1024;
  c.conntrack.min ??= 128 * 1024;
  c.conntrack.tcpEstablishedTimeout ??= 24 * 3600 * SECOND;
  c.conntrack.tcpCloseWaitTimeout ??= 3600 * SECOND;
  if (c.configSyncPeriod === 0) c.configSyncPeriod = 15 * 60 * SECOND;
  if (c.clientConnection.contentType === '') c.clientConnection.contentType = 'application/vnd.kubernetes.protobuf';
  if (c.clientConnection.qps === 0) c.clientConnection.qps = 5;
  if (c.clientConnection.burst === 0) c.clientConnection.burst = 10;
  if (c.logging.format === '') c.logging.format = 'text';
  if (c.logging.flushFrequency === 0) c.logging.flushFrequency = 5 * SECOND;
  return c;
}

/** The defaults a run starts from before flags or a file are applied. */
export function defaultConfiguration(): KubeProxyConfiguration {
  return setDefaults(zeroConfiguration());
}

/**
 * kube-proxy's platformApplyDefaults (Linux), applied after flags or the
 * file: blank mode, NodePorts on the primary IPs in nftables mode, and
 * ClusterCIDR local-traffic detection.
 */
export function applyPlatformDefaults(c: KubeProxyConfiguration): KubeProxyConfiguration {
  if (c.mode === '') c.mode = DEFAULT_MODE;
  if (c.mode === 'nftables' && (c.nodePortAddresses === null || c.nodePortAddresses.length === 0)) c.nodePortAddresses = ['primary'];
  if (c.detectLocalMode === '') c.detectLocalMode = 'ClusterCIDR';
  return c;
}
