// -m statistic (xt_statistic, revision 0): random with a probability, or
// every n-th packet.
import { put16, put32, u16, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type Wire } from './ext.js';

/**
 * `-m statistic --mode random [!] --probability P` or
 * `-m statistic --mode nth [!] --every N [--packet P]`.
 */
export interface StatisticMatch {
  name: 'statistic';
  mode: 'random' | 'nth';
  /** random: 0..1, kept by the kernel in 1/2^31 steps. */
  probability?: number;
  /** nth: match one packet in `every`. */
  every?: number;
  /** nth: which one (0..every-1), default 0. */
  packet?: number;
  invert?: boolean;
}

const TWO31 = 0x80000000;

/** printf("%.11f", v / 2^31) exactly, with glibc's round-half-to-even. */
export function probabilityText(v: number): string {
  const scaled = BigInt(v) * 100000000000n;
  const den = BigInt(TWO31);
  let q = scaled / den;
  const twice = (scaled % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  const digits = q.toString().padStart(12, '0');
  return `${digits.slice(0, -11)}.${digits.slice(-11)}`;
}

/** The kernel's value for a probability (iptables: lround(2^31 * p)). */
export const probabilityValue = (p: number): number => Math.round(TWO31 * p);

const WIRE: Wire = { kernel: 'statistic', revision: 0, size: 24 };

export const statistic: Codec<StatisticMatch> = {
  kind: 'match',
  name: 'statistic',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'mode', 'probability', 'every', 'packet', 'invert'], what);
    if (v.mode === 'random') {
      if (typeof v.probability !== 'number' || !(v.probability >= 0 && v.probability <= 1)) {
        throw new RangeError(`${what}.probability must be a number in 0..1`);
      }
      if (v.every !== undefined || v.packet !== undefined) throw new TypeError(`${what}: every/packet are for mode nth`);
    } else if (v.mode === 'nth') {
      checkUint(v.every, `${what}.every`, 0xffffffff, 1);
      if (v.packet !== undefined) checkUint(v.packet, `${what}.packet`, v.every! - 1);
      if (v.probability !== undefined) throw new TypeError(`${what}: probability is for mode random`);
    } else {
      throw new TypeError(`${what}.mode must be 'random' or 'nth'`);
    }
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put16(b, at, v.mode === 'nth' ? 1 : 0);
    put16(b, at + 2, v.invert ? 1 : 0);
    // iptables fills count as every - packet, which in random mode is the
    // probability (the union puts it where `every` is); the kernel keeps it.
    if (v.mode === 'random') {
      const p = probabilityValue(v.probability!);
      put32(b, at + 4, p);
      put32(b, at + 12, p);
    } else {
      const every = v.every! - 1;
      const packet = v.packet ?? 0;
      put32(b, at + 4, every);
      put32(b, at + 8, packet);
      put32(b, at + 12, every - packet);
    }
  },
  save(v) {
    const inv = v.invert ? ' !' : '';
    if (v.mode === 'random') return ` --mode random${inv} --probability ${probabilityText(probabilityValue(v.probability!))}`;
    return ` --mode nth${inv} --every ${v.every} --packet ${v.packet ?? 0}`;
  },
  parser: {
    init: () => ({ name: 'statistic', mode: 'random' }),
    options: {
      mode: {
        args: 1, apply(s, [a]) {
          if (a !== 'random' && a !== 'nth') throw new IptablesParseError(`Bad mode "${a}"`);
          s.mode = a;
        },
      },
      probability: {
        args: 1, invert: true, apply(s, [a], inv) {
          const p = Number(a);
          if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(a!) || !(p >= 0 && p <= 1)) {
            throw new IptablesParseError(`statistic: bad value for option "--probability", or out of range (0-1).`);
          }
          s.probability = p;
          if (inv) s.invert = true;
        },
      },
      every: {
        args: 1, invert: true, apply(s, [a], inv) {
          s.every = parseUint(a!, '--every', 1);
          if (inv) s.invert = true;
        },
      },
      packet: { args: 1, apply(s, [a]) { s.packet = parseUint(a!, '--packet'); } },
    },
    finish(s, _ctx, seen) {
      if (!seen.has('mode')) throw new IptablesParseError('statistic: option "--mode" must be specified');
      if (s.mode === 'random') {
        if (!seen.has('probability')) throw new IptablesParseError('--probability must be specified when using random mode');
        if (seen.has('every') || seen.has('packet')) throw new IptablesParseError('statistic: --every/--packet are for nth mode');
      } else {
        if (!seen.has('every') && !seen.has('packet')) throw new IptablesParseError('--every and --packet must be specified when using nth mode');
        if (!seen.has('every')) throw new IptablesParseError('statistic: option "--packet" also requires "--every".');
        if (!seen.has('packet')) throw new IptablesParseError('statistic: option "--every" also requires "--packet".');
        if (seen.has('probability')) throw new IptablesParseError('statistic: --probability is for random mode');
        if ((s.packet ?? 0) > s.every! - 1) throw new IptablesParseError('the --packet p must be 0 <= p <= n-1');
        if (s.packet === 0) delete s.packet;
      }
    },
  },
};

export const statisticDecoder: Decoder = {
  kind: 'match',
  kernel: 'statistic',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 16) return undefined;
    const mode = u16(b, at);
    const flags = u16(b, at + 2);
    if (mode > 1 || flags > 1) return undefined;
    const m: StatisticMatch = mode === 0
      ? { name: 'statistic', mode: 'random', probability: u32(b, at + 4) / TWO31 }
      : { name: 'statistic', mode: 'nth', every: u32(b, at + 4) + 1 };
    if (mode === 1 && u32(b, at + 8) !== 0) m.packet = u32(b, at + 8);
    // Only what iptables writes re-encodes to the same bytes; anything else stays raw.
    const count = u32(b, at + 12);
    if (mode === 0 ? count !== u32(b, at + 4) || u32(b, at + 8) !== 0 : count !== u32(b, at + 4) - u32(b, at + 8)) return undefined;
    if (flags) m.invert = true;
    return m;
  },
};
