// -m recent (xt_recent, revision 1 with a mask; revision 0 read too): the
// address lists of /proc/net/xt_recent, which kube-proxy uses for ClientIP
// session affinity.
import { readAddress, readCString, u32, put32, writeCString, type Family } from '../wire.js';
import { tryParseIp } from '../../addr.js';
import { checkFixedString, checkKeys, checkUint, IptablesParseError, parseUint, saveWord, type Codec, type Decoder, type Wire } from './ext.js';

/**
 * `-m recent [!] --set|--rcheck|--update|--remove [--seconds S] [--reap]
 * [--hitcount N] [--rttl] --name LIST [--mask MASK] [--rsource|--rdest]`.
 */
export interface RecentMatch {
  name: 'recent';
  mode: 'set' | 'rcheck' | 'update' | 'remove';
  /** The list's name (--name), default 'DEFAULT'. */
  list?: string;
  seconds?: number;
  hitCount?: number;
  reap?: boolean;
  rttl?: boolean;
  /** Which address goes in the list: source (default) or destination. */
  side?: 'source' | 'destination';
  /** Address mask (--mask); absent: all ones (iptables' default). */
  mask?: string;
  invert?: boolean;
  /** 0: the struct without a mask (as read from the kernel); default 1. */
  revision?: 0 | 1;
}

const CHECK = 1;
const SET = 2;
const UPDATE = 4;
const REMOVE = 8;
const TTL = 16;
const REAP = 32;
const MODES = { rcheck: CHECK, set: SET, update: UPDATE, remove: REMOVE } as const;
const NAME_LEN = 200;
const SIDE = 210;
const MASK = 212;

function maskBytes(mask: string | undefined, family: Family): Uint8Array {
  if (mask === undefined) return new Uint8Array(16).fill(0xff);
  const ip = tryParseIp(mask);
  if (ip === undefined || ip.family !== family) throw new TypeError(`recent mask must be an IPv${family} address`);
  const out = new Uint8Array(16);
  out.set(ip.bytes);
  return out;
}

const WIRE0: Wire = { kernel: 'recent', revision: 0, size: 211 };
const WIRE1: Wire = { kernel: 'recent', revision: 1, size: 228 };

export const recent: Codec<RecentMatch> = {
  kind: 'match',
  name: 'recent',
  check(v, family, what) {
    checkKeys(v, ['name', 'mode', 'list', 'seconds', 'hitCount', 'reap', 'rttl', 'side', 'mask', 'invert', 'revision'], what);
    if (!(v.mode in MODES)) throw new TypeError(`${what}.mode must be set, rcheck, update or remove`);
    if (v.list !== undefined) checkFixedString(v.list, `${what}.list`, NAME_LEN, false);
    if (v.seconds !== undefined) checkUint(v.seconds, `${what}.seconds`, 0xffffffff);
    if (v.hitCount !== undefined) checkUint(v.hitCount, `${what}.hitCount`, 0xffffffff);
    if (v.side !== undefined && v.side !== 'source' && v.side !== 'destination') throw new TypeError(`${what}.side must be source or destination`);
    if (v.revision !== undefined && v.revision !== 0 && v.revision !== 1) throw new RangeError(`${what}.revision must be 0 or 1`);
    if (v.mask !== undefined) {
      if (v.revision === 0) throw new RangeError(`${what}: revision 0 has no mask`);
      maskBytes(v.mask, family);
    }
  },
  wire: (v) => (v.revision === 0 ? WIRE0 : WIRE1),
  encode(v, b, at, ctx) {
    put32(b, at, v.seconds ?? 0);
    put32(b, at + 4, v.hitCount ?? 0);
    b[at + 8] = MODES[v.mode] | (v.rttl ? TTL : 0) | (v.reap ? REAP : 0);
    b[at + 9] = v.invert ? 1 : 0;
    // iptables writes DEFAULT first, then --name over it up to its NUL: a
    // shorter name leaves the rest of DEFAULT behind it, which the kernel keeps.
    writeCString(b, at + 10, 'DEFAULT', NAME_LEN);
    if (v.list !== undefined) {
      writeCString(b, at + 10, v.list, NAME_LEN);
      b[at + 10 + Buffer.byteLength(v.list)] = 0;
    }
    b[at + SIDE] = v.side === 'destination' ? 1 : 0;
    if (v.revision !== 0) b.set(maskBytes(v.mask, ctx.family), at + MASK);
  },
  save(v, ctx) {
    let out = `${v.invert ? ' !' : ''} --${v.mode}`;
    if (v.seconds) out += ` --seconds ${v.seconds}`;
    if (v.reap) out += ' --reap';
    if (v.hitCount) out += ` --hitcount ${v.hitCount}`;
    if (v.rttl) out += ' --rttl';
    out += ` --name${saveWord(v.list ?? 'DEFAULT')}`;
    if (v.revision !== 0) {
      out += ` --mask ${v.mask ?? (ctx.family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')}`;
    }
    return `${out} ${v.side === 'destination' ? '--rdest' : '--rsource'}`;
  },
  parser: {
    init: () => ({ name: 'recent', mode: 'set' }),
    options: {
      ...Object.fromEntries(Object.keys(MODES).map((mode) => [mode, {
        args: 0 as const, invert: true, apply(s: RecentMatch, _a: string[], inv: boolean) {
          s.mode = mode as RecentMatch['mode'];
          if (inv) s.invert = true;
        },
      }])),
      seconds: { args: 1, apply(s, [a]) { s.seconds = parseUint(a!, '--seconds'); } },
      hitcount: { args: 1, apply(s, [a]) { s.hitCount = parseUint(a!, '--hitcount'); } },
      reap: { args: 0, apply(s) { s.reap = true; } },
      rttl: { args: 0, apply(s) { s.rttl = true; } },
      name: {
        args: 1, apply(s, [a]) {
          if (Buffer.byteLength(a!) > NAME_LEN - 1) throw new IptablesParseError('recent: "--name" is too long');
          s.list = a!;
        },
      },
      rsource: { args: 0, apply(s) { delete s.side; } },
      rdest: { args: 0, apply(s) { s.side = 'destination'; } },
      mask: {
        args: 1, apply(s, [a], _inv, ctx) {
          const ip = tryParseIp(a!);
          if (ip === undefined || ip.family !== ctx.family) throw new IptablesParseError(`recent: bad --mask ${JSON.stringify(a)}`);
          s.mask = readAddress(ip.bytes, 0, ctx.family);
        },
      },
    },
    finish(s, _ctx, seen) {
      const modes = Object.keys(MODES).filter((m) => seen.has(m));
      if (modes.length === 0) throw new IptablesParseError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
      if (modes.length > 1) throw new IptablesParseError(`recent: "--${modes[1]}" and "--${modes[0]}" cannot be used together`);
      if (s.list === 'DEFAULT') delete s.list;
    },
  },
};

export const recentDecoder: Decoder = {
  kind: 'match',
  kernel: 'recent',
  decode(b, at, len, revision, ctx) {
    if ((revision !== 0 && revision !== 1) || len < (revision === 0 ? 211 : 228)) return undefined;
    const checkSet = b[at + 8]!;
    const mode = Object.entries(MODES).find(([, bit]) => (checkSet & ~(TTL | REAP)) === bit);
    if (mode === undefined || b[at + 9]! > 1 || b[at + SIDE]! > 1) return undefined;
    const m: RecentMatch = { name: 'recent', mode: mode[0] as RecentMatch['mode'] };
    const list = readCString(b, at + 10, NAME_LEN);
    if (list !== 'DEFAULT') m.list = list;
    if (u32(b, at) !== 0) m.seconds = u32(b, at);
    if (u32(b, at + 4) !== 0) m.hitCount = u32(b, at + 4);
    if (checkSet & REAP) m.reap = true;
    if (checkSet & TTL) m.rttl = true;
    if (b[at + SIDE] === 1) m.side = 'destination';
    if (b[at + 9]) m.invert = true;
    if (revision === 0) m.revision = 0;
    else {
      const bytes = b.subarray(at + MASK, at + MASK + 16);
      if (!bytes.every((x) => x === 0xff)) {
        if (ctx.family === 4 && !bytes.subarray(4).every((x) => x === 0)) return undefined;
        m.mask = readAddress(bytes, 0, ctx.family);
      }
    }
    return m;
  },
};
