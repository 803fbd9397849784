// Logging: pino, structured JSON lines on stderr (where kube-proxy's klog
// writes), at the level --v maps to. The model, runner and backends take a
// ProxyLogger, which a pino logger satisfies; tests pass silentLogger.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/proxy-config.js';

type LogFn = (obj: object, msg?: string) => void;

/** The logging calls the proxy makes (a subset of pino's Logger). */
export interface ProxyLogger {
  readonly error: LogFn;
  readonly warn: LogFn;
  readonly info: LogFn;
  readonly debug: LogFn;
  readonly trace: LogFn;
}

const nothing: LogFn = () => {};

/** Discards everything. */
export const silentLogger: ProxyLogger = { error: nothing, warn: nothing, info: nothing, debug: nothing, trace: nothing };

/** The binary's logger: JSON lines on stderr, written synchronously so nothing is lost at exit. */
export function createLogger(level: LogLevel | 'silent' = 'info'): Logger {
  return pino({ name: 'dataplane-proxy', level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
