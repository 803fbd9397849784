// Validation of a merged KubeProxyConfiguration, with kube-proxy's rules
// (pkg/proxy/apis/config/validation). Problems are reported against the
// v1alpha1 field path; the resolver renames a path to the flag that set it.
import { parseCidr, tryParseIp } from '../../addr.js';
import { formatDuration } from './duration.js';
import type { Problems } from './errors.js';
import type { KubeProxyConfiguration } from './schema.js';

/** IPVS schedulers kube-proxy accepts ('' means rr). */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh'] as const;
export const PROXY_MODES = ['iptables', 'ipvs', 'nftables'] as const;
export const DETECT_LOCAL_MODES = ['ClusterCIDR', 'NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'] as const;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** The config section whose syncPeriod/minSyncPeriod/masqueradeAll the mode uses (kube-proxy's v1alpha1 conversion). */
export function modeSection(mode: string): 'ipvs' | 'nftables' | 'iptables' {
  return mode === 'ipvs' ? 'ipvs' : mode === 'nftables' ? 'nftables' : 'iptables';
}

/** Parses `IP:port` / `[IPv6]:port`; undefined when malformed. */
export function splitHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  if (m === null) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (tryParseIp(host) === undefined || port < 1 || port > 65535) return undefined;
  if (m[1] === undefined && tryParseIp(host)?.family === 6) return undefined;
  return { host, port };
}

function isCidr(s: string): boolean {
  if (!s.includes('/')) return false;
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

/** One CIDR, or two of different IP families (a dual-stack pair). */
function validDualStack(list: string[]): boolean {
  if (list.length === 0 || list.length > 2 || !list.every(isCidr)) return false;
  return list.length === 1 || parseCidr(list[0]!).family !== parseCidr(list[1]!).family;
}

function validateSyncPeriods(c: KubeProxyConfiguration, p: Problems): void {
  const section = modeSection(c.mode);
  const s = c[section];
  if (s.syncPeriod <= 0) p.add(`${section}.syncPeriod`, 'must be greater than 0');
  if (s.minSyncPeriod < 0) p.add(`${section}.minSyncPeriod`, 'must be greater than or equal to 0');
  else if (s.syncPeriod > 0 && s.minSyncPeriod > s.syncPeriod) {
    p.add(`${section}.syncPeriod`, `must be greater than or equal to the minimum sync period (${formatDuration(s.minSyncPeriod)})`);
  }
}

function validateIPVS(c: KubeProxyConfiguration, p: Problems): void {
  if (c.ipvs.scheduler !== '' && !(IPVS_SCHEDULERS as readonly string[]).includes(c.ipvs.scheduler)) {
    p.add('ipvs.scheduler', `must be one of ${IPVS_SCHEDULERS.join(', ')} (blank means rr): ${JSON.stringify(c.ipvs.scheduler)}`);
  }
  for (const k of ['tcpTimeout', 'tcpFinTimeout', 'udpTimeout'] as const) {
    if (c.ipvs[k] < 0) p.add(`ipvs.${k}`, 'must be greater than or equal to 0');
  }
  (c.ipvs.excludeCIDRs ?? []).forEach((cidr, i) => {
    if (!isCidr(cidr)) p.add(`ipvs.excludeCIDRs[${i}]`, `must be a valid CIDR: ${JSON.stringify(cidr)}`);
  });
}

function validateConntrack(c: KubeProxyConfiguration, p: Problems): void {
  const ct = c.conntrack;
  for (const k of ['maxPerCore', 'min', 'tcpEstablishedTimeout', 'tcpCloseWaitTimeout', 'udpTimeout', 'udpStreamTimeout'] as const) {
    const v = ct[k];
    if (v !== null && v < 0) p.add(`conntrack.${k}`, 'must be greater than or equal to 0');
  }
}

function validateAddresses(c: KubeProxyConfiguration, p: Problems): void {
  const binds = c.bindAddress.split(',');
  if (!binds.every((b) => tryParseIp(b) !== undefined) || binds.length > 2 ||
    (binds.length === 2 && tryParseIp(binds[0]!)!.family === tryParseIp(binds[1]!)!.family)) {
    p.add('bindAddress', `must be an IP address or a dual-stack pair: ${JSON.stringify(c.bindAddress)}`);
  }
  for (const k of ['healthzBindAddress', 'metricsBindAddress'] as const) {
    if (c[k] !== '' && splitHostPort(c[k]) === undefined) p.add(k, `must be IP:port with a port in 1..65535: ${JSON.stringify(c[k])}`);
  }
  if (c.clusterCIDR !== '' && !validDualStack(c.clusterCIDR.split(','))) {
    p.add('clusterCIDR', `must be a CIDR or a dual-stack pair (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48): ${JSON.stringify(c.clusterCIDR)}`);
  }
  const npa = c.nodePortAddresses ?? [];
  if (npa.includes('primary')) {
    if (npa.length > 1) p.add('nodePortAddresses', `'primary' must be the only entry: ${JSON.stringify(npa)}`);
  } else {
    npa.forEach((cidr, i) => {
      if (!isCidr(cidr)) p.add(`nodePortAddresses[${i}]`, `must be a CIDR or 'primary': ${JSON.stringify(cidr)}`);
    });
  }
}

function validateDetectLocal(c: KubeProxyConfiguration, p: Problems): void {
  if (!(DETECT_LOCAL_MODES as readonly string[]).includes(c.detectLocalMode)) {
    p.add('detectLocalMode', `must be one of ${DETECT_LOCAL_MODES.join(', ')}: ${JSON.stringify(c.detectLocalMode)}`);
  }
  if (c.detectLocalMode === 'BridgeInterface' && c.detectLocal.bridgeInterface === '') {
    p.add('detectLocal.bridgeInterface', 'must be set when detectLocalMode is BridgeInterface');
  }
  if (c.detectLocalMode === 'InterfaceNamePrefix' && c.detectLocal.interfaceNamePrefix === '') {
    p.add('detectLocal.interfaceNamePrefix', 'must be set when detectLocalMode is InterfaceNamePrefix');
  }
}

/** Every rule kube-proxy applies to a merged configuration (after platform defaults), into `p`. */
export function validateConfiguration(c: KubeProxyConfiguration, p: Problems): void {
  if (!(PROXY_MODES as readonly string[]).includes(c.mode)) p.add('mode', `must be one of ${PROXY_MODES.join(', ')}: ${JSON.stringify(c.mode)}`);
  validateSyncPeriods(c, p);
  if (c.mode === 'ipvs') validateIPVS(c, p);
  for (const k of ['iptables', 'nftables'] as const) {
    const bit = c[k].masqueradeBit;
    if (bit !== null && (bit < 0 || bit > 31)) p.add(`${k}.masqueradeBit`, `must be within the range [0, 31]: ${bit}`);
  }
  validateConntrack(c, p);
  if (c.clientConnection.burst < 0) p.add('clientConnection.burst', 'must be greater than or equal to 0');
  if (c.clientConnection.qps < 0) p.add('clientConnection.qps', 'must be greater than or equal to 0');
  if (c.oomScoreAdj !== null && (c.oomScoreAdj < -1000 || c.oomScoreAdj > 1000)) p.add('oomScoreAdj', `must be within the range [-1000, 1000]: ${c.oomScoreAdj}`);
  if (c.configSyncPeriod <= 0) p.add('configSyncPeriod', 'must be greater than 0');
  validateAddresses(c, p);
  validateDetectLocal(c, p);
  if (c.portRange !== '' && !/^\d{1,5}([-+]\d{1,5})?$/.test(c.portRange)) p.add('portRange', `must be a port range such as 30000-32767: ${JSON.stringify(c.portRange)}`);
  if (c.logging.format !== 'text' && c.logging.format !== 'json') p.add('logging.format', `must be text or json: ${JSON.stringify(c.logging.format)}`);
  if (!LABEL_VALUE.test(c.serviceProxyName)) p.add('serviceProxyName', `must be a valid label value: ${JSON.stringify(c.serviceProxyName)}`);
  if (c.showHiddenMetricsForVersion !== '' && !/^\d+\.\d+$/.test(c.showHiddenMetricsForVersion)) {
    p.add('showHiddenMetricsForVersion', `must be <major>.<minor>: ${JSON.stringify(c.showHiddenMetricsForVersion)}`);
  }
}
