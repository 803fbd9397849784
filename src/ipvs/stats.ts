// IPVS counters of a service or real server: 64-bit, as bigint.

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

/** Counters of one object: 11 slots from `offset` (the ten of {@link Stats}, then 1 if 64-bit). */
const SLOTS = 11;

/**
 * Stats read straight out of the binding's shared BigUint64Array: nothing
 * is copied per counter, and listing 100k real servers allocates one small
 * object each.
 */
class WireStats implements Stats {
  readonly #a: BigUint64Array;
  readonly #o: number;
  constructor(a: BigUint64Array, o: number) {
    this.#a = a;
    this.#o = o;
  }
  get connections(): bigint { return this.#a[this.#o]!; }
  get inPackets(): bigint { return this.#a[this.#o + 1]!; }
  get outPackets(): bigint { return this.#a[this.#o + 2]!; }
  get inBytes(): bigint { return this.#a[this.#o + 3]!; }
  get outBytes(): bigint { return this.#a[this.#o + 4]!; }
  get connectionRate(): bigint { return this.#a[this.#o + 5]!; }
  get inPacketRate(): bigint { return this.#a[this.#o + 6]!; }
  get outPacketRate(): bigint { return this.#a[this.#o + 7]!; }
  get inByteRate(): bigint { return this.#a[this.#o + 8]!; }
  get outByteRate(): bigint { return this.#a[this.#o + 9]!; }
  get wide(): boolean { return this.#a[this.#o + 10] === 1n; }
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

/** The stats at slot `offset` (a multiple of 11) of the binding's array. */
export function statsAt(a: BigUint64Array, offset: number): Stats {
  return new WireStats(a, offset);
}

/** Fresh all-zero 64-bit stats slots (for the fake). */
export function zeroStatsSlots(): BigUint64Array {
  const a = new BigUint64Array(SLOTS);
  a[10] = 1n;
  return a;
}
