// log: `log prefix "dropped: " level warn`, `log group 2`.
import * as U from '../uapi.js';
import { register } from './spec.js';

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
});
