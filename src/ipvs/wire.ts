// Wire-shaped IPVS types of the binding's ipvs(ops) call (see
// native/napi/ipvs_ops.h). Public types live in service.ts, dest.ts, ...;
// results arrive as tables (table.ts) and leave here as public objects.
import type { NativeErrorInfo } from '../errors.js';
import type { ServiceWithDests } from './client.js';
import type { Dest } from './dest.js';
import type { Service } from './service.js';

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

/** One op's result, already in public types (services of listAll carry their dests). */
export interface IpvsResultWire {
  error?: NativeErrorInfo;
  services?: Service[] | ServiceWithDests[];
  dests?: Dest[];
  daemons?: DaemonOut[];
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  info?: { version: number; connTabSize: number };
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;
