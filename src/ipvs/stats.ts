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
  return {
    connections: s.conns, inPackets: s.inpkts, outPackets: s.outpkts, inBytes: s.inbytes, outBytes: s.outbytes,
    connectionRate: s.cps, inPacketRate: s.inpps, outPacketRate: s.outpps, inByteRate: s.inbps, outByteRate: s.outbps,
    wide: s.wide,
  };
}

/** All-zero stats (for the fake). */
export function zeroStatsWire(): StatsOut {
  return { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n, wide: true };
}
