// -j NFLOG (xt_nflog_info, revision 0): packets to a netlink log group.
import { put16, put32, readCString, u16, u32, writeCString, type Family } from '../wire.js';
import { checkFixedString, checkKeys, checkUint, IptablesParseError, parseUint, saveString, type Codec, type Decoder, type Wire } from './ext.js';

/** `-j NFLOG [--nflog-group N] [--nflog-prefix P] [--nflog-size N] [--nflog-threshold N]`. */
export interface NflogTarget {
  name: 'NFLOG';
  group?: number;
  /** At most 63 bytes. */
  prefix?: string;
  /** Bytes to copy (--nflog-size). */
  size?: number;
  /** The old --nflog-range (never worked; kept so such rules read back as they are). */
  range?: number;
  threshold?: number;
}

const COPY_LEN = 1;
const PREFIX = 64;

const WIRE: Wire = { kernel: 'NFLOG', revision: 0, size: 76 };

export const nflog: Codec<NflogTarget> = {
  kind: 'target',
  name: 'NFLOG',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'group', 'prefix', 'size', 'range', 'threshold'], what);
    if (v.group !== undefined) checkUint(v.group, `${what}.group`, 0xffff);
    if (v.threshold !== undefined) checkUint(v.threshold, `${what}.threshold`, 0xffff);
    if (v.size !== undefined) checkUint(v.size, `${what}.size`, 0xffffffff);
    if (v.range !== undefined) checkUint(v.range, `${what}.range`, 0xffffffff);
    if (v.size !== undefined && v.range !== undefined) throw new TypeError(`${what}: size and range exclude each other`);
    if (v.prefix !== undefined) checkFixedString(v.prefix, `${what}.prefix`, PREFIX);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put32(b, at, v.size ?? v.range ?? 0);
    put16(b, at + 4, v.group ?? 0);
    put16(b, at + 6, v.threshold ?? 0);
    put16(b, at + 8, v.size !== undefined ? COPY_LEN : 0);
    if (v.prefix !== undefined) writeCString(b, at + 12, v.prefix, PREFIX);
  },
  save(v) {
    let out = v.prefix ? ` --nflog-prefix${saveString(v.prefix)}` : '';
    if (v.group) out += ` --nflog-group ${v.group}`;
    if (v.size !== undefined) out += ` --nflog-size ${v.size}`;
    else if (v.range) out += ` --nflog-range ${v.range}`;
    if (v.threshold) out += ` --nflog-threshold ${v.threshold}`;
    return out;
  },
  parser: {
    init: () => ({ name: 'NFLOG' }),
    options: {
      'nflog-group': { args: 1, apply(s, [a]) { s.group = parseUint(a!, '--nflog-group', 0, 0xffff); } },
      'nflog-prefix': {
        args: 1, apply(s, [a]) {
          if (a === '') throw new IptablesParseError('NFLOG: "--nflog-prefix" requires a non-empty string');
          if (a!.includes('\n')) throw new IptablesParseError('Newlines not allowed in --log-prefix');
          s.prefix = Buffer.from(a!, 'utf8').subarray(0, PREFIX - 1).toString('utf8');
        },
      },
      'nflog-range': { args: 1, apply(s, [a]) { if (s.size !== undefined) throw new IptablesParseError('NFLOG: --nflog-range and --nflog-size exclude each other'); s.range = parseUint(a!, '--nflog-range'); } },
      'nflog-size': { args: 1, apply(s, [a]) { if (s.range !== undefined) throw new IptablesParseError('NFLOG: --nflog-range and --nflog-size exclude each other'); s.size = parseUint(a!, '--nflog-size'); } },
      'nflog-threshold': { args: 1, apply(s, [a]) { s.threshold = parseUint(a!, '--nflog-threshold', 0, 0xffff); } },
    },
    finish(s) {
      if (s.group === 0) delete s.group;
      if (s.threshold === 0) delete s.threshold;
      if (s.range === 0) delete s.range;
    },
  },
};

export const nflogDecoder: Decoder = {
  kind: 'target',
  kernel: 'NFLOG',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 76 || u16(b, at + 8) & ~COPY_LEN || u16(b, at + 10) !== 0) return undefined;
    const v: NflogTarget = { name: 'NFLOG' };
    const prefix = readCString(b, at + 12, PREFIX);
    if (prefix !== '') v.prefix = prefix;
    if (u16(b, at + 4)) v.group = u16(b, at + 4);
    if (u16(b, at + 8) & COPY_LEN) v.size = u32(b, at);
    else if (u32(b, at)) v.range = u32(b, at);
    if (u16(b, at + 6)) v.threshold = u16(b, at + 6);
    return v;
  },
};
