// IPVS virtual services: public types, validation into the wire shape, and back.
import { isIP } from 'node:net';

import type { IpFamily } from '../addr.js';
import { own, show } from '../check.js';
import type { Stats } from './stats.js';
import { AF_INET, AF_INET6, IPPROTO, type ServiceWire } from './wire.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';

/** A virtual service by protocol, address and port (`-t|-u|--sctp-service ADDR:PORT`). */
export interface AddressKey {
  protocol: Protocol;
  /** IPv4 or IPv6 address. */
  address: string;
  port: number;
}

/** A virtual service by firewall mark (`-f MARK [-6]`). */
export interface FwmarkKey {
  fwmark: number;
  /** Address family of the packets it matches (default 4; `-6` for 6). */
  family?: IpFamily;
}

/** Names a virtual service. */
export type ServiceKey = AddressKey | FwmarkKey;

/**
 * Scheduler flags (`-b`): sh-fallback/sh-port (sh), mh-fallback/mh-port (mh),
 * or the raw flag-1..flag-3 bits for other schedulers.
 */
export type SchedulerFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port' | 'flag-1' | 'flag-2' | 'flag-3';

/** What `ipvsadm -A`/`-E` sets. */
export interface ServiceOptions {
  /** Scheduler name (`-s`): rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh, or any the kernel has. Default 'wlc'. */
  scheduler?: string;
  /** Persistence timeout in seconds (`-p T`); omitted or 0 = not persistent. */
  persistence?: number;
  /**
   * Persistence granularity (`-M`): an IPv4 netmask ('255.255.255.0') or a
   * prefix length (a number; the only form for IPv6). Default: one client address.
   */
  netmask?: string | number;
  /** Scheduler flags (`-b`). */
  schedulerFlags?: SchedulerFlag[];
  /** One-packet scheduling (`-o`, UDP). */
  onePacket?: boolean;
  /** Persistence engine (`--pe sip`). */
  persistenceEngine?: string;
}

export type ServiceSpec = ServiceKey & ServiceOptions;

/** A virtual service as the kernel reports it (`ipvsadm -Ln`). */
export interface Service {
  family: IpFamily;
  protocol?: Protocol;
  address?: string;
  port?: number;
  fwmark?: number;
  scheduler: string;
  /** Persistence timeout in seconds, when persistent. */
  persistence?: number;
  /** IPv4 netmask text or IPv6 prefix length. */
  netmask: string | number;
  schedulerFlags: SchedulerFlag[];
  onePacket: boolean;
  persistenceEngine?: string;
  stats: Stats;
}

const F_PERSISTENT = 0x1;
const F_HASHED = 0x2;
const F_ONEPACKET = 0x4;
const SCHED_BITS: Record<SchedulerFlag, number> = {
  'sh-fallback': 0x8, 'sh-port': 0x10, 'mh-fallback': 0x8, 'mh-port': 0x10, 'flag-1': 0x8, 'flag-2': 0x10, 'flag-3': 0x20,
};
const NAME = /^[\x21-\x7e]{1,15}$/;  // IP_VS_SCHEDNAME_MAXLEN / IP_VS_PENAME_MAXLEN, NUL included

export function checkPort(v: unknown, what = 'port'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${what} must be an integer 0..65535: ${show(v)}`);
  return v;
}

export function checkU32(v: unknown, what: string, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer 0..${max}: ${show(v)}`);
  return v;
}

function checkName(v: unknown, what: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) throw new TypeError(`${what} must be 1..15 printable characters: ${show(v)}`);
  return v;
}

/**
 * Checks an IPv4/IPv6 address without allocating (bulk calls validate
 * hundreds of thousands); strict like parseIp: no zone ids, no leading zeros.
 */
export function ipFamily(v: unknown, what: string): IpFamily {
  const f = typeof v === 'string' && !v.includes('%') ? isIP(v) : 0;
  if (f === 0) throw new TypeError(`${what}: not an IPv4 or IPv6 address: ${show(v)}`);
  return f as IpFamily;
}

/** The key part of a service in wire shape; throws TypeError/RangeError. */
export function serviceKeyWire(key: ServiceKey, what = 'service'): ServiceWire {
  if (typeof key !== 'object' || key === null) throw new TypeError(`${what} must be an object`);
  if ('fwmark' in key && key.fwmark !== undefined) {
    if ('address' in key || 'protocol' in key || 'port' in key) throw new TypeError(`${what}: a fwmark service has no protocol, address or port`);
    const fwmark = checkU32(key.fwmark, `${what}.fwmark`);
    if (fwmark === 0) throw new RangeError(`${what}.fwmark must not be 0`);
    const family = key.family ?? 4;
    if (family !== 4 && family !== 6) throw new TypeError(`${what}.family must be 4 or 6`);
    return { af: family === 6 ? AF_INET6 : AF_INET, protocol: 0, port: 0, fwmark };
  }
  const k = key as AddressKey;
  const protocol = own(IPPROTO, k.protocol);
  if (typeof k.protocol !== 'string' || protocol === undefined) throw new TypeError(`${what}.protocol must be 'tcp', 'udp' or 'sctp': ${show(k.protocol)}`);
  const family = ipFamily(k.address, `${what}.address`);
  return { af: family === 6 ? AF_INET6 : AF_INET, protocol, addr: k.address, port: checkPort(k.port, `${what}.port`), fwmark: 0 };
}

function netmaskWire(af: number, v: string | number | undefined, what: string): number {
  const bits = af === AF_INET6 ? 128 : 32;
  if (v === undefined) return af === AF_INET6 ? 128 : 0xffffffff;
  let mask: number;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > bits) throw new RangeError(`${what} prefix length must be 1..${bits}: ${v}`);
    if (af === AF_INET6) return v;
    mask = v === 32 ? 0xffffffff : (~(0xffffffff >>> v)) >>> 0;
  } else {
    if (af === AF_INET6) throw new TypeError(`${what}: an IPv6 service takes a prefix length (a number)`);
    if (ipFamily(v, what) !== 4) throw new TypeError(`${what}: not an IPv4 netmask: ${v}`);
    mask = v.split('.').reduce((m, o) => ((m << 8) | Number(o)) >>> 0, 0);
    if (mask === 0 || ((~mask >>> 0) & ((~mask >>> 0) + 1)) !== 0) throw new RangeError(`${what}: not a contiguous netmask: ${v}`);
  }
  // The kernel keeps the mask in network byte order; the wire u32 is read little-endian.
  return (((mask & 0xff) << 24) | ((mask >>> 8 & 0xff) << 16) | ((mask >>> 16 & 0xff) << 8) | (mask >>> 24)) >>> 0;
}

/** A full service in wire shape (`ipvsadm -A/-E` options); throws TypeError/RangeError. */
export function serviceWire(spec: ServiceSpec, what = 'service'): ServiceWire {
  const w = serviceKeyWire(spec, what);
  const scheduler = spec.scheduler === undefined ? 'wlc' : checkName(spec.scheduler, `${what}.scheduler`);
  let flags = 0;
  const timeout = spec.persistence === undefined ? 0 : checkU32(spec.persistence, `${what}.persistence`, 0x7fffffff);
  if (timeout > 0) flags |= F_PERSISTENT;
  if (spec.onePacket !== undefined && typeof spec.onePacket !== 'boolean') throw new TypeError(`${what}.onePacket must be a boolean`);
  if (spec.onePacket === true) {
    if (w.protocol !== IPPROTO.udp) throw new TypeError(`${what}.onePacket: one-packet scheduling is only for UDP services`);
    flags |= F_ONEPACKET;
  }
  if (spec.schedulerFlags !== undefined) {
    if (!Array.isArray(spec.schedulerFlags)) throw new TypeError(`${what}.schedulerFlags must be an array`);
    for (const f of spec.schedulerFlags) {
      const bit = own(SCHED_BITS, f);
      if (bit === undefined) throw new TypeError(`${what}.schedulerFlags: unknown flag ${show(f)}`);
      flags |= bit;
    }
  }
  if (spec.netmask !== undefined && timeout === 0) throw new TypeError(`${what}.netmask needs persistence`);
  const out: ServiceWire = w;  // no object spread: slow in V8, and bulk calls do this 100k times
  out.scheduler = scheduler;
  out.flags = flags;
  out.timeout = timeout;
  out.netmask = netmaskWire(w.af, spec.netmask, `${what}.netmask`);
  if (spec.persistenceEngine !== undefined) {
    if (timeout === 0) throw new TypeError(`${what}.persistenceEngine needs persistence`);
    out.pe = checkName(spec.persistenceEngine, `${what}.persistenceEngine`);
  }
  return out;
}

const PROTOCOLS: Record<number, Protocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

function schedulerFlagsOf(scheduler: string, flags: number): SchedulerFlag[] {
  const out: SchedulerFlag[] = [];
  const names: [SchedulerFlag, SchedulerFlag, SchedulerFlag] = scheduler === 'sh' ? ['sh-fallback', 'sh-port', 'flag-3']
    : scheduler === 'mh' ? ['mh-fallback', 'mh-port', 'flag-3'] : ['flag-1', 'flag-2', 'flag-3'];
  [0x8, 0x10, 0x20].forEach((bit, i) => { if (flags & bit) out.push(names[i]!); });
  return out;
}

/** IPv4 wire netmask -> '255.255.255.0'. */
export function netmaskText(af: number, netmask: number): string | number {
  if (af === AF_INET6) return netmask;
  return [netmask & 0xff, (netmask >>> 8) & 0xff, (netmask >>> 16) & 0xff, netmask >>> 24].join('.');
}

/** A public Service from decoded kernel fields (addr null for a fwmark service). */
export function serviceOf(af: number, protocol: number, addr: string | null, port: number, fwmark: number,
  scheduler: string, pe: string, flags: number, timeout: number, netmask: number, stats: Stats): Service {
  const s: Service = {
    family: af === AF_INET6 ? 6 : 4,
    scheduler,
    netmask: netmaskText(af, netmask),
    schedulerFlags: schedulerFlagsOf(scheduler, flags),
    onePacket: (flags & F_ONEPACKET) !== 0,
    stats,
  };
  if (fwmark !== 0) s.fwmark = fwmark;
  else {
    s.protocol = PROTOCOLS[protocol] ?? (String(protocol) as Protocol);
    s.address = addr ?? '';
    s.port = port;
  }
  if (flags & F_PERSISTENT) s.persistence = timeout;
  if (pe !== '') s.persistenceEngine = pe;
  return s;
}

/** The key of a wire service (decoded output), for follow-up calls. */
export function keyOf(s: Service): ServiceKey {
  return s.fwmark !== undefined ? { fwmark: s.fwmark, family: s.family } : { protocol: s.protocol!, address: s.address!, port: s.port! };
}

/** Stable text for a wire key: 'tcp/10.0.0.1/80', 'fwm/4/42' (addresses as given: canonicalise first). */
export function wireKeyText(w: ServiceWire): string {
  if (w.fwmark !== 0) return `fwm/${w.af}/${w.fwmark}`;
  return `${w.protocol}/${w.addr ?? ''}/${w.port}`;
}

export { F_HASHED };
