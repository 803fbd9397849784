// -m addrtype (xt_addrtype_info_v1, revision 1): the routing type of the
// source or destination address (LOCAL, UNICAST, ...).
import { put16, put32, u16, u32, type Family } from '../wire.js';
import { checkKeys, IptablesParseError, type Codec, type Decoder, type Wire } from './ext.js';

export type AddrType = 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST' | 'BLACKHOLE' |
  'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'NAT' | 'XRESOLVE';

/** `-m addrtype [[!] --src-type TYPES] [[!] --dst-type TYPES] [--limit-iface-in|--limit-iface-out]`. */
export interface AddrtypeMatch {
  name: 'addrtype';
  sourceType?: AddrType[];
  destinationType?: AddrType[];
  limitIfaceIn?: boolean;
  limitIfaceOut?: boolean;
  invert?: { sourceType?: boolean; destinationType?: boolean };
}

const TYPES: readonly AddrType[] = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE',
  'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];
const INV_SRC = 1;
const INV_DST = 2;
const IFACE_IN = 4;
const IFACE_OUT = 8;

const bits = (types: readonly AddrType[]): number => types.reduce((m, t) => m | (1 << TYPES.indexOf(t)), 0);
const names = (mask: number): AddrType[] => TYPES.filter((_, i) => (mask & (1 << i)) !== 0);

/** parse_types: comma-separated, each a case-insensitive prefix of a type name (the first that fits). */
function parseTypes(s: string): AddrType[] {
  let mask = 0;
  for (const word of s.split(',')) {
    const i = word === '' ? -1 : TYPES.findIndex((t) => t.startsWith(word.toUpperCase()));
    if (i < 0) throw new IptablesParseError(`addrtype: bad type "${s}"`);
    mask |= 1 << i;
  }
  return names(mask);
}

function checkTypes(v: unknown, what: string): void {
  if (!Array.isArray(v) || v.length === 0 || v.some((t) => !(TYPES as readonly unknown[]).includes(t))) {
    throw new TypeError(`${what} must be a non-empty array of ${TYPES.join(', ')}`);
  }
}

const WIRE: Wire = { kernel: 'addrtype', revision: 1, size: 8 };

export const addrtype: Codec<AddrtypeMatch> = {
  kind: 'match',
  name: 'addrtype',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'sourceType', 'destinationType', 'limitIfaceIn', 'limitIfaceOut', 'invert'], what);
    if (v.sourceType === undefined && v.destinationType === undefined) throw new TypeError(`${what}: sourceType or destinationType is needed`);
    if (v.sourceType !== undefined) checkTypes(v.sourceType, `${what}.sourceType`);
    if (v.destinationType !== undefined) checkTypes(v.destinationType, `${what}.destinationType`);
    if (v.limitIfaceIn && v.limitIfaceOut) throw new TypeError(`${what}: limitIfaceIn and limitIfaceOut exclude each other`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put16(b, at, bits(v.sourceType ?? []));
    put16(b, at + 2, bits(v.destinationType ?? []));
    put32(b, at + 4, (v.invert?.sourceType ? INV_SRC : 0) | (v.invert?.destinationType ? INV_DST : 0) |
      (v.limitIfaceIn ? IFACE_IN : 0) | (v.limitIfaceOut ? IFACE_OUT : 0));
  },
  save(v) {
    let out = '';
    if (v.sourceType?.length) out += `${v.invert?.sourceType ? ' !' : ''} --src-type ${names(bits(v.sourceType)).join(',')}`;
    if (v.destinationType?.length) out += `${v.invert?.destinationType ? ' !' : ''} --dst-type ${names(bits(v.destinationType)).join(',')}`;
    if (v.limitIfaceIn) out += ' --limit-iface-in';
    if (v.limitIfaceOut) out += ' --limit-iface-out';
    return out;
  },
  parser: {
    init: () => ({ name: 'addrtype' }),
    options: {
      'src-type': {
        args: 1, invert: true, apply(s, [a], inv) {
          s.sourceType = names(bits([...(s.sourceType ?? []), ...parseTypes(a!)]));
          if (inv) s.invert = { ...s.invert, sourceType: true };
        },
      },
      'dst-type': {
        args: 1, invert: true, apply(s, [a], inv) {
          s.destinationType = names(bits([...(s.destinationType ?? []), ...parseTypes(a!)]));
          if (inv) s.invert = { ...s.invert, destinationType: true };
        },
      },
      'limit-iface-in': { args: 0, apply(s) { s.limitIfaceIn = true; } },
      'limit-iface-out': { args: 0, apply(s) { s.limitIfaceOut = true; } },
    },
    finish(s, _ctx, seen) {
      if (!seen.has('src-type') && !seen.has('dst-type')) throw new IptablesParseError('addrtype: you must specify --src-type or --dst-type');
      if (s.limitIfaceIn && s.limitIfaceOut) throw new IptablesParseError('addrtype: "--limit-iface-in" and "--limit-iface-out" cannot be used together');
    },
  },
};

export const addrtypeDecoder: Decoder = {
  kind: 'match',
  kernel: 'addrtype',
  decode(b, at, len, revision) {
    if (revision !== 1 || len < 8) return undefined;
    const src = u16(b, at);
    const dst = u16(b, at + 2);
    const flags = u32(b, at + 4);
    // What iptables would not print (or print differently) stays raw.
    if (flags & ~15 || (src | dst) & ~0xfff || (src === 0 && flags & INV_SRC) || (dst === 0 && flags & INV_DST)) return undefined;
    if (src === 0 && dst === 0) return undefined;
    const m: AddrtypeMatch = { name: 'addrtype' };
    if (src !== 0) m.sourceType = names(src);
    if (dst !== 0) m.destinationType = names(dst);
    if (flags & IFACE_IN) m.limitIfaceIn = true;
    if (flags & IFACE_OUT) m.limitIfaceOut = true;
    if (flags & (INV_SRC | INV_DST)) m.invert = { ...(flags & INV_SRC ? { sourceType: true } : {}), ...(flags & INV_DST ? { destinationType: true } : {}) };
    return m;
  },
};
