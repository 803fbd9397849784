// -m set (xt_set_info_match_v4, revision 4): membership of the packet's
// addresses/ports in an ipset, by name. The kernel knows sets by index; the
// handle resolves names both ways (SO_IP_SET) around encoding and decoding.
import { put16, put32, put64, u16, u32, u64, type Family } from '../wire.js';
import { checkFixedString, checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type OptionSpec, type Wire } from './ext.js';

export type SetCounterOp = 'eq' | 'ne' | 'lt' | 'gt';

/**
 * `-m set [!] --match-set NAME src|dst[,src|dst...] [--return-nomatch]
 * [! --update-counters] [! --update-subcounters] [[!] --packets-eq N|--packets-lt N|--packets-gt N]
 * [[!] --bytes-eq N|--bytes-lt N|--bytes-gt N]`.
 */
export interface SetMatch {
  name: 'set';
  /** The ipset's name (at most 31 bytes). */
  set: string;
  /** One direction per dimension of the set. */
  flags: ('src' | 'dst')[];
  invert?: boolean;
  returnNomatch?: boolean;
  /** false: ! --update-counters. */
  updateCounters?: boolean;
  /** false: ! --update-subcounters. */
  updateSubcounters?: boolean;
  packets?: { op: SetCounterOp; value: number };
  bytes?: { op: SetCounterOp; value: number };
}

const INV_MATCH = 1;
const RETURN_NOMATCH = 0x80;
const SKIP_COUNTER_UPDATE = 0x08;
const SKIP_SUBCOUNTER_UPDATE = 0x10;
const OPS: readonly SetCounterOp[] = ['eq', 'ne', 'lt', 'gt']; // IPSET_COUNTER_EQ = 1 ...

function checkCounter(c: unknown, what: string): void {
  if (c === undefined) return;
  const x = c as { op: unknown; value: unknown };
  if (typeof c !== 'object' || c === null || !OPS.includes(x.op as SetCounterOp)) throw new TypeError(`${what}.op must be eq, ne, lt or gt`);
  checkUint(x.value, `${what}.value`, Number.MAX_SAFE_INTEGER);
}

function counterText(c: SetMatch['packets'], name: string): string {
  if (c === undefined) return '';
  return c.op === 'ne' ? ` ! --${name}-eq ${c.value}` : ` --${name}-${c.op} ${c.value}`;
}

const WIRE: Wire = { kernel: 'set', revision: 4, size: 48 };

export const set: Codec<SetMatch> = {
  kind: 'match',
  name: 'set',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'set', 'flags', 'invert', 'returnNomatch', 'updateCounters', 'updateSubcounters', 'packets', 'bytes'], what);
    checkFixedString(v.set, `${what}.set`, 32, false);
    if (!Array.isArray(v.flags) || v.flags.length < 1 || v.flags.length > 6 || v.flags.some((f) => f !== 'src' && f !== 'dst')) {
      throw new TypeError(`${what}.flags must be 1 to 6 of 'src' and 'dst'`);
    }
    checkCounter(v.packets, `${what}.packets`);
    checkCounter(v.bytes, `${what}.bytes`);
  },
  wire: () => WIRE,
  encode(v, b, at, ctx) {
    put16(b, at, ctx.setIndex(v.set));
    b[at + 2] = v.flags.length;
    b[at + 3] = v.flags.reduce((m, f, i) => m | (f === 'src' ? 1 << (i + 1) : 0), v.invert ? INV_MATCH : 0);
    if (v.packets) {
      put64(b, at + 8, v.packets.value);
      b[at + 16] = OPS.indexOf(v.packets.op) + 1;
    }
    if (v.bytes) {
      put64(b, at + 24, v.bytes.value);
      b[at + 32] = OPS.indexOf(v.bytes.op) + 1;
    }
    put32(b, at + 40, (v.returnNomatch ? RETURN_NOMATCH : 0) | (v.updateCounters === false ? SKIP_COUNTER_UPDATE : 0) |
      (v.updateSubcounters === false ? SKIP_SUBCOUNTER_UPDATE : 0));
  },
  save(v) {
    let out = `${v.invert ? ' !' : ''} --match-set ${v.set} ${v.flags.join(',')}`;
    if (v.returnNomatch) out += ' --return-nomatch';
    if (v.updateCounters === false) out += ' ! --update-counters';
    if (v.updateSubcounters === false) out += ' ! --update-subcounters';
    return out + counterText(v.packets, 'packets') + counterText(v.bytes, 'bytes');
  },
  parser: {
    init: () => ({ name: 'set', set: '', flags: [] }),
    options: (() => {
      const matchSet: OptionSpec<SetMatch> = {
        args: 2, invert: true, apply(s, [name, dirs], inv) {
          if (s.flags.length > 0) throw new IptablesParseError('--match-set can be specified only once');
          if (Buffer.byteLength(name!) > 31) throw new IptablesParseError(`setname \`${name}' too long, max 31 characters.`);
          const list = dirs!.split(',');
          if (list.length > 6 || list.some((d) => d !== 'src' && d !== 'dst')) throw new IptablesParseError(`You must specify (the comma separated list of) 'src' or 'dst'.`);
          s.set = name!;
          s.flags = list as ('src' | 'dst')[];
          if (inv) s.invert = true;
        },
      };
      const counter = (key: 'packets' | 'bytes', op: 'eq' | 'lt' | 'gt'): OptionSpec<SetMatch> => ({
        args: 1, invert: op === 'eq', apply(s, [a], inv) {
          if (s[key] !== undefined) throw new IptablesParseError(`only one of the --${key}-[eq|lt|gt] is allowed`);
          s[key] = { op: inv ? 'ne' : op, value: parseUint(a!, `--${key}-${op}`, 0, Number.MAX_SAFE_INTEGER) };
        },
      });
      return {
        'match-set': matchSet,
        set: matchSet,
        'return-nomatch': { args: 0, apply(s) { s.returnNomatch = true; } },
        'update-counters': { args: 0, invert: true, apply(s, _a, inv) { if (inv) s.updateCounters = false; } },
        'update-subcounters': { args: 0, invert: true, apply(s, _a, inv) { if (inv) s.updateSubcounters = false; } },
        'packets-eq': counter('packets', 'eq'), 'packets-lt': counter('packets', 'lt'), 'packets-gt': counter('packets', 'gt'),
        'bytes-eq': counter('bytes', 'eq'), 'bytes-lt': counter('bytes', 'lt'), 'bytes-gt': counter('bytes', 'gt'),
      };
    })(),
    finish(s) {
      if (s.flags.length === 0) throw new IptablesParseError('You must specify `--match-set\' with proper arguments');
    },
  },
};

/** The set index a set match (revision 1 to 4) refers to, for resolving names before decoding. */
export function setIndexOf(b: Uint8Array, at: number, revision: number): number | undefined {
  return revision >= 1 && revision <= 4 ? u16(b, at) : undefined;
}

export const setDecoder: Decoder = {
  kind: 'match',
  kernel: 'set',
  decode(b, at, len, revision, ctx) {
    if (revision !== 4 || len < 44) return undefined;
    const name = ctx.setName(u16(b, at));
    const dim = b[at + 2]!;
    const flags = b[at + 3]!;
    const extra = u32(b, at + 40);
    const pOp = b[at + 16]!;
    const bOp = b[at + 32]!;
    if (name === undefined || dim < 1 || dim > 6 || flags & ~((2 << dim) - 1) || extra & ~(RETURN_NOMATCH | SKIP_COUNTER_UPDATE | SKIP_SUBCOUNTER_UPDATE) ||
      pOp > 4 || bOp > 4) return undefined;
    const m: SetMatch = { name: 'set', set: name, flags: [] };
    for (let i = 1; i <= dim; i++) m.flags.push(flags & (1 << i) ? 'src' : 'dst');
    if (flags & INV_MATCH) m.invert = true;
    if (extra & RETURN_NOMATCH) m.returnNomatch = true;
    if (extra & SKIP_COUNTER_UPDATE) m.updateCounters = false;
    if (extra & SKIP_SUBCOUNTER_UPDATE) m.updateSubcounters = false;
    if (pOp !== 0) m.packets = { op: OPS[pOp - 1]!, value: u64(b, at + 8) };
    if (bOp !== 0) m.bytes = { op: OPS[bOp - 1]!, value: u64(b, at + 24) };
    return m;
  },
};
