// -j LOG (xt_log_info, revision 0): kernel log lines with a prefix.
import { readCString, writeCString, type Family } from '../wire.js';
import { checkBool, checkFixedString, checkKeys, checkUint, IptablesParseError, saveString, type Codec, type Decoder, type Wire } from './ext.js';

/** `-j LOG [--log-level L] [--log-prefix P] [--log-tcp-sequence] [--log-tcp-options] [--log-ip-options] [--log-uid] [--log-macdecode]`. */
export interface LogTarget {
  name: 'LOG';
  /** syslog level 0..7, default 4 (warning). */
  level?: number;
  /** At most 29 bytes. */
  prefix?: string;
  tcpSequence?: boolean;
  tcpOptions?: boolean;
  ipOptions?: boolean;
  uid?: boolean;
  macDecode?: boolean;
}

const DEFAULT_LEVEL = 4;
const PREFIX = 30;
const FLAGS = [['tcpSequence', 1, 'log-tcp-sequence'], ['tcpOptions', 2, 'log-tcp-options'], ['ipOptions', 4, 'log-ip-options'],
  ['uid', 8, 'log-uid'], ['macDecode', 0x20, 'log-macdecode']] as const;
const LEVELS: Record<string, number> = { alert: 1, crit: 2, debug: 7, emerg: 0, error: 3, info: 6, notice: 5, panic: 0, warning: 4 };

const WIRE: Wire = { kernel: 'LOG', revision: 0, size: 32 };

export const log: Codec<LogTarget> = {
  kind: 'target',
  name: 'LOG',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'level', 'prefix', ...FLAGS.map(([k]) => k)], what);
    if (v.level !== undefined) checkUint(v.level, `${what}.level`, 7);
    if (v.prefix !== undefined) checkFixedString(v.prefix, `${what}.prefix`, PREFIX);
    for (const [k] of FLAGS) checkBool(v[k], `${what}.${k}`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    b[at] = v.level ?? DEFAULT_LEVEL;
    b[at + 1] = FLAGS.reduce((m, [k, bit]) => m | (v[k] ? bit : 0), 0);
    if (v.prefix !== undefined) writeCString(b, at + 2, v.prefix, PREFIX);
  },
  save(v) {
    let out = v.prefix ? ` --log-prefix${saveString(v.prefix)}` : '';
    if ((v.level ?? DEFAULT_LEVEL) !== DEFAULT_LEVEL) out += ` --log-level ${v.level}`;
    for (const [k, , option] of FLAGS) if (v[k]) out += ` --${option}`;
    return out;
  },
  parser: {
    init: () => ({ name: 'LOG' }),
    options: {
      'log-level': {
        args: 1, apply(s, [a]) {
          const n = /^\d+$/.test(a!) ? Number(a) : LEVELS[a!];
          if (n === undefined || n > 7) throw new IptablesParseError(`log level "${a}" unknown`);
          if (n === DEFAULT_LEVEL) delete s.level;
          else s.level = n;
        },
      },
      'log-prefix': {
        args: 1, apply(s, [a]) {
          if (a === '') throw new IptablesParseError('LOG: "--log-prefix" requires a non-empty string');
          if (a!.includes('\n')) throw new IptablesParseError('Newlines not allowed in --log-prefix');
          if (Buffer.byteLength(a!) > PREFIX - 1) throw new IptablesParseError(`LOG: "--log-prefix" must be no longer than ${PREFIX - 1} characters`);
          s.prefix = a!;
        },
      },
      ...Object.fromEntries(FLAGS.map(([k, , option]) => [option, { args: 0 as const, apply(s: LogTarget) { s[k] = true; } }])),
    },
  },
};

export const logDecoder: Decoder = {
  kind: 'target',
  kernel: 'LOG',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 32 || b[at]! > 7 || b[at + 1]! & ~0x2f || b[at + 1]! & 0x10) return undefined;
    const v: LogTarget = { name: 'LOG' };
    if (b[at] !== DEFAULT_LEVEL) v.level = b[at]!;
    const prefix = readCString(b, at + 2, PREFIX);
    if (prefix !== '') v.prefix = prefix;
    for (const [k, bit] of FLAGS) if (b[at + 1]! & bit) v[k] = true;
    return v;
  },
};
