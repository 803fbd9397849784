// -m conntrack (xt_conntrack_mtinfo3, revision 3; 1 and 2 read too) and
// -m state, which iptables 1.8.9 writes as conntrack with the state-alias
// flag (the old xt_state match, revision 0, is read too).
import { protocolNumber } from '../netdb.js';
import { put16, put32, u16, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type OptionSpec, type Wire } from './ext.js';
import { checkPortSpec, parsePortRange, portBounds, savePortRange, type PortSpec } from './ports.js';
import { addressText, checkHostMask, parseHostMask, writeHostMask } from './hostmask.js';

export type CtState = 'INVALID' | 'NEW' | 'RELATED' | 'ESTABLISHED' | 'UNTRACKED' | 'SNAT' | 'DNAT';
export type CtStatus = 'EXPECTED' | 'SEEN_REPLY' | 'ASSURED' | 'CONFIRMED';

type Addr = 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst';
type Port = 'ctorigsrcport' | 'ctorigdstport' | 'ctreplsrcport' | 'ctrepldstport';
type Invertible = 'ctstate' | 'ctproto' | Addr | Port | 'ctstatus' | 'ctexpire';

/**
 * `-m conntrack [[!] --ctstate STATES] [[!] --ctproto P] [[!] --ctorigsrc A[/M]] ...
 * [[!] --ctorigsrcport P[:P]] ... [[!] --ctstatus S] [[!] --ctexpire T[:T]] [--ctdir ORIGINAL|REPLY]`.
 * Addresses are 'A' or 'A/PLEN' (or 'A/MASK'), as given.
 */
export interface ConntrackMatch {
  name: 'conntrack';
  ctstate?: CtState[];
  ctproto?: number;
  ctorigsrc?: string;
  ctorigdst?: string;
  ctreplsrc?: string;
  ctrepldst?: string;
  ctorigsrcport?: PortSpec;
  ctorigdstport?: PortSpec;
  ctreplsrcport?: PortSpec;
  ctrepldstport?: PortSpec;
  ctstatus?: CtStatus[];
  ctexpire?: number | { from: number; to: number };
  ctdir?: 'ORIGINAL' | 'REPLY';
  invert?: { [K in Invertible]?: boolean };
  /** 1 or 2: the older structs (as read from the kernel); default 3. */
  revision?: 1 | 2 | 3;
}

/** `-m state [!] --state STATES`. */
export interface StateMatch {
  name: 'state';
  state: CtState[];
  invert?: boolean;
  /** 0: the old xt_state match; default: conntrack revision 3 with the state alias. */
  revision?: 0 | 1 | 2 | 3;
}

// print_state order and bits (XT_CONNTRACK_STATE_*).
const STATES: readonly [CtState, number][] = [['INVALID', 1], ['NEW', 8], ['RELATED', 4], ['ESTABLISHED', 2],
  ['UNTRACKED', 256], ['SNAT', 64], ['DNAT', 128]];
// conntrack_ps_state's order, for matching prefixes.
const STATE_PARSE: readonly CtState[] = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'];
const STATUSES: readonly [CtStatus, number][] = [['EXPECTED', 1], ['SEEN_REPLY', 2], ['ASSURED', 4], ['CONFIRMED', 8]];
const F = {
  ctstate: 1, ctproto: 2, ctorigsrc: 4, ctorigdst: 8, ctreplsrc: 16, ctrepldst: 32, ctstatus: 64, ctexpire: 128,
  ctorigsrcport: 256, ctorigdstport: 512, ctreplsrcport: 1024, ctrepldstport: 2048, ctdir: 4096,
} as const;
const STATE_ALIAS = 8192;
const ADDRS: readonly Addr[] = ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'];
const PORTS: readonly Port[] = ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'];
const PORT_AT = 138;
const PORT_HIGH_AT = 154;

export const stateBits = (s: readonly CtState[]): number => s.reduce((m, x) => m | STATES.find(([n]) => n === x)![1], 0);
export const stateNames = (bits: number): CtState[] => STATES.filter(([, b]) => (bits & b) !== 0).map(([n]) => n);
const statusBits = (s: readonly CtStatus[]): number => s.reduce((m, x) => m | STATUSES.find(([n]) => n === x)![1], 0);
const statusNames = (bits: number): CtStatus[] => STATUSES.filter(([, b]) => (bits & b) !== 0).map(([n]) => n);

/** Comma-separated names, each a case-insensitive prefix tried in `order`. */
function parseList<T extends string>(arg: string, order: readonly T[], what: string, extra: string[] = []): T[] {
  const out: T[] = [];
  for (const word of arg.split(',')) {
    if (word === '') throw new IptablesParseError(`Bad ${what} "${arg}"`);
    if (extra.some((e) => e.startsWith(word.toUpperCase()))) continue;
    const found = order.find((n) => n.startsWith(word.toUpperCase()));
    if (found === undefined) throw new IptablesParseError(`Bad ${what} "${arg}"`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

function checkNames(v: unknown, names: readonly string[], what: string, allowEmpty = false): void {
  if (!Array.isArray(v) || (!allowEmpty && v.length === 0) || v.some((x) => !names.includes(x as string))) {
    throw new TypeError(`${what} must be an array of ${names.join(', ')}`);
  }
}

function expireRange(e: ConntrackMatch['ctexpire']): [number, number] {
  return typeof e === 'number' ? [e, e] : [e!.from, e!.to];
}

function encodeConntrack(v: ConntrackMatch, b: Uint8Array, at: number, family: Family): void {
  const rev = v.revision ?? 3;
  let flags = 0;
  let inv = 0;
  const mark = (k: keyof typeof F): void => {
    flags |= F[k];
    if (k !== 'ctdir' && v.invert?.[k as Invertible]) inv |= F[k];
  };
  ADDRS.forEach((k, i) => {
    if (v[k] === undefined) return;
    writeHostMask(b, at + 32 * i, v[k]!, family);
    mark(k);
  });
  if (v.ctexpire !== undefined) {
    const [min, max] = expireRange(v.ctexpire);
    put32(b, at + 128, min);
    put32(b, at + 132, max);
    mark('ctexpire');
  }
  if (v.ctproto !== undefined) {
    put16(b, at + 136, v.ctproto);
    mark('ctproto');
  }
  PORTS.forEach((k, i) => {
    if (v[k] === undefined) return;
    const [min, max] = portBounds(v[k]!);
    if (rev === 3) {
      put16(b, at + PORT_AT + 2 * i, min);
      put16(b, at + PORT_HIGH_AT + 2 * i, max);
    } else {
      b[at + PORT_AT + 2 * i] = min >>> 8;
      b[at + PORT_AT + 2 * i + 1] = min & 0xff;
    }
    mark(k);
  });
  if (v.ctstate !== undefined) mark('ctstate');
  if (v.ctstatus !== undefined) mark('ctstatus');
  if (v.ctdir !== undefined) {
    flags |= F.ctdir;
    if (v.ctdir === 'REPLY') inv |= F.ctdir;
  }
  put16(b, at + 146, flags);
  put16(b, at + 148, inv);
  const state = stateBits(v.ctstate ?? []);
  const status = statusBits(v.ctstatus ?? []);
  if (rev === 1) {
    b[at + 150] = state;
    b[at + 151] = status;
  } else {
    put16(b, at + 150, state);
    put16(b, at + 152, status);
  }
}

function saveConntrack(v: ConntrackMatch, family: Family): string {
  const i = v.invert ?? {};
  const neg = (k: Invertible): string => (i[k] ? ' !' : '');
  let out = '';
  if (v.ctstate !== undefined) out += `${neg('ctstate')} --ctstate ${stateNames(stateBits(v.ctstate)).join(',')}`;
  if (v.ctproto !== undefined) out += `${neg('ctproto')} --ctproto ${v.ctproto}`;
  for (const k of ADDRS) if (v[k] !== undefined) out += `${neg(k)} --${k} ${addressText(v[k]!, family)}`;
  for (const k of PORTS) if (v[k] !== undefined) out += `${neg(k)} --${k} ${savePortRange(v[k]!)}`;
  if (v.ctstatus !== undefined) {
    const names = statusNames(statusBits(v.ctstatus));
    out += `${neg('ctstatus')} --ctstatus ${names.length === 0 ? 'NONE' : names.join(',')}`;
  }
  if (v.ctexpire !== undefined) {
    const [min, max] = expireRange(v.ctexpire);
    out += `${neg('ctexpire')} --ctexpire ${min === max ? min : `${min}:${max}`}`;
  }
  if (v.ctdir !== undefined) out += ` --ctdir ${v.ctdir}`;
  return out;
}

function ctOptions(): Record<string, OptionSpec<ConntrackMatch>> {
  const inverted = (s: ConntrackMatch, k: Invertible, inv: boolean): void => {
    if (inv) s.invert = { ...s.invert, [k]: true };
  };
  const opts: Record<string, OptionSpec<ConntrackMatch>> = {
    ctstate: { args: 1, invert: true, apply(s, [a], inv) { s.ctstate = parseList(a!, STATE_PARSE, 'ctstate'); inverted(s, 'ctstate', inv); } },
    ctproto: {
      args: 1, invert: true, apply(s, [a], inv) {
        const n = /^\d+$/.test(a!) ? parseUint(a!, '--ctproto', 0, 255) : protocolNumber(a!);
        if (n === undefined) throw new IptablesParseError(`unknown protocol "${a}" specified`);
        s.ctproto = n;
        inverted(s, 'ctproto', inv);
      },
    },
    ctstatus: {
      args: 1, invert: true, apply(s, [a], inv) {
        s.ctstatus = parseList(a!, STATUSES.map(([n]) => n), 'ctstatus', ['NONE']);
        inverted(s, 'ctstatus', inv);
      },
    },
    ctexpire: {
      args: 1, invert: true, apply(s, [a], inv) {
        const [lo, hi] = a!.split(':');
        const min = parseUint(lo!, '--ctexpire');
        const max = hi === undefined ? min : parseUint(hi, '--ctexpire');
        s.ctexpire = min === max ? min : { from: min, to: max };
        inverted(s, 'ctexpire', inv);
      },
    },
    ctdir: {
      args: 1, apply(s, [a]) {
        if (a!.toUpperCase() === 'ORIGINAL') s.ctdir = 'ORIGINAL';
        else if (a!.toUpperCase() === 'REPLY') s.ctdir = 'REPLY';
        else throw new IptablesParseError(`Unknown --ctdir "${a}"`);
      },
    },
  };
  for (const k of ADDRS) {
    opts[k] = { args: 1, invert: true, apply(s, [a], inv, ctx) { s[k] = parseHostMask(a!, ctx.family, `--${k}`); inverted(s, k, inv); } };
  }
  for (const k of PORTS) {
    opts[k] = { args: 1, invert: true, apply(s, [a], inv) { s[k] = parsePortRange(a!, 'tcp', `--${k}`); inverted(s, k, inv); } };
  }
  return opts;
}

const CT_WIRE: readonly Wire[] = [0, 152, 154, 162].map((size, revision) => ({ kernel: 'conntrack', revision, size }));
const STATE_WIRE: Wire = { kernel: 'state', revision: 0, size: 4 };

export const conntrack: Codec<ConntrackMatch> = {
  kind: 'match',
  name: 'conntrack',
  check(v, family, what) {
    checkKeys(v, ['name', 'ctstate', 'ctproto', ...ADDRS, ...PORTS, 'ctstatus', 'ctexpire', 'ctdir', 'invert', 'revision'], what);
    if (v.ctstate !== undefined) checkNames(v.ctstate, STATES.map(([n]) => n), `${what}.ctstate`);
    if (v.ctstatus !== undefined) checkNames(v.ctstatus, STATUSES.map(([n]) => n), `${what}.ctstatus`, true);
    if (v.ctproto !== undefined) checkUint(v.ctproto, `${what}.ctproto`, 255);
    for (const k of ADDRS) if (v[k] !== undefined) checkHostMask(v[k], family, `${what}.${k}`);
    for (const k of PORTS) if (v[k] !== undefined) checkPortSpec(v[k], `${what}.${k}`);
    if (v.ctexpire !== undefined) {
      const [min, max] = typeof v.ctexpire === 'number' ? [v.ctexpire, v.ctexpire] : [v.ctexpire.from, v.ctexpire.to];
      checkUint(min, `${what}.ctexpire`, 0xffffffff);
      checkUint(max, `${what}.ctexpire`, 0xffffffff, min);
    }
    if (v.ctdir !== undefined && v.ctdir !== 'ORIGINAL' && v.ctdir !== 'REPLY') throw new TypeError(`${what}.ctdir must be ORIGINAL or REPLY`);
    if (v.invert !== undefined) checkKeys(v.invert, ['ctstate', 'ctproto', ...ADDRS, ...PORTS, 'ctstatus', 'ctexpire'], `${what}.invert`);
    const rev = v.revision ?? 3;
    if (rev !== 1 && rev !== 2 && rev !== 3) throw new RangeError(`${what}.revision must be 1, 2 or 3`);
    if (rev < 3 && PORTS.some((k) => v[k] !== undefined && typeof v[k] !== 'number')) throw new RangeError(`${what}: port ranges need revision 3`);
    if (rev === 1 && stateBits(v.ctstate ?? []) > 255) throw new RangeError(`${what}: UNTRACKED needs revision 2 or 3`);
  },
  wire: (v) => CT_WIRE[v.revision ?? 3]!,
  encode: (v, b, at, ctx) => encodeConntrack(v, b, at, ctx.family),
  save: (v, ctx) => saveConntrack(v, ctx.family),
  parser: {
    init: () => ({ name: 'conntrack' }),
    options: ctOptions(),
  },
};

export const state: Codec<StateMatch> = {
  kind: 'match',
  name: 'state',
  check(v, _family, what) {
    checkKeys(v, ['name', 'state', 'invert', 'revision'], what);
    checkNames(v.state, STATES.map(([n]) => n), `${what}.state`);
    if (v.revision !== undefined && ![0, 1, 2, 3].includes(v.revision)) throw new RangeError(`${what}.revision must be 0..3`);
    if (v.revision === 0 && v.invert) throw new RangeError(`${what}: revision 0 cannot be inverted`);
  },
  wire: (v) => (v.revision === 0 ? STATE_WIRE : CT_WIRE[v.revision ?? 3]!),
  printName: () => 'state',
  encode(v, b, at) {
    if (v.revision === 0) {
      put32(b, at, stateBits(v.state));
      return;
    }
    put16(b, at + 146, F.ctstate | STATE_ALIAS);
    put16(b, at + 148, v.invert ? F.ctstate : 0);
    if (v.revision === 1) b[at + 150] = stateBits(v.state);
    else put16(b, at + 150, stateBits(v.state));
  },
  save: (v) => `${v.invert ? ' !' : ''} --state ${stateNames(stateBits(v.state)).join(',')}`,
  parser: {
    init: () => ({ name: 'state', state: [] }),
    options: {
      state: {
        args: 1, invert: true, apply(s, [a], inv) {
          s.state = parseList(a!, STATE_PARSE.filter((n) => n !== 'SNAT' && n !== 'DNAT'), 'state');
          if (inv) s.invert = true;
        },
      },
    },
    finish(_s, _ctx, seen) {
      if (!seen.has('state')) throw new IptablesParseError('state: option "--state" must be specified');
    },
  },
};

function decodeConntrack(b: Uint8Array, at: number, len: number, rev: number, family: Family): ConntrackMatch | StateMatch | undefined {
  const flags = u16(b, at + 146);
  const inv = u16(b, at + 148);
  const state = rev === 1 ? b[at + 150]! : u16(b, at + 150);
  const status = rev === 1 ? b[at + 151]! : u16(b, at + 152);
  if (flags & ~0x3fff || inv & ~flags || state & ~0x1cf || status & ~15) return undefined;
  if (flags & STATE_ALIAS) {
    if (flags !== (F.ctstate | STATE_ALIAS) || inv & ~F.ctstate) return undefined;
    const s: StateMatch = { name: 'state', state: stateNames(state) };
    if (inv) s.invert = true;
    if (rev !== 3) s.revision = rev as 1;
    return s;
  }
  const m: ConntrackMatch = { name: 'conntrack' };
  const invert: NonNullable<ConntrackMatch['invert']> = {};
  const has = (k: keyof typeof F): boolean => {
    if ((flags & F[k]) === 0) return false;
    if (k !== 'ctdir' && inv & F[k]) invert[k as Invertible] = true;
    return true;
  };
  if (has('ctstate')) m.ctstate = stateNames(state);
  if (has('ctproto')) m.ctproto = u16(b, at + 136);
  for (const [i, k] of ADDRS.entries()) {
    if (!has(k)) continue;
    const text = addressText(b.subarray(at + 32 * i, at + 32 * i + 32), family);
    if (text === undefined) return undefined;
    m[k] = text;
  }
  PORTS.forEach((k, i) => {
    if (!has(k)) return;
    if (rev === 3) {
      const lo = u16(b, at + PORT_AT + 2 * i);
      const hi = u16(b, at + PORT_HIGH_AT + 2 * i);
      m[k] = hi === 0 || hi === lo ? lo : { from: lo, to: hi };
    } else {
      m[k] = (b[at + PORT_AT + 2 * i]! << 8) | b[at + PORT_AT + 2 * i + 1]!;
    }
  });
  if (has('ctstatus')) m.ctstatus = statusNames(status);
  if (has('ctexpire')) {
    const min = u32(b, at + 128);
    const max = u32(b, at + 132);
    m.ctexpire = min === max ? min : { from: min, to: max };
  }
  if (has('ctdir')) m.ctdir = inv & F.ctdir ? 'REPLY' : 'ORIGINAL';
  if (Object.keys(invert).length > 0) m.invert = invert;
  if (rev !== 3) m.revision = rev as 1;
  return m;
}

export const conntrackDecoder: Decoder = {
  kind: 'match',
  kernel: 'conntrack',
  decode(b, at, len, revision, ctx) {
    if (revision < 1 || revision > 3 || len < [0, 152, 154, 162][revision]!) return undefined;
    return decodeConntrack(b, at, len, revision, ctx.family);
  },
};

export const stateDecoder: Decoder = {
  kind: 'match',
  kernel: 'state',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 4) return undefined;
    const mask = u32(b, at);
    if (mask & ~0x1cf || mask === 0) return undefined;
    return { name: 'state', state: stateNames(mask), revision: 0 } satisfies StateMatch;
  },
};
