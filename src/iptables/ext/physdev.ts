// -m physdev (xt_physdev, revision 0): the bridge ports a bridged packet
// came in or goes out on.
import { readCString, writeCString, type Family } from '../wire.js';
import { checkKeys, saveWord, type Codec, type Decoder, type Wire } from './ext.js';
import { checkInterface, interfaceMask } from '../iface.js';

/**
 * `-m physdev [[!] --physdev-in IF] [[!] --physdev-out IF] [[!] --physdev-is-in]
 * [[!] --physdev-is-out] [[!] --physdev-is-bridged]` (IF may end in +).
 */
export interface PhysdevMatch {
  name: 'physdev';
  physdevIn?: string;
  physdevOut?: string;
  isIn?: boolean;
  isOut?: boolean;
  isBridged?: boolean;
  invert?: { physdevIn?: boolean; physdevOut?: boolean; isIn?: boolean; isOut?: boolean; isBridged?: boolean };
}

const OP_IN = 1;
const OP_OUT = 2;
const OP_BRIDGED = 4;
const OP_ISIN = 8;
const OP_ISOUT = 16;
const KEYS = ['physdevIn', 'physdevOut', 'isIn', 'isOut', 'isBridged'] as const;
const BIT = { physdevIn: OP_IN, physdevOut: OP_OUT, isIn: OP_ISIN, isOut: OP_ISOUT, isBridged: OP_BRIDGED } as const;

const WIRE: Wire = { kernel: 'physdev', revision: 0, size: 66 };

export const physdev: Codec<PhysdevMatch> = {
  kind: 'match',
  name: 'physdev',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', ...KEYS, 'invert'], what);
    if (v.physdevIn !== undefined) checkInterface(v.physdevIn, `${what}.physdevIn`);
    if (v.physdevOut !== undefined) checkInterface(v.physdevOut, `${what}.physdevOut`);
    if (v.invert !== undefined) checkKeys(v.invert, KEYS, `${what}.invert`);
    if (!KEYS.some((k) => v[k] !== undefined && v[k] !== false)) throw new TypeError(`${what}: at least one option is needed`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    let mask = 0;
    let inv = 0;
    for (const k of KEYS) {
      if (v[k] === undefined || v[k] === false) continue;
      mask |= BIT[k];
      if (v.invert?.[k]) inv |= BIT[k];
    }
    if (v.physdevIn !== undefined) {
      writeCString(b, at, v.physdevIn, 16);
      b.set(interfaceMask(v.physdevIn), at + 16);
    }
    if (v.physdevOut !== undefined) {
      writeCString(b, at + 32, v.physdevOut, 16);
      b.set(interfaceMask(v.physdevOut), at + 48);
    }
    b[at + 64] = inv;
    b[at + 65] = mask;
  },
  save(v) {
    const inv = (k: (typeof KEYS)[number]): string => (v.invert?.[k] ? ' !' : '');
    let out = '';
    if (v.isIn) out += `${inv('isIn')} --physdev-is-in`;
    if (v.physdevIn !== undefined) out += `${inv('physdevIn')} --physdev-in${saveWord(v.physdevIn)}`;
    if (v.isOut) out += `${inv('isOut')} --physdev-is-out`;
    if (v.physdevOut !== undefined) out += `${inv('physdevOut')} --physdev-out${saveWord(v.physdevOut)}`;
    if (v.isBridged) out += `${inv('isBridged')} --physdev-is-bridged`;
    return out;
  },
  parser: {
    init: () => ({ name: 'physdev' }),
    options: (() => {
      const flag = (k: 'isIn' | 'isOut' | 'isBridged') => ({
        args: 0 as const, invert: true, apply(s: PhysdevMatch, _a: string[], i: boolean) {
          s[k] = true;
          if (i) s.invert = { ...s.invert, [k]: true };
        },
      });
      const iface = (k: 'physdevIn' | 'physdevOut') => ({
        args: 1 as const, invert: true, apply(s: PhysdevMatch, [a]: string[], i: boolean) {
          checkInterface(a!, `--${k === 'physdevIn' ? 'physdev-in' : 'physdev-out'}`);
          s[k] = a!;
          if (i) s.invert = { ...s.invert, [k]: true };
        },
      });
      return {
        'physdev-in': iface('physdevIn'), 'physdev-out': iface('physdevOut'), 'physdev-is-in': flag('isIn'),
        'physdev-is-out': flag('isOut'), 'physdev-is-bridged': flag('isBridged'),
      };
    })(),
  },
};

export const physdevDecoder: Decoder = {
  kind: 'match',
  kernel: 'physdev',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 66) return undefined;
    const inv = b[at + 64]!;
    const mask = b[at + 65]!;
    if (mask & ~31 || inv & ~mask) return undefined;
    const m: PhysdevMatch = { name: 'physdev' };
    if (mask & OP_IN) m.physdevIn = readCString(b, at, 16);
    if (mask & OP_OUT) m.physdevOut = readCString(b, at + 32, 16);
    if (mask & OP_ISIN) m.isIn = true;
    if (mask & OP_ISOUT) m.isOut = true;
    if (mask & OP_BRIDGED) m.isBridged = true;
    if (inv !== 0) {
      m.invert = {};
      for (const k of KEYS) if (inv & BIT[k]) m.invert[k] = true;
    }
    return m;
  },
};
