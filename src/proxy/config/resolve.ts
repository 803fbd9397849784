// Flags + config file -> one validated KubeProxyConfiguration -> the typed
// ProxyConfig the server runs with, all before anything starts.
//
// Precedence is kube-proxy's (cmd/kube-proxy/app/options.go Complete): with
// --config, the file replaces every flag except --hostname-override, -v,
// --master, --cleanup, --init-only and --write-config-to (kube-proxy ignores
// the others silently; we also log which were ignored). Without --config the
// flags apply over the defaults, the mode-dependent ones (--*-sync-period,
// --masquerade-all) after the mode is known.
import { hostname } from 'node:os';
import { applyPlatformDefaults, appendPortIfNeeded, defaultConfiguration, HEALTHZ_PORT, METRICS_PORT } from './defaults.js';
import { ConfigError, Problems } from './errors.js';
import { FLAGS, parseCommandLine, type CommandLine, type FlagSpec } from './flags.js';
import { loadConfigurationFile } from './file.js';
import type { KubeProxyConfiguration } from './schema.js';
import { validateConfiguration } from './validate.js';

/** Flags that keep their effect when --config is given. */
const ALWAYS = new Set(['config', 'write-config-to', 'cleanup', 'init-only', 'master', 'hostname-override', 'v', 'vmodule', 'log-flush-frequency']);

/** What the command line asks for, with the merged, defaulted and validated configuration. */
export interface ResolvedCommandLine {
  readonly config: KubeProxyConfiguration;
  readonly configFile?: string;
  readonly writeConfigTo?: string;
  readonly cleanup: boolean;
  readonly initOnly: boolean;
  readonly master: string;
  /** Flags given together with --config, which therefore had no effect. */
  readonly ignoredFlags: readonly string[];
  /** Flags whose value could not apply in the chosen mode (e.g. --ipvs-sync-period in nftables mode). */
  readonly inertFlags: readonly string[];
  readonly deprecatedFlags: readonly string[];
}

function applyFlags(cfg: KubeProxyConfiguration, given: ReadonlyMap<string, unknown>, origins: Map<string, string>): string[] {
  const inert: string[] = [];
  const run = (f: FlagSpec): void => {
    if (f.apply === undefined || !given.has(f.name)) return;
    const path = (f.apply as (c: KubeProxyConfiguration, v: unknown) => string | undefined)(cfg, given.get(f.name));
    if (path === undefined) inert.push(`--${f.name}`);
    else origins.set(path, `--${f.name}`);
  };
  for (const f of FLAGS) if (f.late !== true) run(f);
  for (const f of FLAGS) if (f.late === true) run(f);
  // kube-proxy's addressFromDeprecatedFlags: port 0 disables the server; a
  // bare IP gets the port (an address that has one keeps it).
  for (const [flag, field, fallback] of [['healthz-port', 'healthzBindAddress', HEALTHZ_PORT], ['metrics-port', 'metricsBindAddress', METRICS_PORT]] as const) {
    const port = (given.get(flag) as number | undefined) ?? fallback;
    cfg[field] = port === 0 ? '' : appendPortIfNeeded(cfg[field], port);
    if (given.has(flag)) origins.set(field, `--${flag}`);
  }
  return inert;
}

function originOf(path: string, origins: ReadonlyMap<string, string>): string {
  for (let p = path; p !== ''; p = p.replace(/(\[\d+\]|\.[^.[]*)$/, '')) {
    const o = origins.get(p);
    if (o !== undefined) return o;
    if (!/[.[]/.test(p)) break;
  }
  return path;
}

/** The configuration a command line describes (flags, or --config plus the flags that always apply). */
export function resolveCommandLine(line: CommandLine): ResolvedCommandLine {
  const g = line.given;
  const configFile = g.get('config') as string | undefined;
  const origins = new Map<string, string>();
  let cfg: KubeProxyConfiguration;
  let inert: string[] = [];
  const ignored: string[] = [];
  if (configFile !== undefined && configFile !== '') {
    cfg = loadConfigurationFile(configFile);
    for (const name of g.keys()) if (!ALWAYS.has(name)) ignored.push(`--${name}`);
  } else {
    cfg = defaultConfiguration();
    inert = applyFlags(cfg, g, origins);
  }
  const problems = new Problems();
  if (g.has('hostname-override')) {
    const name = (g.get('hostname-override') as string).trim();
    if (name === '') problems.add('--hostname-override', 'empty hostname-override is invalid');
    cfg.hostnameOverride = name.toLowerCase();
    origins.set('hostnameOverride', '--hostname-override');
  }
  if (g.has('v')) {
    const v = g.get('v') as number;
    if (v < 0) problems.add('--v', `must be 0 or more: ${v}`);
    cfg.logging.verbosity = v;
    origins.set('logging.verbosity', '--v');
  }
  applyPlatformDefaults(cfg);
  const found = new Problems();
  validateConfiguration(cfg, found);
  for (const p of found.list) problems.add(originOf(p.field, origins), p.message);
  problems.throwIfAny(configFile !== undefined && origins.size === 0 ? configFile : undefined);
  return {
    config: cfg,
    ...(configFile !== undefined ? { configFile } : {}),
    ...(g.has('write-config-to') ? { writeConfigTo: g.get('write-config-to') as string } : {}),
    cleanup: g.get('cleanup') === true,
    initOnly: g.get('init-only') === true,
    master: (g.get('master') as string | undefined) ?? '',
    ignoredFlags: ignored,
    inertFlags: inert,
    deprecatedFlags: FLAGS.filter((f) => f.deprecated !== undefined && g.has(f.name)).map((f) => `--${f.name}`),
  };
}

/** parseCommandLine + resolveCommandLine. Throws ConfigError (naming the flag or field) on any problem. */
export function resolveArgv(argv: readonly string[]): ResolvedCommandLine | { help: string } {
  const line = parseCommandLine(argv);
  if (line.help) return { help: line.usage };
  return resolveCommandLine(line);
}

/** The node's name: hostnameOverride, else the host name; trimmed and lower-cased (kube-proxy's GetHostname). */
export function nodeNameOf(cfg: KubeProxyConfiguration, hostName: () => string = hostname): string {
  const name = (cfg.hostnameOverride !== '' ? cfg.hostnameOverride : hostName()).trim().toLowerCase();
  if (name === '') throw new ConfigError([{ field: 'hostnameOverride', message: 'the node name is empty (set --hostname-override)' }]);
  return name;
}
