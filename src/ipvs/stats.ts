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

export function statsFromWire(s: StatsOut): Stats {
  const b = (i: number) => BigInt(s[i] ?? 0);
  return {
    connections: b(0), inPackets: b(1), outPackets: b(2), inBytes: b(3), outBytes: b(4),
    connectionRate: b(5), inPacketRate: b(6), outPacketRate: b(7), inByteRate: b(8), outByteRate: b(9),
    wide: s[10] === 1,
  };
}

/** All-zero stats (for the fake). */
export function zeroStatsWire(): StatsOut {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
}
