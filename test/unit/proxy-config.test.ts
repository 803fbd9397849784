// dataplane-proxy's configuration: Go durations, kube-proxy's flags, the
// KubeProxyConfiguration file (strict decoding, defaults, write-out), every
// validation rule, kube-proxy's flag/file precedence, and the typed config
// and BackendOptions resolved from it. Every error path names its field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defaultConfiguration } from '../../src/proxy/config/defaults.js';
import { formatDuration, parseDuration } from '../../src/proxy/config/duration.js';
import { ConfigError } from '../../src/proxy/config/errors.js';
import { decodeConfiguration, encodeConfiguration } from '../../src/proxy/config/file.js';
import { parseCommandLine } from '../../src/proxy/config/flags.js';
import { backendOptions, logLevelFor, toProxyConfig } from '../../src/proxy/config/proxy-config.js';
import { nodeNameOf, resolveArgv, type ResolvedCommandLine } from '../../src/proxy/config/resolve.js';

const S = 1e9;

function resolve(argv: string[]): ResolvedCommandLine {
  const r = resolveArgv(argv);
  assert.ok(!('help' in r));
  return r;
}

/** The problems a call throws, as `field: message` lines. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.problems.map((p) => `${p.field}: ${p.message}`);
  }
  assert.fail('expected a ConfigError');
}

const header = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n';

describe('proxy config: Go durations', () => {
  it('parses what time.ParseDuration parses', () => {
    assert.equal(parseDuration('5s'), 5 * S);
    assert.equal(parseDuration('1m30s'), 90 * S);
    assert.equal(parseDuration('2h45m'), (2 * 3600 + 45 * 60) * S);
    assert.equal(parseDuration('250ms'), 250e6);
    assert.equal(parseDuration('1.5h'), 5400 * S);
    assert.equal(parseDuration('.5s'), 0.5 * S);
    assert.equal(parseDuration('-1.5s'), -1.5 * S);
    assert.equal(parseDuration('+3us'), 3000);
    assert.equal(parseDuration('3µs'), 3000);
    assert.equal(parseDuration('7ns'), 7);
    assert.equal(parseDuration('0'), 0);
  });

  it('rejects what time.ParseDuration rejects, with its words', () => {
    assert.throws(() => parseDuration(''), /time: invalid duration ""/);
    assert.throws(() => parseDuration('5'), /time: missing unit in duration "5"/);
    assert.throws(() => parseDuration('5x'), /time: unknown unit "x" in duration "5x"/);
    assert.throws(() => parseDuration('s'), /time: invalid duration "s"/);
    assert.throws(() => parseDuration('.s'), /time: invalid duration/);
    assert.throws(() => parseDuration('1s '), /time: invalid duration/);
    assert.throws(() => parseDuration('3000000h'), /time: invalid duration/);
    assert.equal(parseDuration('2562047h'), 2562047 * 3600 * S, 'Go\'s largest whole-hour duration');
  });

  it('formats as Duration.String()', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(30 * S), '30s');
    assert.equal(formatDuration(90 * S), '1m30s');
    assert.equal(formatDuration(15 * 60 * S), '15m0s');
    assert.equal(formatDuration(24 * 3600 * S), '24h0m0s');
    assert.equal(formatDuration(1.5 * S), '1.5s');
    assert.equal(formatDuration(250e6), '250ms');
    assert.equal(formatDuration(1500), '1.5µs');
    assert.equal(formatDuration(12), '12ns');
    assert.equal(formatDuration(-5 * S), '-5s');
    for (const d of ['5s', '1m30s', '2h22m0s', '1.25s', '750ms']) assert.equal(formatDuration(parseDuration(d)), d);
  });
});

describe('proxy config: flags', () => {
  it('defaults without flags: kube-proxy\'s, in nftables mode', () => {
    const r = resolve([]);
    const c = toProxyConfig(r.config, 'n1');
    assert.equal(c.mode, 'nftables');
    assert.equal(c.syncPeriodMs, 30_000);
    assert.equal(c.minSyncPeriodMs, 1000);
    assert.equal(c.masqueradeBit, 14);
    assert.equal(c.masqueradeAll, false);
    assert.deepEqual(c.healthzBindAddress, { host: '0.0.0.0', port: 10256 });
    assert.deepEqual(c.metricsBindAddress, { host: '127.0.0.1', port: 10249 });
    assert.deepEqual(c.nodePortAddresses, { primary: true });
    assert.equal(c.detectLocalMode, 'ClusterCIDR');
    assert.equal(c.configSyncPeriodMs, 15 * 60_000);
    assert.equal(c.oomScoreAdj, -999);
    assert.equal(c.logLevel, 'info');
  });

  it('--iptables-sync-period / --iptables-min-sync-period apply to nftables mode', () => {
    const r = resolve(['--iptables-sync-period=1m', '--iptables-min-sync-period', '250ms', '--masquerade-all']);
    const c = toProxyConfig(r.config, 'n1');
    assert.equal(c.syncPeriodMs, 60_000);
    assert.equal(c.minSyncPeriodMs, 250);
    assert.equal(c.masqueradeAll, true);
    assert.equal(r.config.nftables.syncPeriod, 60 * S);
    assert.equal(r.config.nftables.masqueradeAll, true);
    assert.equal(r.config.iptables.syncPeriod, 30 * S, 'the iptables section keeps its default');
  });

  it('IPVS mode, verbatim: --proxy-mode=ipvs --ipvs-scheduler=rr --ipvs-min-sync-period=5s --ipvs-sync-period=30s', () => {
    const r = resolve(['--proxy-mode=ipvs', '--ipvs-scheduler=rr', '--ipvs-min-sync-period=5s', '--ipvs-sync-period=30s']);
    const c = toProxyConfig(r.config, 'n1');
    assert.equal(c.mode, 'ipvs');
    assert.equal(c.ipvs.scheduler, 'rr');
    assert.equal(c.minSyncPeriodMs, 5000);
    assert.equal(c.syncPeriodMs, 30_000);
    assert.deepEqual(c.nodePortAddresses, { cidrs: ['0.0.0.0/0', '::/0'] }, 'NodePorts on every address outside nftables mode');
    assert.deepEqual(r.inertFlags, []);
  });

  it('the other IPVS flags parse and land in the ipvs section', () => {
    const r = resolve(['--proxy-mode=ipvs', '--ipvs-exclude-cidrs=10.0.0.0/8,fd00::/8', '--ipvs-strict-arp', '--ipvs-tcp-timeout=15m',
      '--ipvs-tcpfin-timeout=2m', '--ipvs-udp-timeout=30s', '--iptables-masquerade-bit=13']);
    const c = toProxyConfig(r.config, 'n1');
    assert.deepEqual(c.ipvs, { scheduler: 'rr', excludeCIDRs: ['10.0.0.0/8', 'fd00::/8'], strictARP: true, tcpTimeoutMs: 900_000, tcpFinTimeoutMs: 120_000, udpTimeoutMs: 30_000 });
    assert.equal(c.masqueradeBit, 13);
  });

  it('a mode-specific sync flag in another mode has no effect and is reported', () => {
    const r = resolve(['--ipvs-sync-period=10s']);
    assert.deepEqual(r.inertFlags, ['--ipvs-sync-period']);
    assert.equal(toProxyConfig(r.config, 'n').syncPeriodMs, 30_000);
    assert.deepEqual(resolve(['--proxy-mode=ipvs', '--iptables-sync-period=10s']).inertFlags, ['--iptables-sync-period']);
  });

  it('-v maps to pino levels, written -v 3, -v=3, -v3 or --v=3', () => {
    for (const argv of [['-v', '3'], ['-v=3'], ['-v3'], ['--v=3']]) assert.equal(toProxyConfig(resolve(argv).config, 'n').logLevel, 'debug');
    assert.equal(logLevelFor(0), 'info');
    assert.equal(logLevelFor(1), 'info');
    assert.equal(logLevelFor(4), 'debug');
    assert.equal(logLevelFor(5), 'trace');
  });

  it('Go-style booleans: --flag, --flag=true, --flag=false, --flag=0', () => {
    assert.equal(resolve(['--masquerade-all=false']).config.nftables.masqueradeAll, false);
    assert.equal(resolve(['--masquerade-all=1']).config.nftables.masqueradeAll, true);
    assert.equal(resolve(['--cleanup']).cleanup, true);
    assert.equal(resolve(['--cleanup=false']).cleanup, false);
  });

  it('--healthz-port / --metrics-port (deprecated): 0 disables the server; a bare IP takes the port', () => {
    const r = resolve(['--healthz-port=0', '--metrics-bind-address=0.0.0.0', '--metrics-port=9999']);
    const c = toProxyConfig(r.config, 'n');
    assert.equal(c.healthzBindAddress, undefined);
    assert.deepEqual(c.metricsBindAddress, { host: '0.0.0.0', port: 9999 });
    assert.deepEqual(r.deprecatedFlags, ['--healthz-port', '--metrics-port']);
    assert.deepEqual(toProxyConfig(resolve(['--metrics-bind-address=']).config, 'n').metricsBindAddress, undefined);
    assert.deepEqual(toProxyConfig(resolve(['--healthz-bind-address=[::1]:8080']).config, 'n').healthzBindAddress, { host: '::1', port: 8080 });
  });

  it('--nodeport-addresses, --cluster-cidr, --detect-local-mode and friends', () => {
    const r = resolve(['--nodeport-addresses=192.168.0.0/16', '--nodeport-addresses', 'fd00::/64', '--cluster-cidr=10.244.0.0/16,fd00:244::/56',
      '--detect-local-mode=InterfaceNamePrefix', '--pod-interface-name-prefix=veth', '--service-proxy-name=dataplane', '--hostname-override= Node-A ']);
    const c = toProxyConfig(r.config, nodeNameOf(r.config));
    assert.deepEqual(c.nodePortAddresses, { cidrs: ['192.168.0.0/16', 'fd00::/64'] });
    assert.deepEqual(c.clusterCIDRs, ['10.244.0.0/16', 'fd00:244::/56']);
    assert.equal(c.detectLocalMode, 'InterfaceNamePrefix');
    assert.equal(c.interfaceNamePrefix, 'veth');
    assert.equal(c.serviceProxyName, 'dataplane');
    assert.equal(c.nodeName, 'node-a');
  });

  it('--help gives the usage', () => {
    const r = resolveArgv(['--help']);
    assert.ok('help' in r && r.help.includes('--iptables-sync-period'));
  });

  it('rejects unknown flags, stray arguments and bad values, naming the flag', () => {
    assert.deepEqual(problems(() => resolveArgv(['--bogus'])), ["--bogus: unknown option '--bogus'"]);
    assert.match(problems(() => resolveArgv(['extra']))[0]!, /^arguments: too many arguments/);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-sync-period=5x'])), ['--iptables-sync-period: invalid value "5x": time: unknown unit "x" in duration "5x"']);
    assert.deepEqual(problems(() => resolveArgv(['--masquerade-all=yes'])), ['--masquerade-all: invalid value "yes": strconv.ParseBool: parsing "yes": invalid syntax']);
    assert.deepEqual(problems(() => resolveArgv(['--oom-score-adj=x'])), ['--oom-score-adj: invalid value "x": not an integer: "x"']);
    assert.deepEqual(problems(() => resolveArgv(['--kube-api-burst=3000000000'])), ['--kube-api-burst: invalid value "3000000000": 3000000000 is out of range for a 32-bit integer']);
    assert.deepEqual(problems(() => resolveArgv(['--kube-api-qps=fast'])), ['--kube-api-qps: invalid value "fast": not a number: "fast"']);
    assert.deepEqual(problems(() => resolveArgv(['--bind-address=1.2.3'])), ['--bind-address: invalid value "1.2.3": not a valid IP address: "1.2.3"']);
    assert.deepEqual(problems(() => resolveArgv(['-v', 'loud'])), ['--v: invalid value "loud": not an integer: "loud"']);
    assert.deepEqual(problems(() => resolveArgv(['--feature-gates=A'])), ['--feature-gates: invalid value "A": missing bool value for "A"']);
    assert.deepEqual(problems(() => resolveArgv(['--hostname-override=  '])), ['--hostname-override: empty hostname-override is invalid']);
    assert.deepEqual(problems(() => resolveArgv(['-v=-1'])), ['--v: must be 0 or more: -1']);
  });

  it('validation problems name the flag that set the value', () => {
    assert.deepEqual(problems(() => resolveArgv(['--proxy-mode=userspace'])), ['--proxy-mode: must be one of iptables, ipvs, nftables: "userspace"']);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-sync-period=0s'])), ['--iptables-sync-period: must be greater than 0']);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-min-sync-period=-1s'])), ['--iptables-min-sync-period: must be greater than or equal to 0']);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-min-sync-period=1m'])), ['nftables.syncPeriod: must be greater than or equal to the minimum sync period (1m0s)']);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-sync-period=30s', '--iptables-min-sync-period=1m'])),
      ['--iptables-sync-period: must be greater than or equal to the minimum sync period (1m0s)']);
    assert.deepEqual(problems(() => resolveArgv(['--proxy-mode=ipvs', '--ipvs-scheduler=fifo'])),
      ['--ipvs-scheduler: must be one of rr, wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh (blank means rr): "fifo"']);
    assert.deepEqual(problems(() => resolveArgv(['--proxy-mode=ipvs', '--ipvs-exclude-cidrs=10.0.0.0/8,oops'])), ['--ipvs-exclude-cidrs: must be a valid CIDR: "oops"']);
    assert.deepEqual(problems(() => resolveArgv(['--proxy-mode=ipvs', '--ipvs-tcp-timeout=-1s'])), ['--ipvs-tcp-timeout: must be greater than or equal to 0']);
    assert.deepEqual(problems(() => resolveArgv(['--iptables-masquerade-bit=32'])), ['--iptables-masquerade-bit: must be within the range [0, 31]: 32']);
    assert.deepEqual(problems(() => resolveArgv(['--conntrack-min=-1'])), ['--conntrack-min: must be greater than or equal to 0']);
    assert.deepEqual(problems(() => resolveArgv(['--conntrack-udp-timeout=-1s'])), ['--conntrack-udp-timeout: must be greater than or equal to 0']);
    assert.deepEqual(problems(() => resolveArgv(['--kube-api-burst=-1'])), ['--kube-api-burst: must be greater than or equal to 0']);
    assert.deepEqual(problems(() => resolveArgv(['--oom-score-adj=1001'])), ['--oom-score-adj: must be within the range [-1000, 1000]: 1001']);
    assert.deepEqual(problems(() => resolveArgv(['--config-sync-period=0s'])), ['--config-sync-period: must be greater than 0']);
    assert.deepEqual(problems(() => resolveArgv(['--healthz-bind-address=0.0.0.0:99999'])), ['--healthz-bind-address: must be IP:port with a port in 1..65535: "0.0.0.0:99999"']);
    assert.deepEqual(problems(() => resolveArgv(['--metrics-bind-address=localhost:10249'])), ['--metrics-bind-address: must be IP:port with a port in 1..65535: "localhost:10249"']);
    assert.deepEqual(problems(() => resolveArgv(['--cluster-cidr=10.0.0.0/8,10.1.0.0/16'])),
      ['--cluster-cidr: must be a CIDR or a dual-stack pair (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48): "10.0.0.0/8,10.1.0.0/16"']);
    assert.deepEqual(problems(() => resolveArgv(['--nodeport-addresses=primary,10.0.0.0/8'])), ['--nodeport-addresses: \'primary\' must be the only entry: ["primary","10.0.0.0/8"]']);
    assert.deepEqual(problems(() => resolveArgv(['--detect-local-mode=Magic'])), ['--detect-local-mode: must be one of ClusterCIDR, NodeCIDR, BridgeInterface, InterfaceNamePrefix: "Magic"']);
    assert.deepEqual(problems(() => resolveArgv(['--detect-local-mode=BridgeInterface'])), ['detectLocal.bridgeInterface: must be set when detectLocalMode is BridgeInterface']);
    assert.deepEqual(problems(() => resolveArgv(['--proxy-port-range=lots'])), ['--proxy-port-range: must be a port range such as 30000-32767: "lots"']);
    assert.deepEqual(problems(() => resolveArgv(['--service-proxy-name=not valid'])), ['--service-proxy-name: must be a valid label value: "not valid"']);
    assert.deepEqual(problems(() => resolveArgv(['--show-hidden-metrics-for-version=latest'])), ['--show-hidden-metrics-for-version: must be <major>.<minor>: "latest"']);
  });

  it('reports every problem at once', () => {
    assert.equal(problems(() => resolveArgv(['--iptables-sync-period=0s', '--oom-score-adj=5000', '--proxy-mode=x'])).length, 3);
  });

  it('parseCommandLine keeps only what was given', () => {
    const line = parseCommandLine(['--kubeconfig=/k', '--nodeport-addresses=a', '--nodeport-addresses=b']);
    assert.deepEqual([...line.given], [['kubeconfig', '/k'], ['nodeport-addresses', ['a', 'b']]]);
  });
});

describe('proxy config: KubeProxyConfiguration file', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'dp-proxy-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads a kube-proxy config: mode, nftables section, durations, YAML 1.1 booleans', () => {
    const p = file('a.yaml', `${header}mode: nftables\nclusterCIDR: 10.244.0.0/16\nnftables:\n  masqueradeAll: yes\n  masqueradeBit: 0\n  syncPeriod: 1m30s\n  minSyncPeriod: 500ms\n` +
      'clientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nconfigSyncPeriod: 10m\nserviceProxyName: dataplane\n');
    const c = toProxyConfig(resolve([`--config=${p}`]).config, 'n');
    assert.equal(c.syncPeriodMs, 90_000);
    assert.equal(c.minSyncPeriodMs, 500);
    assert.equal(c.masqueradeAll, true);
    assert.equal(c.masqueradeBit, 0, 'an explicit 0 stays (Go pointer semantics)');
    assert.equal(c.kubeconfig, '/var/lib/kube-proxy/kubeconfig.conf');
    assert.deepEqual(c.clusterCIDRs, ['10.244.0.0/16']);
    assert.equal(c.configSyncPeriodMs, 600_000);
    assert.equal(c.serviceProxyName, 'dataplane');
  });

  it('fields left out take the defaults; a zero duration takes the default too (Go\'s SetDefaults)', () => {
    const c = decodeConfiguration(`${header}nftables:\n  syncPeriod: 0s\n`);
    assert.equal(c.nftables.syncPeriod, 30 * S);
    assert.equal(c.iptables.masqueradeBit, 14);
    assert.equal(c.healthzBindAddress, '0.0.0.0:10256');
    assert.equal(decodeConfiguration(`${header}healthzBindAddress: 127.0.0.1\nmetricsBindAddress: "::1"\n`).metricsBindAddress, '[::1]:10249');
  });

  it('precedence: with --config, other flags are ignored; --hostname-override, -v and --master still apply', () => {
    const p = file('b.yaml', `${header}mode: nftables\nhostnameOverride: from-file\nnftables:\n  syncPeriod: 45s\n`);
    const r = resolve([`--config=${p}`, '--iptables-sync-period=5s', '--proxy-mode=ipvs', '--hostname-override=from-flag', '-v=4', '--master=http://10.0.0.1:8080']);
    const c = toProxyConfig(r.config, nodeNameOf(r.config), r.master);
    assert.equal(c.mode, 'nftables');
    assert.equal(c.syncPeriodMs, 45_000);
    assert.equal(c.nodeName, 'from-flag');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.master, 'http://10.0.0.1:8080');
    assert.deepEqual(r.ignoredFlags, ['--proxy-mode', '--iptables-sync-period']);
    assert.equal(toProxyConfig(resolve([`--config=${p}`]).config, 'x').mode, 'nftables');
    assert.equal(nodeNameOf(resolve([`--config=${p}`]).config), 'from-file');
  });

  it('rejects unknown fields with their path and line', () => {
    const p = file('c.yaml', `${header}nftables:\n  masqueradeAll: true\n  syncPeriodd: 5s\nbogus: 1\n`);
    const e = problems(() => resolve([`--config=${p}`]));
    assert.deepEqual(e, ['nftables.syncPeriodd: unknown field (line 5)', 'bogus: unknown field (line 6)']);
    try {
      resolve([`--config=${p}`]);
    } catch (err) {
      assert.match((err as Error).message, new RegExp(`^${p}: nftables.syncPeriodd: unknown field \\(line 5\\)\\n${p}: bogus: unknown field`));
    }
  });

  it('rejects wrong types, bad durations and nulls, naming each field', () => {
    const text = `${header}mode: 5\nbindAddressHardFail: maybe\nnftables:\n  masqueradeBit: 1.5\n  syncPeriod: 30\n  minSyncPeriod: 5x\n` +
      'clientConnection:\n  qps: lots\n  burst: 99999999999\nnodePortAddresses: primary\nfeatureGates:\n  Foo: 3\nconntrack: []\nhostnameOverride: null\n' +
      'logging:\n  verbosity: -1\n  flushFrequency: 5\n  vmodule:\n    - filePattern: x\n      verbosity: 2\n';
    assert.deepEqual(problems(() => decodeConfiguration(text, 'f')), [
      'mode: expected a string, got 5 (line 3)',
      'bindAddressHardFail: expected true or false, got "maybe" (line 4)',
      'nftables.masqueradeBit: expected an integer, got 1.5 (line 6)',
      'nftables.syncPeriod: expected a duration such as "5s" or "1m30s", got 30 (line 7)',
      'nftables.minSyncPeriod: time: unknown unit "x" in duration "5x" (line 8)',
      'clientConnection.qps: expected a number, got "lots" (line 10)',
      'clientConnection.burst: 99999999999 is out of range for a 32-bit integer (line 11)',
      'nodePortAddresses: expected a list (line 12)',
      'featureGates.Foo: expected true or false, got 3 (line 14)',
      'conntrack: expected a map (line 15)',
      'hostnameOverride: may not be null (line 16)',
      'logging.verbosity: -1 is out of range for an unsigned 32-bit integer (line 18)',
    ]);
  });

  it('rejects YAML errors, duplicate keys, several documents, an empty file, a wrong kind or apiVersion, a missing file', () => {
    assert.match(problems(() => decodeConfiguration(`${header}mode: [\n`))[0]!, /^\(yaml\): /);
    assert.match(problems(() => decodeConfiguration(`${header}mode: a\nmode: b\n`))[0]!, /^\(yaml\): Map keys must be unique/);
    assert.match(problems(() => decodeConfiguration(`${header}---\n${header}`))[0]!, /^\(yaml\): Source contains multiple documents/);
    assert.deepEqual(problems(() => decodeConfiguration('')), ['(top level): the file is empty']);
    assert.deepEqual(problems(() => decodeConfiguration('- a\n')), ['(top level): expected a map (line 1)']);
    assert.deepEqual(problems(() => decodeConfiguration('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n')),
      ['kind: must be KubeProxyConfiguration, got "KubeletConfiguration"']);
    assert.deepEqual(problems(() => decodeConfiguration('kind: KubeProxyConfiguration\n')), ['apiVersion: must be kubeproxy.config.k8s.io/v1alpha1, got ""']);
    assert.match(problems(() => resolve([`--config=${join(dir, 'missing.yaml')}`]))[0]!, /^--config: cannot read .*missing\.yaml: ENOENT/);
  });

  it('validation problems name the field path of the file', () => {
    const p = file('d.yaml', `${header}mode: ipvs\nipvs:\n  scheduler: fifo\n  syncPeriod: 5s\n  minSyncPeriod: 10s\nnodePortAddresses: [primary, 10.0.0.0/8]\nclusterCIDR: nope\n`);
    assert.deepEqual(problems(() => resolve([`--config=${p}`])), [
      'ipvs.syncPeriod: must be greater than or equal to the minimum sync period (10s)',
      'ipvs.scheduler: must be one of rr, wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh (blank means rr): "fifo"',
      'clusterCIDR: must be a CIDR or a dual-stack pair (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48): "nope"',
      "nodePortAddresses: 'primary' must be the only entry: [\"primary\",\"10.0.0.0/8\"]",
    ]);
  });

  it('accepts a complete kube-proxy v1alpha1 file (every field kube-proxy --write-config-to writes)', () => {
    const text = `${header}bindAddress: 0.0.0.0\nbindAddressHardFail: false\nclientConnection:\n  acceptContentTypes: ""\n  burst: 10\n  contentType: application/vnd.kubernetes.protobuf\n` +
      '  kubeconfig: ""\n  qps: 5\nclusterCIDR: ""\nconfigSyncPeriod: 15m0s\nconntrack:\n  maxPerCore: 32768\n  min: 131072\n  tcpBeLiberal: false\n' +
      '  tcpCloseWaitTimeout: 1h0m0s\n  tcpEstablishedTimeout: 24h0m0s\n  udpStreamTimeout: 0s\n  udpTimeout: 0s\ndetectLocal:\n  bridgeInterface: ""\n' +
      '  interfaceNamePrefix: ""\ndetectLocalMode: ""\nenableProfiling: false\nhealthzBindAddress: 0.0.0.0:10256\nhostnameOverride: ""\niptables:\n' +
      '  localhostNodePorts: true\n  masqueradeAll: false\n  masqueradeBit: 14\n  minSyncPeriod: 1s\n  syncPeriod: 30s\nipvs:\n  excludeCIDRs: null\n' +
      '  minSyncPeriod: 0s\n  scheduler: ""\n  strictARP: false\n  syncPeriod: 30s\n  tcpFinTimeout: 0s\n  tcpTimeout: 0s\n  udpTimeout: 0s\n' +
      'logging:\n  flushFrequency: 5s\n  format: text\n  options:\n    json:\n      infoBufferSize: "0"\n    text:\n      infoBufferSize: "0"\n  verbosity: 0\n' +
      'metricsBindAddress: 127.0.0.1:10249\nmode: ""\nnftables:\n  masqueradeAll: false\n  masqueradeBit: 14\n  minSyncPeriod: 1s\n  syncPeriod: 30s\n' +
      'nodePortAddresses: null\noomScoreAdj: -999\nportRange: ""\nshowHiddenMetricsForVersion: ""\nwinkernel:\n  enableDSR: false\n  forwardHealthCheckVip: false\n' +
      '  networkName: ""\n  rootHnsEndpointName: ""\n  sourceVip: ""\n';
    const c = decodeConfiguration(text);
    assert.deepEqual({ ...c, logging: undefined, featureGates: undefined }, { ...defaultConfiguration(), logging: undefined, featureGates: undefined });
  });

  it('--write-config-to writes the resolved configuration, which reads back the same', () => {
    const out = join(dir, 'written.yaml');
    const r = resolve(['--write-config-to', out, '--iptables-sync-period=45s', '--cluster-cidr=10.244.0.0/16']);
    assert.equal(r.writeConfigTo, out);
    writeFileSync(out, encodeConfiguration(r.config));
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^apiVersion: kubeproxy\.config\.k8s\.io\/v1alpha1$/m);
    assert.match(text, /^nftables:\n {2}masqueradeAll: false\n {2}masqueradeBit: 14\n {2}minSyncPeriod: 1s\n {2}syncPeriod: 45s$/m);
    assert.match(text, /^configSyncPeriod: 15m0s$/m);
    assert.match(text, /^clusterCIDR: 10\.244\.0\.0\/16$/m);
    assert.deepEqual(decodeConfiguration(text), r.config);
    assert.deepEqual(resolve([`--config=${out}`]).config, r.config);
  });
});

describe('proxy config: ProxyConfig and BackendOptions', () => {
  it('the mode picks its section (kube-proxy\'s v1alpha1 conversion)', () => {
    const cfg = defaultConfiguration();
    cfg.iptables.syncPeriod = 11 * S;
    cfg.iptables.masqueradeAll = true;
    cfg.nftables.syncPeriod = 22 * S;
    cfg.ipvs.syncPeriod = 33 * S;
    for (const [mode, sync, masq] of [['iptables', 11_000, true], ['nftables', 22_000, false], ['ipvs', 33_000, true]] as const) {
      const c = toProxyConfig({ ...cfg, mode }, 'n');
      assert.equal(c.syncPeriodMs, sync, mode);
      assert.equal(c.masqueradeAll, masq, mode);
    }
  });

  it('BackendOptions: families, local traffic detection by mode, masquerade, NodePort addresses', () => {
    const base = toProxyConfig(resolve(['--cluster-cidr=10.244.0.0/16']).config, 'n');
    assert.deepEqual(backendOptions(base, { families: [4, 6] }), {
      families: [4, 6], detectLocal: { mode: 'ClusterCIDR', cidrs: ['10.244.0.0/16'] }, masqueradeAll: false, masqueradeBit: 14, nodePortAddresses: { primary: true },
    });
    assert.deepEqual(backendOptions(toProxyConfig(resolve([]).config, 'n'), { families: [4] }).detectLocal, { mode: 'None' });
    const nodeCidr = toProxyConfig(resolve(['--detect-local-mode=NodeCIDR']).config, 'n');
    assert.deepEqual(backendOptions(nodeCidr, { families: [4], podCIDRs: ['10.244.1.0/24'] }).detectLocal, { mode: 'NodeCIDR', cidrs: ['10.244.1.0/24'] });
    const bridge = toProxyConfig(resolve(['--detect-local-mode=BridgeInterface', '--pod-bridge-interface=cbr0']).config, 'n');
    assert.deepEqual(backendOptions(bridge, { families: [4], netns: 'node1' }), {
      netns: 'node1', families: [4], detectLocal: { mode: 'BridgeInterface', interface: 'cbr0' }, masqueradeAll: false, masqueradeBit: 14, nodePortAddresses: { primary: true },
    });
    // iptables mode: localhost NodePorts on unless --iptables-localhost-nodeports=false, as kube-proxy.
    for (const [args, on] of [[[], true], [['--iptables-localhost-nodeports=false'], false]] as const) {
      const ipt = toProxyConfig(resolve(['--proxy-mode=iptables', ...args]).config, 'n');
      assert.deepEqual(backendOptions(ipt, { families: [4] }).iptables, { localhostNodePorts: on });
    }
  });

  it('the node name: hostname override, else the host name, lower-cased; empty is an error', () => {
    assert.equal(nodeNameOf(defaultConfiguration(), () => 'MyHost'), 'myhost');
    assert.deepEqual(problems(() => nodeNameOf(defaultConfiguration(), () => ' ')), ['hostnameOverride: the node name is empty (set --hostname-override)']);
  });
});
