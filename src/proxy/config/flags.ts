// The command line: kube-proxy's flags, names and defaults (cmd/kube-proxy
// app/options.go), parsed with commander. A flag that maps to a config field
// says which v1alpha1 path it sets, so a problem found later is reported
// against the flag the operator typed.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { tryParseIp } from '../../addr.js';
import { DEFAULT_MODE } from './defaults.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import type { KubeProxyConfiguration } from './schema.js';
import { modeSection } from './validate.js';

export type FlagKind = 'string' | 'bool' | 'int32' | 'float' | 'duration' | 'stringList' | 'ip' | 'ipPort' | 'boolMap' | 'level';

/** What a flag does to the configuration when there is no --config; returns the path it set (undefined: no effect in this mode). */
type Apply = (c: KubeProxyConfiguration, v: never) => string | undefined;

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  readonly short?: string;
  /** Applied after every plain flag, once the mode is known (kube-proxy's processV1Alpha1Flags). */
  readonly late?: boolean;
  readonly apply?: Apply;
  readonly deprecated?: string;
}

const set = <K extends string>(path: K, fn: (c: KubeProxyConfiguration, v: never) => void): Apply => (c, v) => { fn(c, v); return path; };
/** Sets the v1alpha1 field of the mode's section (nftables.*, ipvs.* or iptables.*), as kube-proxy's conversion does. */
const inMode = (field: 'syncPeriod' | 'minSyncPeriod' | 'masqueradeAll', when: (mode: string) => boolean): Apply => (c, v) => {
  const mode = c.mode === '' ? DEFAULT_MODE : c.mode;
  if (!when(mode)) return undefined;
  const s = modeSection(mode);
  if (field === 'masqueradeAll') {
    (s === 'nftables' ? c.nftables : c.iptables).masqueradeAll = v;
    return `${s === 'nftables' ? 'nftables' : 'iptables'}.masqueradeAll`;
  }
  c[s][field] = v;
  return `${s}.${field}`;
};
const notIpvs = (m: string): boolean => m !== 'ipvs';
const isIpvs = (m: string): boolean => m === 'ipvs';

/** Every flag, in kube-proxy's order. */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'config', kind: 'string', help: 'The path to the configuration file (KubeProxyConfiguration kubeproxy.config.k8s.io/v1alpha1).' },
  { name: 'write-config-to', kind: 'string', help: 'If set, write the configuration values to this file and exit.' },
  { name: 'cleanup', kind: 'bool', help: 'If true cleanup every rule this proxy created, in every mode, and exit.' },
  { name: 'feature-gates', kind: 'boolMap', help: 'A set of key=value pairs for alpha/experimental features (accepted; none are defined). Ignored with --config.',
    apply: set('featureGates', (c, v: Record<string, boolean>) => { c.featureGates = v; }) },
  { name: 'kubeconfig', kind: 'string', help: 'Path to kubeconfig file with authorization information (the master location can be overridden by the master flag).',
    apply: set('clientConnection.kubeconfig', (c, v: string) => { c.clientConnection.kubeconfig = v; }) },
  { name: 'master', kind: 'string', help: 'The address of the Kubernetes API server (overrides any value in kubeconfig).' },
  { name: 'kube-api-content-type', kind: 'string', help: 'Content type of requests sent to apiserver (accepted; this proxy speaks JSON).',
    apply: set('clientConnection.contentType', (c, v: string) => { c.clientConnection.contentType = v; }) },
  { name: 'kube-api-burst', kind: 'int32', help: 'Burst to use while talking with kubernetes apiserver.',
    apply: set('clientConnection.burst', (c, v: number) => { c.clientConnection.burst = v; }) },
  { name: 'kube-api-qps', kind: 'float', help: 'QPS to use while talking with kubernetes apiserver.',
    apply: set('clientConnection.qps', (c, v: number) => { c.clientConnection.qps = v; }) },
  { name: 'hostname-override', kind: 'string', help: "If non-empty, used as the name of the Node this proxy runs on (also with --config)." },
  { name: 'bind-address', kind: 'ip', help: "Overrides the proxy's idea of its node's primary IP. Ignored with --config.",
    apply: set('bindAddress', (c, v: string) => { c.bindAddress = v; }) },
  { name: 'healthz-bind-address', kind: 'ipPort', help: 'The IP address and port for the health check server, default "0.0.0.0:10256". Ignored with --config.',
    apply: set('healthzBindAddress', (c, v: string) => { c.healthzBindAddress = v; }) },
  { name: 'metrics-bind-address', kind: 'ipPort', help: 'The IP address and port for the metrics server, default "127.0.0.1:10249"; empty disables it. Ignored with --config.',
    apply: set('metricsBindAddress', (c, v: string) => { c.metricsBindAddress = v; }) },
  { name: 'bind-address-hard-fail', kind: 'bool', help: 'If true, failing to bind the health or metrics port is fatal.',
    apply: set('bindAddressHardFail', (c, v: boolean) => { c.bindAddressHardFail = v; }) },
  { name: 'profiling', kind: 'bool', help: 'Accepted for compatibility (no /debug/pprof here). Ignored with --config.',
    apply: set('enableProfiling', (c, v: boolean) => { c.enableProfiling = v; }) },
  { name: 'show-hidden-metrics-for-version', kind: 'string', help: 'Accepted for compatibility (no hidden metrics here).',
    apply: set('showHiddenMetricsForVersion', (c, v: string) => { c.showHiddenMetricsForVersion = v; }) },
  { name: 'init-only', kind: 'bool', help: 'If true, check and prepare the kernel (the backend setup) and exit.' },
  { name: 'proxy-mode', kind: 'string', help: "Which proxy mode to use: 'nftables' (default here), 'ipvs' or 'iptables'. Ignored with --config.",
    apply: set('mode', (c, v: string) => { c.mode = v; }) },
  { name: 'iptables-masquerade-bit', kind: 'int32', help: 'In iptables or ipvs mode, the fwmark bit that marks packets for SNAT, 0..31 (nftables mode: nftables.masqueradeBit in --config).',
    apply: set('iptables.masqueradeBit', (c, v: number) => { c.iptables.masqueradeBit = v; }) },
  { name: 'masquerade-all', kind: 'bool', help: 'SNAT all traffic sent via Service cluster IPs.', late: true, apply: inMode('masqueradeAll', () => true) },
  { name: 'iptables-localhost-nodeports', kind: 'bool', help: 'iptables mode only: allow NodePorts on localhost (IPv4).',
    apply: set('iptables.localhostNodePorts', (c, v: boolean) => { c.iptables.localhostNodePorts = v; }) },
  { name: 'iptables-sync-period', kind: 'duration', help: "How often rules are fully resynchronized (e.g. '5s', '1m', '2h22m'); applies to nftables mode too. Must be greater than 0.",
    late: true, apply: inMode('syncPeriod', notIpvs) },
  { name: 'iptables-min-sync-period', kind: 'duration', help: "The minimum period between rule syncs (e.g. '5s', '1m'); applies to nftables mode too. 0 syncs on every change.",
    late: true, apply: inMode('minSyncPeriod', notIpvs) },
  { name: 'ipvs-sync-period', kind: 'duration', help: 'ipvs mode: how often rules are fully resynchronized. Must be greater than 0.', late: true, apply: inMode('syncPeriod', isIpvs) },
  { name: 'ipvs-min-sync-period', kind: 'duration', help: 'ipvs mode: the minimum period between rule syncs.', late: true, apply: inMode('minSyncPeriod', isIpvs) },
  { name: 'ipvs-scheduler', kind: 'string', help: 'The IPVS scheduler (rr, wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh) when proxy mode is ipvs.',
    apply: set('ipvs.scheduler', (c, v: string) => { c.ipvs.scheduler = v; }) },
  { name: 'ipvs-exclude-cidrs', kind: 'stringList', help: 'Comma-separated CIDRs the ipvs proxier should not touch when cleaning up IPVS rules.',
    apply: set('ipvs.excludeCIDRs', (c, v: string[]) => { c.ipvs.excludeCIDRs = v; }) },
  { name: 'ipvs-strict-arp', kind: 'bool', help: 'Enable strict ARP by setting arp_ignore to 1 and arp_announce to 2.',
    apply: set('ipvs.strictARP', (c, v: boolean) => { c.ipvs.strictARP = v; }) },
  { name: 'ipvs-tcp-timeout', kind: 'duration', help: 'The timeout for idle IPVS TCP connections, 0 to leave as-is.',
    apply: set('ipvs.tcpTimeout', (c, v: number) => { c.ipvs.tcpTimeout = v; }) },
  { name: 'ipvs-tcpfin-timeout', kind: 'duration', help: 'The timeout for IPVS TCP connections after a FIN, 0 to leave as-is.',
    apply: set('ipvs.tcpFinTimeout', (c, v: number) => { c.ipvs.tcpFinTimeout = v; }) },
  { name: 'ipvs-udp-timeout', kind: 'duration', help: 'The timeout for IPVS UDP packets, 0 to leave as-is.',
    apply: set('ipvs.udpTimeout', (c, v: number) => { c.ipvs.udpTimeout = v; }) },
  { name: 'detect-local-mode', kind: 'string', help: 'How local (pod) traffic is told apart: ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix. Ignored with --config.',
    apply: set('detectLocalMode', (c, v: string) => { c.detectLocalMode = v; }) },
  { name: 'pod-bridge-interface', kind: 'string', help: 'With --detect-local-mode=BridgeInterface: the pods\' bridge.',
    apply: set('detectLocal.bridgeInterface', (c, v: string) => { c.detectLocal.bridgeInterface = v; }) },
  { name: 'pod-interface-name-prefix', kind: 'string', help: 'With --detect-local-mode=InterfaceNamePrefix: the pods\' interface name prefix.',
    apply: set('detectLocal.interfaceNamePrefix', (c, v: string) => { c.detectLocal.interfaceNamePrefix = v; }) },
  { name: 'cluster-cidr', kind: 'string', help: 'The CIDR range of the pods in the cluster (a dual-stack pair may be given, comma-separated). Ignored with --config.',
    apply: set('clusterCIDR', (c, v: string) => { c.clusterCIDR = v; }) },
  { name: 'nodeport-addresses', kind: 'stringList', help: "CIDRs of the node IPs NodePorts accept connections on, or 'primary' (the default in nftables mode). Ignored with --config.",
    apply: set('nodePortAddresses', (c, v: string[]) => { c.nodePortAddresses = v; }) },
  { name: 'oom-score-adj', kind: 'int32', help: 'The oom-score-adj value for the proxy process, in [-1000, 1000]. Ignored with --config.',
    apply: set('oomScoreAdj', (c, v: number) => { c.oomScoreAdj = v; }) },
  { name: 'conntrack-max-per-core', kind: 'int32', help: 'Maximum number of NAT connections to track per CPU core (0 to leave the limit as-is and ignore conntrack-min).',
    apply: set('conntrack.maxPerCore', (c, v: number) => { c.conntrack.maxPerCore = v; }) },
  { name: 'conntrack-min', kind: 'int32', help: 'Minimum number of conntrack entries to allocate, regardless of conntrack-max-per-core.',
    apply: set('conntrack.min', (c, v: number) => { c.conntrack.min = v; }) },
  { name: 'conntrack-tcp-timeout-established', kind: 'duration', help: 'Idle timeout for established TCP connections (0 to leave as-is).',
    apply: set('conntrack.tcpEstablishedTimeout', (c, v: number) => { c.conntrack.tcpEstablishedTimeout = v; }) },
  { name: 'conntrack-tcp-timeout-close-wait', kind: 'duration', help: 'NAT timeout for TCP connections in the CLOSE_WAIT state.',
    apply: set('conntrack.tcpCloseWaitTimeout', (c, v: number) => { c.conntrack.tcpCloseWaitTimeout = v; }) },
  { name: 'conntrack-tcp-be-liberal', kind: 'bool', help: 'Enable liberal mode for tracking TCP packets (nf_conntrack_tcp_be_liberal=1).',
    apply: set('conntrack.tcpBeLiberal', (c, v: boolean) => { c.conntrack.tcpBeLiberal = v; }) },
  { name: 'conntrack-udp-timeout', kind: 'duration', help: 'Idle timeout for UNREPLIED UDP connections (0 to leave as-is).',
    apply: set('conntrack.udpTimeout', (c, v: number) => { c.conntrack.udpTimeout = v; }) },
  { name: 'conntrack-udp-timeout-stream', kind: 'duration', help: 'Idle timeout for ASSURED UDP connections (0 to leave as-is).',
    apply: set('conntrack.udpStreamTimeout', (c, v: number) => { c.conntrack.udpStreamTimeout = v; }) },
  { name: 'config-sync-period', kind: 'duration', help: 'How often configuration from the apiserver is refreshed. Must be greater than 0.',
    apply: set('configSyncPeriod', (c, v: number) => { c.configSyncPeriod = v; }) },
  { name: 'healthz-port', kind: 'int32', help: 'The port of the health check server; 0 disables it.', deprecated: 'use --healthz-bind-address' },
  { name: 'metrics-port', kind: 'int32', help: 'The port of the metrics server; 0 disables it.', deprecated: 'use --metrics-bind-address' },
  { name: 'proxy-port-range', kind: 'string', help: 'Unused.', deprecated: 'this flag has no effect',
    apply: set('portRange', (c, v: string) => { c.portRange = v; }) },
  { name: 'service-proxy-name', kind: 'string', help: 'Ours (not kube-proxy\'s): also handle Services labelled service.kubernetes.io/service-proxy-name=NAME. Ignored with --config.',
    apply: set('serviceProxyName', (c, v: string) => { c.serviceProxyName = v; }) },
  { name: 'v', short: 'v', kind: 'level', help: 'Log verbosity: 0-1 info, 2-4 debug, 5 and above trace (also with --config).' },
  { name: 'vmodule', kind: 'string', help: 'Accepted for compatibility (per-file verbosity is not supported).' },
  { name: 'log-flush-frequency', kind: 'duration', help: 'Accepted for compatibility (logs are written as they come).' },
];

const BOOLS: Readonly<Record<string, boolean>> = {
  '1': true, t: true, T: true, true: true, TRUE: true, True: true, '0': false, f: false, F: false, false: false, FALSE: false, False: false,
};

/** Go's strconv.ParseBool. */
export function parseBool(s: string): boolean {
  const v = BOOLS[s];
  if (v === undefined) throw new InvalidArgumentError(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
  return v;
}

function parseInt32(s: string): number {
  if (!/^[-+]?\d+$/.test(s)) throw new InvalidArgumentError(`not an integer: ${JSON.stringify(s)}`);
  const n = Number(s);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new InvalidArgumentError(`${s} is out of range for a 32-bit integer`);
  return n;
}

function parseBoolMap(s: string, previous: Record<string, boolean> | undefined): Record<string, boolean> {
  const out = { ...(previous ?? {}) };
  for (const part of s.split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`missing bool value for ${JSON.stringify(part)}`);
    out[part.slice(0, eq).trim()] = parseBool(part.slice(eq + 1).trim());
  }
  return out;
}

/** The commander parser of one flag kind; errors name Go's reason. */
function parserFor(kind: FlagKind): (value: string, previous: unknown) => unknown {
  const wrap = <T>(fn: (s: string) => T) => (s: string): T => {
    try {
      return fn(s);
    } catch (e) {
      throw e instanceof InvalidArgumentError ? e : new InvalidArgumentError((e as Error).message);
    }
  };
  switch (kind) {
    case 'bool': return wrap(parseBool);
    case 'int32': return wrap(parseInt32);
    case 'float': return wrap((s) => { const n = Number(s); if (s.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${JSON.stringify(s)}`); return n; });
    case 'duration': return wrap(parseDuration);
    case 'level': return wrap((s) => parseInt32(s.replace(/^=/, '')));
    case 'ip': return wrap((s) => { if (tryParseIp(s) === undefined) throw new InvalidArgumentError(`not a valid IP address: ${JSON.stringify(s)}`); return s; });
    case 'stringList': return (s, prev) => [...((prev as string[] | undefined) ?? []), ...(s === '' ? [] : s.split(',').map((x) => x.trim()))];
    case 'boolMap': return (s, prev) => wrap((x) => parseBoolMap(x, prev as Record<string, boolean> | undefined))(s);
    default: return (s) => s;
  }
}

/** The flags given on a command line, by name, in their parsed types. */
export interface CommandLine {
  readonly given: ReadonlyMap<string, unknown>;
  readonly help: boolean;
  readonly usage: string;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The commander program with every flag; `--help` text comes from here. */
export function buildProgram(): Command {
  const program = new Command('dataplane-proxy')
    .description('A kube-proxy built on the dataplane library: Services and EndpointSlices into nftables (ipvs and iptables modes follow).')
    .allowExcessArguments(false)
    .helpOption('-h, --help', 'Show this help.')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const f of FLAGS) {
    const arg = f.kind === 'bool' ? ' [bool]' : f.kind === 'level' ? ' <level>' : ` <${f.kind === 'stringList' ? 'list' : f.kind}>`;
    const flags = `${f.short !== undefined ? `-${f.short}, ` : ''}--${f.name}${arg}`;
    const help = f.deprecated !== undefined ? `${f.help} (DEPRECATED: ${f.deprecated})` : f.help;
    program.option(flags, help, parserFor(f.kind) as (v: string, p: unknown) => unknown);
  }
  return program;
}

/**
 * Parses argv (without the node and script paths). Throws a ConfigError
 * naming the flag for an unknown flag, a stray argument or a bad value.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const program = buildProgram();
  const usage = program.helpInformation();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return { given: new Map(), help: true, usage };
      const m = /option '([^']+)'/.exec(e.message);
      const field = m !== null ? `--${m[1]!.split('--').pop()!.split(' ')[0]!}` : e.code === 'commander.unknownOption' ? /'([^']+)'/.exec(e.message)?.[1] ?? 'flags' : 'arguments';
      const invalid = /argument '(.*)' is invalid\. (.*)$/s.exec(e.message);
      const message = invalid !== null ? `invalid value ${JSON.stringify(invalid[1])}: ${invalid[2]}` : e.message.replace(/^error: /, '');
      throw new ConfigError([{ field, message }]);
    }
    throw e;
  }
  const opts = program.opts();
  const given = new Map<string, unknown>();
  for (const f of FLAGS) {
    const key = camel(f.name);
    if (opts[key] === undefined) continue;
    // commander gives an optional-argument bool without a value as `true`.
    given.set(f.name, f.kind === 'bool' && typeof opts[key] === 'string' ? parseBool(opts[key] as string) : opts[key]);
  }
  return { given, help: false, usage };
}
