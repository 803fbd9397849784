// log: `log prefix "dropped: " level warn`, `log group 2 queue-threshold 2`, `log flags tcp sequence,options`.
import type { Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

export interface LogExpr {
  type: 'log';
  prefix?: string;
  group?: number;
  snaplen?: number;
  qthreshold?: number;
  /** Syslog level 0-7 (8 = audit). */
  level?: number;
  /** NF_LOG_* bits. */
  flags?: number;
}

const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];
const NF_LOG_MASK = 0x2f;

/** log_stmt_print. */
export class LogStmt implements Stmt {
  readonly kind = 'log';
  constructor(readonly e: LogExpr) {}
  print(): string {
    const e = this.e;
    let t = 'log';
    if (e.prefix !== undefined) t += ` prefix "${e.prefix}"`;
    if (e.group !== undefined) t += ` group ${e.group}`;
    if (e.snaplen !== undefined) t += ` snaplen ${e.snaplen}`;
    if (e.qthreshold !== undefined) t += ` queue-threshold ${e.qthreshold}`;
    if (e.level !== undefined && e.level !== 4) t += ` level ${LEVELS[e.level] ?? 'unknown'}`;
    const f = e.flags ?? 0;
    if ((f & NF_LOG_MASK) === NF_LOG_MASK) return `${t} flags all`;
    if (f & (U.NF_LOG_TCPSEQ | U.NF_LOG_TCPOPT)) {
      t += ' flags tcp';
      if (f & U.NF_LOG_TCPSEQ) t += ' sequence';
      if (f & U.NF_LOG_TCPOPT) t += `${f & U.NF_LOG_TCPSEQ ? ',' : ' '}options`;
    }
    if (f & U.NF_LOG_IPOPT) t += ' flags ip options';
    if (f & U.NF_LOG_UID) t += ' flags skuid';
    if (f & U.NF_LOG_MACDECODE) t += ' flags ether';
    return t;
  }
}

export const log = register({
  name: 'log',
  fields: [
    { key: 'prefix', attr: U.NFTA_LOG_PREFIX, kind: 'str' },
    { key: 'group', attr: U.NFTA_LOG_GROUP, kind: 'be16' },
    { key: 'snaplen', attr: U.NFTA_LOG_SNAPLEN, kind: 'be32' },
    { key: 'qthreshold', attr: U.NFTA_LOG_QTHRESHOLD, kind: 'be16' },
    { key: 'level', attr: U.NFTA_LOG_LEVEL, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_LOG_FLAGS, kind: 'be32' },
  ],
  delinearize: ((e: LogExpr, p: RuleParser) => p.emit(new LogStmt(e))) as never,
  // A log level of warn (the kernel's default, which it lists) is nft's `log`
  // without a level; with a group (nflog) no level or flags go out at all.
  recreate: (e) => without(e, (k, v) => (e.group !== undefined ? k === 'level' || k === 'flags' : (k === 'level' && v === 4) || (k === 'flags' && v === 0))),
});
