// Wire-shaped IPVS types of the binding's ipvs(ops) call (see
// native/napi/ipvs_ops.h). Public types live in service.ts, dest.ts, ...
import type { NativeErrorInfo } from '../errors.js';

export interface ServiceWire {
  af: number;
  protocol: number;
  /** Address text (validated); absent for fwmark services. */
  addr?: string;
  port: number;
  fwmark: number;
  scheduler?: string;
  pe?: string;
  flags?: number;
  timeout?: number;
  /** IPv4: the mask's 4 bytes read as a little-endian u32 (as on the wire); IPv6: prefix length. */
  netmask?: number;
}

export interface DestWire {
  af: number;
  addr: string;
  port: number;
  fwd?: number;
  weight?: number;
  uThresh?: number;
  lThresh?: number;
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
}

export interface DaemonWire {
  state: number;
  ifname?: string;
  syncid?: number;
  maxlen?: number;
  groupAf?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

/**
 * conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps,
 * outbps, then 1 if from the 64-bit nest: numbers, or decimal strings
 * beyond 2^53 (the binding returns JSON).
 */
export type StatsOut = (number | string)[];

/** A decoded service, as a tuple (JSON arrays parse much faster than objects). */
export type ServiceOut = [
  af: number, protocol: number, addr: string | null, port: number, fwmark: number,
  scheduler: string, pe: string, flags: number, timeout: number, netmask: number,
  stats: StatsOut, dests?: DestOut[],
];

/** A decoded real server, as a tuple. */
export type DestOut = [
  af: number, addr: string, port: number, fwd: number, weight: number, uThresh: number, lThresh: number,
  tunType: number, tunPort: number, tunFlags: number,
  activeConns: number, inactConns: number, persistConns: number, stats: StatsOut,
];

export interface DaemonOut {
  state: number; ifname: string; syncid: number; maxlen: number; groupAf: number; group: string | null;
  port: number; ttl: number;
}

export type IpvsOpWire =
  | { op: 'addService' | 'editService'; service: ServiceWire }
  | { op: 'deleteService' | 'getService' | 'listDests'; service: ServiceWire }
  | { op: 'listServices' | 'listAll' | 'flush' | 'getTimeouts' | 'getInfo' | 'listDaemons' }
  | { op: 'zero'; service?: ServiceWire }
  | { op: 'addDest' | 'editDest' | 'deleteDest'; service: ServiceWire; dest: DestWire }
  | { op: 'setTimeouts'; tcp: number; tcpFin: number; udp: number }
  | { op: 'addDaemon'; daemon: DaemonWire }
  | { op: 'deleteDaemon'; daemon: DaemonWire };

export interface IpvsResultWire {
  error?: NativeErrorInfo;
  services?: ServiceOut[];
  dests?: DestOut[];
  daemons?: DaemonOut[];
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  info?: { version: number; connTabSize: number };
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;
