// The NAT targets of xt_nat / xt_MASQUERADE / xt_REDIRECT: DNAT, SNAT,
// MASQUERADE and REDIRECT, with the struct and revision iptables 1.8.9
// writes for each family (IPv4: nf_nat_ipv4_multi_range_compat revision 0,
// DNAT nf_nat_range2 revision 2; IPv6: nf_nat_range, DNAT revision 2).
import { tryParseIp } from '../../addr.js';
import { be16, parseV4, putBe16, put32, putV4, readAddress, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type OptionSpec, type Wire } from './ext.js';
import { servicePort } from '../netdb.js';

interface NatFlags {
  random?: boolean;
  randomFully?: boolean;
  persistent?: boolean;
}

/** `-j DNAT --to-destination [ADDR[-ADDR]][:PORT[-PORT[/BASE]]] [--random] [--persistent]`. */
export interface DnatTarget extends NatFlags {
  name: 'DNAT';
  address?: string;
  lastAddress?: string;
  port?: number;
  lastPort?: number;
  /** The shifted port map base (--to-destination ...:PORT-PORT/BASE). */
  basePort?: number;
  /** 0, 1: older structs (as read from the kernel); default 2. */
  revision?: 0 | 1 | 2;
}

/** `-j SNAT --to-source [ADDR[-ADDR]][:PORT[-PORT]] [--random] [--random-fully] [--persistent]`. */
export interface SnatTarget extends NatFlags {
  name: 'SNAT';
  address?: string;
  lastAddress?: string;
  port?: number;
  lastPort?: number;
  revision?: 0 | 1 | 2;
}

/** `-j MASQUERADE [--to-ports PORT[-PORT]] [--random] [--random-fully]`. */
export interface MasqueradeTarget {
  name: 'MASQUERADE';
  port?: number;
  lastPort?: number;
  random?: boolean;
  randomFully?: boolean;
}

/** `-j REDIRECT [--to-ports PORT[-PORT]] [--random]`. */
export interface RedirectTarget {
  name: 'REDIRECT';
  port?: number;
  lastPort?: number;
  random?: boolean;
}

type Nat = DnatTarget | SnatTarget | MasqueradeTarget | RedirectTarget;

const MAP_IPS = 1;
const PROTO_SPECIFIED = 2;
const RANDOM = 4;
const PERSISTENT = 8;
const RANDOM_FULLY = 16;
const PROTO_OFFSET = 32;

/** A range in nf_nat_range2 terms. */
interface Range {
  flags: number;
  min: Uint8Array;
  max: Uint8Array;
  minPort: number;
  maxPort: number;
  basePort: number;
}

function toRange(v: Nat, family: Family): Range {
  const r: Range = { flags: 0, min: new Uint8Array(16), max: new Uint8Array(16), minPort: 0, maxPort: 0, basePort: 0 };
  const a = v as DnatTarget;
  if (a.address !== undefined) {
    r.flags |= MAP_IPS;
    r.min.set(tryParseIp(a.address)!.bytes);
    r.max.set(tryParseIp(a.lastAddress ?? a.address)!.bytes);
  }
  if (v.port !== undefined) {
    r.flags |= PROTO_SPECIFIED;
    r.minPort = v.port;
    r.maxPort = v.lastPort ?? v.port;
  }
  if (a.basePort !== undefined) {
    r.flags |= PROTO_OFFSET;
    r.basePort = a.basePort;
  }
  const f = v as NatFlags;
  if (f.random) r.flags |= RANDOM;
  if (f.randomFully) r.flags |= RANDOM_FULLY;
  if (f.persistent) r.flags |= PERSISTENT;
  void family;
  return r;
}

/** Which struct: 'compat' (IPv4 multi-range), 'range' (nf_nat_range), 'range2'. */
type Layout = 'compat' | 'range' | 'range2';

const SIZES: Record<Layout, number> = { compat: 20, range: 40, range2: 44 };
const LAYOUTS: readonly Layout[] = ['compat', 'range', 'range2'];

interface NatWire extends Wire {
  layout: Layout;
}

// One wire per target name and revision (revision r of DNAT/SNAT is LAYOUTS[r]; MASQUERADE/REDIRECT are 0 in both layouts).
const WIRES = new Map<string, NatWire>();
function natWire(kernel: string, revision: number, layout: Layout): NatWire {
  const key = `${kernel}/${revision}/${layout}`;
  let w = WIRES.get(key);
  if (w === undefined) {
    w = { kernel, revision, size: SIZES[layout], layout };
    WIRES.set(key, w);
  }
  return w;
}
const DNAT2 = natWire('DNAT', 2, 'range2');

function layoutFor(v: Nat, family: Family): NatWire {
  const rev = (v as DnatTarget).revision;
  if (v.name === 'DNAT' && rev === undefined) return DNAT2;
  if ((v.name === 'DNAT' || v.name === 'SNAT') && rev !== undefined) return natWire(v.name, rev, LAYOUTS[rev]!);
  if (family === 4) return natWire(v.name, 0, 'compat');
  return natWire(v.name, v.name === 'SNAT' ? 1 : 0, 'range');
}

/** Writes a NAT target's range straight into the blob (the hot path of large tables: one DNAT per endpoint). */
function encodeNat(v: Nat, layout: Layout, b: Uint8Array, at: number, family: Family): void {
  const a = v as DnatTarget;
  let flags = 0;
  const compat = layout === 'compat';
  const minAt = at + (compat ? 8 : 4);
  const maxAt = at + (compat ? 12 : 20);
  if (a.address !== undefined) {
    flags |= MAP_IPS;
    writeIp(b, minAt, a.address, family);
    writeIp(b, maxAt, a.lastAddress ?? a.address, family);
  }
  const portAt = at + (compat ? 16 : 36);
  if (v.port !== undefined) {
    flags |= PROTO_SPECIFIED;
    putBe16(b, portAt, v.port);
    putBe16(b, portAt + 2, v.lastPort ?? v.port);
  }
  if (a.basePort !== undefined) {
    flags |= PROTO_OFFSET;
    putBe16(b, at + 40, a.basePort);
  }
  const f = v as NatFlags;
  if (f.random) flags |= RANDOM;
  if (f.randomFully) flags |= RANDOM_FULLY;
  if (f.persistent) flags |= PERSISTENT;
  if (compat) put32(b, at, 1);
  put32(b, at + (compat ? 4 : 0), flags);
}

function writeIp(b: Uint8Array, at: number, s: string, family: Family): void {
  const v4 = family === 4 ? parseV4(s) : -1;
  if (v4 >= 0) putV4(b, at, v4);
  else b.set(tryParseIp(s)!.bytes, at);
}

/** sprint_range and __NAT_print of libxt_NAT. */
function saveRange(r: Range, family: Family, option: string, skipColon: boolean): string {
  let s = '';
  const brackets = family === 6 && (r.flags & PROTO_SPECIFIED) !== 0;
  if (r.flags & MAP_IPS) {
    s += brackets ? '[' : '';
    s += readAddress(r.min, 0, family);
    if (!r.min.every((x, i) => x === r.max[i])) s += `-${readAddress(r.max, 0, family)}`;
    s += brackets ? ']' : '';
  }
  if (r.flags & PROTO_SPECIFIED) {
    s += `:${r.minPort}`;
    if (r.maxPort !== r.minPort) s += `-${r.maxPort}`;
    if (r.flags & PROTO_OFFSET) s += `/${r.basePort}`;
  }
  let out = '';
  if (s !== '') out += ` ${option}${s.startsWith(':') && skipColon ? s.slice(1) : s}`;
  if (r.flags & RANDOM) out += ' --random';
  if (r.flags & RANDOM_FULLY) out += ' --random-fully';
  if (r.flags & PERSISTENT) out += ' --persistent';
  return out;
}

const PORT_PROTOCOLS = [6, 17, 132, 33, 1]; // tcp, udp, sctp, dccp, icmp (iptables' "portok")

function parsePortArg(s: string, v: { port?: number; lastPort?: number; basePort?: number }, portok: boolean, allowBase: boolean): void {
  if (!portok) throw new IptablesParseError('Need TCP, UDP, SCTP or DCCP with port specification');
  const m = /^([^-/:]+)(?:-(\d+)(?:\/([^/]+))?)?$/.exec(s);
  if (s.includes(':')) throw new IptablesParseError('Invalid port:port syntax - use dash');
  if (m === null) throw new IptablesParseError(`Port \`${s}' not valid`);
  const first = /^\d+$/.test(m[1]!) ? parseUint(m[1]!, 'port', 0, 65535) : servicePort(m[1]!, 'tcp');
  if (first === undefined) throw new IptablesParseError(`Port \`${m[1]}' not valid`);
  v.port = first;
  if (m[2] !== undefined) {
    const last = parseUint(m[2], 'port', 0, 65535);
    if (last < first) throw new IptablesParseError(`Port range \`${m[2]}' funky`);
    if (last !== first) v.lastPort = last;
  }
  if (m[3] !== undefined) {
    if (!allowBase) throw new IptablesParseError(`Garbage after port range: \`/${m[3]}'`);
    v.basePort = parseUint(m[3], 'port', 1, 65535);
  }
}

/** parse_to: [ADDR[-ADDR]][:PORTS], IPv6 addresses in [] when ports follow. */
function parseTo(arg: string, v: DnatTarget | SnatTarget, family: Family, portok: boolean): void {
  let start = arg;
  let colon = -1;
  if (arg.includes('[')) {
    const open = arg.indexOf('[');
    const close = arg.indexOf(']', open);
    if (close < 0 || family === 4) throw new IptablesParseError('Invalid address format');
    start = arg.slice(open + 1, close);
    const after = arg.slice(close + 1);
    if (after.startsWith(':')) parsePortArg(after.slice(1), v, portok, v.name === 'DNAT');
    else if (after !== '') throw new IptablesParseError('Invalid address format');
  } else {
    colon = arg.indexOf(':');
    if (colon >= 0 && arg.indexOf(':', colon + 1) >= 0) colon = -1;
    if (colon >= 0) {
      parsePortArg(arg.slice(colon + 1), v, portok, v.name === 'DNAT');
      start = arg.slice(0, colon);
    }
  }
  if (start === '') return;
  const dash = start.indexOf('-');
  const first = dash < 0 ? start : start.slice(0, dash);
  const ip = tryParseIp(first);
  if (ip === undefined || ip.family !== family) throw new IptablesParseError(`Bad IP address "${first}"`);
  v.address = readAddress(ip.bytes, 0, family);
  if (dash >= 0) {
    const last = tryParseIp(start.slice(dash + 1));
    if (last === undefined || last.family !== family) throw new IptablesParseError(`Bad IP address "${start.slice(dash + 1)}"`);
    const text = readAddress(last.bytes, 0, family);
    if (text !== v.address) v.lastAddress = text;
  }
}

const NAT_KEYS: Record<Nat['name'], readonly string[]> = {
  DNAT: ['name', 'address', 'lastAddress', 'port', 'lastPort', 'basePort', 'random', 'randomFully', 'persistent', 'revision'],
  SNAT: ['name', 'address', 'lastAddress', 'port', 'lastPort', 'random', 'randomFully', 'persistent', 'revision'],
  MASQUERADE: ['name', 'port', 'lastPort', 'random', 'randomFully'],
  REDIRECT: ['name', 'port', 'lastPort', 'random'],
};

function checkNat(v: Nat, family: Family, what: string): void {
  checkKeys(v, NAT_KEYS[v.name], what);
  const a = v as DnatTarget;
  for (const k of ['address', 'lastAddress'] as const) {
    if (a[k] === undefined) continue;
    if (family === 4 && typeof a[k] === 'string' && parseV4(a[k]!) >= 0) continue;
    const ip = typeof a[k] === 'string' ? tryParseIp(a[k]!) : undefined;
    if (ip === undefined || ip.family !== family) throw new TypeError(`${what}.${k} must be an IPv${family} address`);
  }
  if (a.lastAddress !== undefined && a.address === undefined) throw new TypeError(`${what}: lastAddress needs address`);
  if (v.port !== undefined) checkUint(v.port, `${what}.port`, 65535);
  if (v.lastPort !== undefined) {
    if (v.port === undefined) throw new TypeError(`${what}: lastPort needs port`);
    checkUint(v.lastPort, `${what}.lastPort`, 65535, v.port);
  }
  if (a.basePort !== undefined) {
    checkUint(a.basePort, `${what}.basePort`, 65535, 1);
    if (v.port === undefined) throw new TypeError(`${what}: basePort needs a port range`);
  }
  const { layout } = layoutFor(v, family);
  if (layout === 'compat' && family === 6) throw new RangeError(`${what}: revision 0 is IPv4 only`);
  if (a.basePort !== undefined && layout !== 'range2') throw new RangeError(`${what}: basePort needs revision 2`);
  if (a.revision !== undefined && ![0, 1, 2].includes(a.revision)) throw new RangeError(`${what}.revision must be 0, 1 or 2`);
}

const SAVE = {
  DNAT: ['--to-destination ', false], SNAT: ['--to-source ', false], MASQUERADE: ['--to-ports ', true], REDIRECT: ['--to-ports ', true],
} as const;

function makeCodec<T extends Nat>(name: T['name'], options: Record<string, OptionSpec<T>>): Codec<T> {
  return {
    kind: 'target',
    name,
    check: (v, family, what) => checkNat(v, family, what),
    wire: (v, family) => layoutFor(v, family),
    encode(v, b, at, ctx) {
      encodeNat(v, layoutFor(v, ctx.family).layout, b, at, ctx.family);
    },
    save(v, ctx) {
      const [option, skip] = SAVE[name];
      return saveRange(toRange(v, ctx.family), ctx.family, option, skip);
    },
    parser: { init: () => ({ name }) as T, options },
  };
}

const flag = <T extends Nat>(key: 'random' | 'randomFully' | 'persistent'): OptionSpec<T> => ({
  args: 0, apply(s) { (s as NatFlags)[key] = true; },
});
const toOption = <T extends DnatTarget | SnatTarget>(): OptionSpec<T> => ({
  args: 1, apply(s, [a], _inv, ctx) {
    if (s.address !== undefined || s.port !== undefined) throw new IptablesParseError('Multiple --to-destination/--to-source not supported');
    parseTo(a!, s, ctx.family, PORT_PROTOCOLS.includes(ctx.protocol));
  },
});
const portsOption = <T extends MasqueradeTarget | RedirectTarget>(): OptionSpec<T> => ({
  args: 1, apply(s, [a], _inv, ctx) { parsePortArg(a!, s, PORT_PROTOCOLS.includes(ctx.protocol), false); },
});

export const dnat = makeCodec<DnatTarget>('DNAT', {
  'to-destination': toOption<DnatTarget>(), random: flag('random'), persistent: flag('persistent'),
});
export const snat = makeCodec<SnatTarget>('SNAT', {
  'to-source': toOption<SnatTarget>(), random: flag('random'), 'random-fully': flag('randomFully'), persistent: flag('persistent'),
});
export const masquerade = makeCodec<MasqueradeTarget>('MASQUERADE', {
  'to-ports': portsOption<MasqueradeTarget>(), random: flag('random'), 'random-fully': flag('randomFully'),
});
export const redirect = makeCodec<RedirectTarget>('REDIRECT', { 'to-ports': portsOption<RedirectTarget>(), random: flag('random') });

const RANGE_FLAGS = { DNAT: 0x3f, SNAT: 0x1f, MASQUERADE: 0x16, REDIRECT: 0x06 } as const;

const zeroBytes = (b: Uint8Array, at: number, len: number): boolean => {
  for (let i = 0; i < len; i++) if (b[at + i] !== 0) return false;
  return true;
};

/** A range read in place (no copies: this runs once per DNAT rule of large tables). */
function readRange(name: Nat['name'], b: Uint8Array, at: number, layout: Layout, family: Family): Nat | undefined {
  const compat = layout === 'compat';
  const flags = u32(b, at + (compat ? 4 : 0));
  const minAt = at + (compat ? 8 : 4);
  const maxAt = at + (compat ? 12 : 20);
  const portAt = at + (compat ? 16 : 36);
  const addrLen = compat ? 4 : 16;
  if (flags & ~RANGE_FLAGS[name]) return undefined;
  const v = { name } as DnatTarget;
  if (flags & MAP_IPS) {
    v.address = readAddress(b, minAt, family);
    let same = true;
    for (let i = 0; i < addrLen; i++) if (b[minAt + i] !== b[maxAt + i]) { same = false; break; }
    if (!same) v.lastAddress = readAddress(b, maxAt, family);
    if (family === 4 && !compat && (!zeroBytes(b, minAt + 4, 12) || !zeroBytes(b, maxAt + 4, 12))) return undefined;
  } else if (!zeroBytes(b, minAt, addrLen) || !zeroBytes(b, maxAt, addrLen)) return undefined;
  const minPort = be16(b, portAt);
  const maxPort = be16(b, portAt + 2);
  if (flags & PROTO_SPECIFIED) {
    v.port = minPort;
    if (maxPort !== minPort) v.lastPort = maxPort;
  } else if (minPort !== 0 || maxPort !== 0) return undefined;
  const base = layout === 'range2' ? be16(b, at + 40) : 0;
  if (flags & PROTO_OFFSET) v.basePort = base;
  else if (base !== 0) return undefined;
  if (flags & RANDOM) v.random = true;
  if (flags & RANDOM_FULLY) v.randomFully = true;
  if (flags & PERSISTENT) v.persistent = true;
  return v;
}

function makeDecoder(name: Nat['name']): Decoder {
  return {
    kind: 'target',
    kernel: name,
    decode(b, at, len, revision, ctx) {
      if ((name === 'MASQUERADE' || name === 'REDIRECT') && revision !== 0) return undefined;
      const layout: Layout | undefined = revision === 0 ? (ctx.family === 4 ? 'compat' : 'range') : revision === 1 ? 'range' : revision === 2 ? 'range2' : undefined;
      if (layout === undefined || len < SIZES[layout] || (layout === 'compat' && u32(b, at) !== 1)) return undefined;
      const v = readRange(name, b, at, layout, ctx.family);
      if (v === undefined) return undefined;
      const def = layoutFor({ name } as Nat, ctx.family).revision;
      if ((name === 'DNAT' || name === 'SNAT') && revision !== def) (v as DnatTarget).revision = revision as 0;
      return v;
    },
  };
}

export const dnatDecoder = makeDecoder('DNAT');
export const snatDecoder = makeDecoder('SNAT');
export const masqueradeDecoder = makeDecoder('MASQUERADE');
export const redirectDecoder = makeDecoder('REDIRECT');
