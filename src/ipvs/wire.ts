// Wire-shaped IPVS types of the binding's ipvs(ops) call (see
// native/napi/ipvs_ops.h). Public types live in service.ts, dest.ts, ...
import type { NativeErrorInfo } from '../errors.js';

export interface ServiceWire {
  af: number;
  protocol: number;
  /** 16 bytes (nf_inet_addr); outputs carry text instead. */
  addr?: Uint8Array;
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
  addr: Uint8Array;
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
  group?: Uint8Array;
  port?: number;
  ttl?: number;
}

export interface StatsOut {
  conns: bigint; inpkts: bigint; outpkts: bigint; inbytes: bigint; outbytes: bigint;
  cps: bigint; inpps: bigint; outpps: bigint; inbps: bigint; outbps: bigint;
  wide: boolean;
}

export interface ServiceOut {
  af: number; protocol: number; addr: string | null; port: number; fwmark: number;
  scheduler: string; pe: string; flags: number; timeout: number; netmask: number;
  stats: StatsOut;
  dests?: DestOut[];
}

export interface DestOut {
  af: number; addr: string; port: number; fwd: number; weight: number; uThresh: number; lThresh: number;
  tunType: number; tunPort: number; tunFlags: number;
  activeConns: number; inactConns: number; persistConns: number;
  stats: StatsOut;
}

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
