// IPVS connection-synchronisation daemons: public types and wire conversion.
import { own, show } from '../check.js';
import { checkPort, checkU32, ipFamily } from './service.js';
import { AF_INET, AF_INET6, type DaemonOut, type DaemonWire } from './wire.js';

export type DaemonRole = 'master' | 'backup';

/** `ipvsadm --start-daemon ROLE --mcast-interface IF [--syncid N] ...` */
export interface DaemonSpec {
  role: DaemonRole;
  /** Multicast interface. */
  interface: string;
  /** Sync id (`--syncid`, 0..255), default 0. */
  syncId?: number;
  /** Sync message payload size (`--sync-maxlen`). */
  maxLength?: number;
  /** Multicast group, IPv4 or IPv6 (`--mcast-group`); default 224.0.0.81. */
  group?: string;
  /** UDP port (`--mcast-port`); default 8848. */
  port?: number;
  /** Multicast TTL (`--mcast-ttl`, 1..255); default 1. */
  ttl?: number;
}

/** A running sync daemon (`ipvsadm -L --daemon`). */
export interface Daemon {
  role: DaemonRole;
  interface: string;
  syncId: number;
  maxLength: number;
  group?: string;
  port: number;
  ttl: number;
}

export const STATE: Record<DaemonRole, number> = { master: 1, backup: 2 };

export function daemonRole(role: unknown): number {
  const s = own(STATE, role);
  if (s === undefined) throw new TypeError(`daemon role must be 'master' or 'backup': ${show(role)}`);
  return s;
}

export function daemonWire(spec: DaemonSpec): DaemonWire {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('daemon must be an object');
  const state = daemonRole(spec.role);
  if (typeof spec.interface !== 'string' || !/^[^\s/:\0]{1,15}$/.test(spec.interface)) {
    throw new TypeError(`daemon.interface: invalid interface name ${show(spec.interface)}`);
  }
  const w: DaemonWire = { state, ifname: spec.interface, syncid: spec.syncId === undefined ? 0 : checkU32(spec.syncId, 'daemon.syncId', 255) };
  if (spec.maxLength !== undefined) w.maxlen = checkU32(spec.maxLength, 'daemon.maxLength', 65535);
  if (spec.port !== undefined) w.port = checkPort(spec.port, 'daemon.port');
  if (spec.ttl !== undefined) {
    w.ttl = checkU32(spec.ttl, 'daemon.ttl', 255);
    if (w.ttl === 0) throw new RangeError('daemon.ttl must be 1..255');
  }
  if (spec.group !== undefined) {
    w.groupAf = ipFamily(spec.group, 'daemon.group') === 6 ? AF_INET6 : AF_INET;
    w.group = spec.group;
  }
  return w;
}

export function daemonFromWire(w: DaemonOut): Daemon {
  const d: Daemon = {
    role: w.state === 2 ? 'backup' : 'master', interface: w.ifname, syncId: w.syncid, maxLength: w.maxlen, port: w.port, ttl: w.ttl,
  };
  if (w.group !== null) d.group = w.group;
  return d;
}
