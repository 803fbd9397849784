// IPVS counters of a service or real server: 64-bit, as bigint.
import type { StatsOut } from './wire.js';

/**
 * Counters and rates, as `ipvsadm -Ln --stats` / `--rate` show them. The
 * kernel folds per-CPU counters in every 2 s, so fresh traffic shows up late.
 */
export interface Stats {
  connections: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  /** Rates per second, from the kernel's estimator. */
  connectionRate: bigint;
  inPacketRate: bigint;
  outPacketRate: bigint;
  inByteRate: bigint;
  outByteRate: bigint;
  /** False when the kernel had no 64-bit nest (STATS64) and the 32-bit one was used. */
  wide: boolean;
}

const FIELDS = ['connections', 'inPackets', 'outPackets', 'inBytes', 'outBytes',
  'connectionRate', 'inPacketRate', 'outPacketRate', 'inByteRate', 'outByteRate'] as const;

/**
 * Stats over the wire array, converting a counter to bigint only when read:
 * listing 100k real servers would otherwise allocate a million bigints that
 * most callers never look at.
 */
class WireStats implements Stats {
  readonly #raw: StatsOut;
  constructor(raw: StatsOut) {
    this.#raw = raw;
  }
  get connections(): bigint { return BigInt(this.#raw[0] ?? 0); }
  get inPackets(): bigint { return BigInt(this.#raw[1] ?? 0); }
  get outPackets(): bigint { return BigInt(this.#raw[2] ?? 0); }
  get inBytes(): bigint { return BigInt(this.#raw[3] ?? 0); }
  get outBytes(): bigint { return BigInt(this.#raw[4] ?? 0); }
  get connectionRate(): bigint { return BigInt(this.#raw[5] ?? 0); }
  get inPacketRate(): bigint { return BigInt(this.#raw[6] ?? 0); }
  get outPacketRate(): bigint { return BigInt(this.#raw[7] ?? 0); }
  get inByteRate(): bigint { return BigInt(this.#raw[8] ?? 0); }
  get outByteRate(): bigint { return BigInt(this.#raw[9] ?? 0); }
  get wide(): boolean { return this.#raw[10] === 1; }
  /** A plain copy (bigints), e.g. for deepEqual or structuredClone. */
  toObject(): Stats {
    const o = { wide: this.wide } as Stats;
    for (const f of FIELDS) (o as unknown as Record<string, bigint>)[f] = this[f];
    return o;
  }
  /** JSON has no bigint: counters as decimal strings. */
  toJSON(): Record<string, string | boolean> {
    const o: Record<string, string | boolean> = { wide: this.wide };
    for (const f of FIELDS) o[f] = this[f].toString();
    return o;
  }
}

export function statsFromWire(s: StatsOut): Stats {
  return new WireStats(s);
}

/** All-zero stats (for the fake). */
export function zeroStatsWire(): StatsOut {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
}
