// IPVS real servers (destinations): public types, validation into the wire shape, and back.
import type { IpFamily } from '../addr.js';
import { own, show } from '../check.js';
import { checkPort, checkU32, ipFamily } from './service.js';
import type { Stats } from './stats.js';
import { AF_INET, AF_INET6, type DestWire, type ServiceWire } from './wire.js';

/** Forwarding method: -m masq (NAT), local, -i tunnel, -g route (direct routing), bypass. */
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';
export type TunnelType = 'ipip' | 'gue' | 'gre';
/** Tunnel checksum (`--tun-nocsum`, `--tun-csum`, `--tun-remcsum`). */
export type TunnelChecksum = 'none' | 'csum' | 'remcsum';

export interface Tunnel {
  type: TunnelType;
  /** GUE destination port (`--tun-port`), required for GUE. */
  port?: number;
  checksum?: TunnelChecksum;
}

/** Names a real server of a service (`-r ADDR[:PORT]`). */
export interface DestKey {
  address: string;
  /** Default: the service's port (0 for fwmark services). */
  port?: number;
}

/** What `ipvsadm -a`/`-e` sets. */
export interface DestSpec extends DestKey {
  /** Default 'route' (`-g`), as ipvsadm. */
  forward?: ForwardMethod;
  /** Default 1; 0 quiesces the server (no new connections). */
  weight?: number;
  /** Upper connection threshold (`-x`), 0 = none. */
  upperThreshold?: number;
  /** Lower connection threshold (`-y`), 0 = none. */
  lowerThreshold?: number;
  /** Tunnel details (forward 'tunnel' only); default IPIP. */
  tunnel?: Tunnel;
}

/** A real server as the kernel reports it. */
export interface Dest {
  family: IpFamily;
  address: string;
  port: number;
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  tunnel?: Required<Tunnel>;
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
  stats: Stats;
}

export const FORWARD: Record<ForwardMethod, number> = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 };
const FORWARD_NAMES = Object.keys(FORWARD) as ForwardMethod[];
const TUNNEL: Record<TunnelType, number> = { ipip: 0, gue: 1, gre: 2 };
const TUNNEL_NAMES = Object.keys(TUNNEL) as TunnelType[];
const CSUM: Record<TunnelChecksum, number> = { none: 0, csum: 1, remcsum: 2 };

/** The key part of a destination; throws TypeError/RangeError. */
export function destKeyWire(svc: ServiceWire, key: DestKey, what = 'dest'): DestWire {
  if (typeof key !== 'object' || key === null) throw new TypeError(`${what} must be an object`);
  const family = ipFamily(key.address, `${what}.address`);
  const port = key.port === undefined ? svc.port : checkPort(key.port, `${what}.port`);
  return { af: family === 6 ? AF_INET6 : AF_INET, addr: key.address, port };
}

/** A full destination (`ipvsadm -a/-e` options) in wire shape; throws TypeError/RangeError. */
export function destWire(svc: ServiceWire, spec: DestSpec, what = 'dest'): DestWire {
  const w = destKeyWire(svc, spec, what);
  const forward = spec.forward ?? 'route';
  const fwd = own(FORWARD, forward);
  if (fwd === undefined) throw new TypeError(`${what}.forward must be one of ${FORWARD_NAMES.join(', ')}: ${show(spec.forward)}`);
  if (w.af !== svc.af && forward !== 'tunnel') {
    throw new TypeError(`${what}: an IPv${w.af === AF_INET6 ? 6 : 4} real server behind an IPv${svc.af === AF_INET6 ? 6 : 4} service needs forward 'tunnel'`);
  }
  const weight = spec.weight === undefined ? 1 : checkU32(spec.weight, `${what}.weight`, 0x7fffffff);
  const uThresh = spec.upperThreshold === undefined ? 0 : checkU32(spec.upperThreshold, `${what}.upperThreshold`);
  const lThresh = spec.lowerThreshold === undefined ? 0 : checkU32(spec.lowerThreshold, `${what}.lowerThreshold`);
  if (uThresh !== 0 && lThresh > uThresh) throw new RangeError(`${what}: lowerThreshold ${lThresh} is above upperThreshold ${uThresh}`);
  // Built property by property: object spread is very slow in V8 here, and bulk calls do this 100k times.
  const out: DestWire = { af: w.af, addr: w.addr, port: w.port, fwd, weight, uThresh, lThresh, tunType: 0, tunPort: 0, tunFlags: 0 };
  if (spec.tunnel !== undefined) {
    if (forward !== 'tunnel') throw new TypeError(`${what}.tunnel needs forward 'tunnel'`);
    const t = spec.tunnel;
    if (typeof t !== 'object' || t === null) throw new TypeError(`${what}.tunnel must be an object`);
    const type = own(TUNNEL, t.type);
    if (type === undefined) throw new TypeError(`${what}.tunnel.type must be ipip, gue or gre: ${show(t.type)}`);
    const csum = t.checksum === undefined ? 0 : own(CSUM, t.checksum);
    if (csum === undefined) throw new TypeError(`${what}.tunnel.checksum must be none, csum or remcsum`);
    if (t.type === 'gue') {
      if (t.port === undefined || checkPort(t.port, `${what}.tunnel.port`) === 0) throw new RangeError(`${what}.tunnel.port is required for GUE (1..65535)`);
    } else if (t.port !== undefined) {
      throw new TypeError(`${what}.tunnel.port is only for GUE`);
    }
    if (t.checksum === 'remcsum' && t.type !== 'gue') throw new TypeError(`${what}.tunnel.checksum 'remcsum' is only for GUE`);
    out.tunType = type;
    out.tunPort = t.port ?? 0;
    out.tunFlags = csum;
  }
  return out;
}

/** A public Dest from decoded kernel fields. */
export function destOf(af: number, addr: string, port: number, fwd: number, weight: number, uThresh: number,
  lThresh: number, tunType: number, tunPort: number, tunFlags: number, active: number, inactive: number,
  persistent: number, stats: Stats): Dest {
  const forward = FORWARD_NAMES[fwd] ?? 'route';
  const d: Dest = {
    family: af === AF_INET6 ? 6 : 4,
    address: addr,
    port,
    forward,
    weight,
    upperThreshold: uThresh,
    lowerThreshold: lThresh,
    activeConnections: active,
    inactiveConnections: inactive,
    persistentConnections: persistent,
    stats,
  };
  if (forward === 'tunnel') {
    const checksum = (tunFlags & 2) !== 0 ? 'remcsum' : (tunFlags & 1) !== 0 ? 'csum' : 'none';
    d.tunnel = { type: TUNNEL_NAMES[tunType] ?? 'ipip', port: tunPort, checksum };
  }
  return d;
}
