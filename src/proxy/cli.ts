// The `dataplane-proxy` command, callable in-process (main.ts is the
// binary's entry). Order of events, as kube-proxy's: resolve
// flags and --config into one validated configuration (a bad flag or field
// exits 2, naming it, before anything else happens); --write-config-to
// writes it and exits; the mode must have a backend; CAP_NET_ADMIN is
// required; --cleanup removes every backend's state and exits; otherwise
// the proxy runs until SIGTERM/SIGINT (which leave the rules in place).
import { writeFileSync } from 'node:fs';
import { implementedModes, backendFactory, ModeNotImplementedError } from './backend/registry.js';
import { requireNetAdmin } from './caps.js';
import { ConfigError } from './config/errors.js';
import { writeConfigurationFile } from './config/file.js';
import { backendOptions, toProxyConfig, type ProxyConfig } from './config/proxy-config.js';
import { nodeNameOf, resolveArgv, type ResolvedCommandLine } from './config/resolve.js';
import { createLogger, type ProxyLogger } from './log.js';
import { detectFamilies } from './host.js';

/** Exit codes: 2 for a bad command line or configuration, 1 for a failure at run time. */
export const EXIT_CONFIG = 2;
export const EXIT_FAILURE = 1;

function fail(message: string, code: number): number {
  process.stderr.write(`dataplane-proxy: ${message.split('\n').join('\ndataplane-proxy: ')}\n`);
  return code;
}

/** /proc/self/oom_score_adj (kube-proxy's --oom-score-adj); a failure is only logged. */
function setOomScoreAdj(value: number | null, log: ProxyLogger): void {
  if (value === null) return;
  try {
    writeFileSync('/proc/self/oom_score_adj', String(value));
  } catch (e) {
    log.warn({ value, err: (e as Error).message }, 'Cannot set oom_score_adj');
  }
}

async function cleanup(cfg: ProxyConfig, log: ProxyLogger): Promise<number> {
  let failed = 0;
  for (const mode of implementedModes()) {
    try {
      const backend = await (await backendFactory(mode))(backendOptions(cfg, { families: detectFamilies() }), log);
      await backend.cleanup();
      await backend.close();
      log.info({ mode }, 'Cleaned up');
    } catch (e) {
      failed++;
      log.error({ mode, err: (e as Error).message }, 'Cleanup failed');
    }
  }
  return failed === 0 ? 0 : EXIT_FAILURE;
}

function warnAboutFlags(r: ResolvedCommandLine, log: ProxyLogger): void {
  if (r.ignoredFlags.length > 0) log.warn({ flags: r.ignoredFlags, config: r.configFile }, 'Flags ignored because --config is given (as in kube-proxy)');
  if (r.inertFlags.length > 0) log.warn({ flags: r.inertFlags, mode: r.config.mode }, 'Flags without effect in this proxy mode');
  if (r.deprecatedFlags.length > 0) log.warn({ flags: r.deprecatedFlags }, 'Deprecated flags');
}

/** Runs until SIGTERM/SIGINT (exit 0) or a fatal condition of the server (exit 1). */
async function run(cfg: ProxyConfig, log: ProxyLogger): Promise<number> {
  // Loaded only to run: @kubernetes/client-node costs ~1 s to import.
  const { ProxyServer } = await import('./server.js');
  let fatal: (e: Error) => void = () => {};
  const failed = new Promise<number>((resolve) => { fatal = (e) => { log.error({ err: e.message }, 'Exiting'); resolve(EXIT_FAILURE); }; });
  const server = await ProxyServer.start({ config: cfg, log, onFatal: (e) => fatal(e) });
  const signalled = new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'Stopping (rules stay in place)');
      void server.stop().then(() => resolve(0), () => resolve(EXIT_FAILURE));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return Promise.race([signalled, failed]);
}

/** Runs the binary with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let resolved;
  try {
    resolved = resolveArgv(argv);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message, EXIT_CONFIG);
    throw e;
  }
  if ('help' in resolved) {
    process.stdout.write(resolved.help);
    return 0;
  }
  let cfg: ProxyConfig;
  try {
    cfg = toProxyConfig(resolved.config, resolved.writeConfigTo !== undefined || resolved.cleanup ? 'unused' : nodeNameOf(resolved.config), resolved.master);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message, EXIT_CONFIG);
    throw e;
  }
  const log = createLogger(cfg.logLevel);
  warnAboutFlags(resolved, log);
  if (resolved.writeConfigTo !== undefined) {
    writeConfigurationFile(resolved.writeConfigTo, resolved.config);
    log.info({ file: resolved.writeConfigTo }, 'Wrote configuration');
    return 0;
  }
  if (!resolved.cleanup && !implementedModes().includes(cfg.mode)) return fail(new ModeNotImplementedError(cfg.mode).message, EXIT_CONFIG);
  try {
    requireNetAdmin();
  } catch (e) {
    return fail((e as Error).message, EXIT_FAILURE);
  }
  if (resolved.cleanup) return cleanup(cfg, log);
  if (resolved.initOnly) {
    const backend = await (await backendFactory(cfg.mode))(backendOptions(cfg, { families: detectFamilies() }), log);
    await backend.setup();
    await backend.close();
    return 0;
  }
  setOomScoreAdj(cfg.oomScoreAdj, log);
  return run(cfg, log);
}
