// -m limit (xt_rateinfo, revision 0): a token bucket. The kernel keeps its
// own state after `burst` and reads back zeros there.
import { put32, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type Wire } from './ext.js';

/** `-m limit [--limit N/UNIT] [--limit-burst N]`. */
export interface LimitMatch {
  name: 'limit';
  /** Average rate, e.g. '5/min', '3/hour' (default), '10/second'. */
  limit?: string;
  /** Default 5. */
  burst?: number;
}

const SCALE = 10000;
const DEFAULT_BURST = 5;
// rates[] of libxt_limit, largest first.
const RATES: readonly [string, number][] = [['day', SCALE * 86400], ['hour', SCALE * 3600], ['min', SCALE * 60], ['sec', SCALE]];

/** parse_rate: N[/second|minute|hour|day (any prefix)] -> the kernel's average (SCALE * seconds / N). */
export function rateValue(s: string, what: string): number {
  const m = /^(\d+)(?:\/(.*))?$/.exec(s);
  let mult = 1;
  if (m !== null && m[2] !== undefined) {
    const unit = m[2].toLowerCase();
    const found = unit === '' ? undefined : [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]].find(([u]) => (u as string).startsWith(unit));
    if (found === undefined) throw new IptablesParseError(`${what}: bad rate "${s}"`);
    mult = found[1] as number;
  }
  const n = m === null ? 0 : Number(m[1]);
  if (n === 0) throw new IptablesParseError(`${what}: bad rate "${s}"`);
  const v = Math.floor((SCALE * mult) / n);
  if (v === 0) throw new IptablesParseError(`Rate too fast "${s}"`);
  return v >>> 0;
}

/** print_rate: the largest unit the average divides into evenly enough. */
export function rateText(period: number): string {
  if (period === 0) return 'inf';
  let i = 1;
  for (; i < RATES.length; i++) {
    const mult = RATES[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATES[i - 1]!;
  return `${Math.floor(mult / period)}/${name}`;
}

const WIRE: Wire = { kernel: 'limit', revision: 0, size: 40 };

export const limit: Codec<LimitMatch> = {
  kind: 'match',
  name: 'limit',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'limit', 'burst'], what);
    if (v.limit !== undefined) {
      try {
        rateValue(v.limit, `${what}.limit`);
      } catch (e) {
        throw new RangeError((e as Error).message);
      }
    }
    if (v.burst !== undefined) checkUint(v.burst, `${what}.burst`, 10000);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put32(b, at, rateValue(v.limit ?? '3/hour', 'limit'));
    put32(b, at + 4, v.burst ?? DEFAULT_BURST);
  },
  save(v) {
    const burst = v.burst ?? DEFAULT_BURST;
    return ` --limit ${rateText(rateValue(v.limit ?? '3/hour', 'limit'))}${burst !== DEFAULT_BURST ? ` --limit-burst ${burst}` : ''}`;
  },
  parser: {
    init: () => ({ name: 'limit' }),
    options: {
      limit: { args: 1, apply(s, [a]) { rateValue(a!, 'limit'); s.limit = a!; } },
      'limit-burst': { args: 1, apply(s, [a]) { s.burst = parseUint(a!, '--limit-burst', 0, 10000); } },
    },
    finish(s) {
      if (s.limit !== undefined) s.limit = rateText(rateValue(s.limit, 'limit'));
      if (s.burst === DEFAULT_BURST) delete s.burst;
    },
  },
};

export const limitDecoder: Decoder = {
  kind: 'match',
  kernel: 'limit',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 8) return undefined;
    for (let i = 8; i < len; i++) if (b[at + i] !== 0) return undefined;
    const avg = u32(b, at);
    const text = rateText(avg);
    // A rate that does not print back to the same value stays raw.
    if (avg === 0 || text.startsWith('0/')) return undefined;
    const m: LimitMatch = { name: 'limit', limit: text };
    const burst = u32(b, at + 4);
    if (burst !== DEFAULT_BURST) m.burst = burst;
    return m;
  },
};
