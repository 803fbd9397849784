// -m mac (xt_mac, revision 0): the Ethernet source address.
import { u32, put32, type Family } from '../wire.js';
import { checkKeys, IptablesParseError, type Codec, type Decoder, type Wire } from './ext.js';

/** `-m mac [!] --mac-source XX:XX:XX:XX:XX:XX`. */
export interface MacMatch {
  name: 'mac';
  /** Lower-case, colon-separated. */
  macSource: string;
  invert?: boolean;
}

const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

function macBytes(s: string): number[] {
  return s.split(':').map((x) => parseInt(x, 16));
}

const WIRE: Wire = { kernel: 'mac', revision: 0, size: 12 };

export const mac: Codec<MacMatch> = {
  kind: 'match',
  name: 'mac',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'macSource', 'invert'], what);
    if (typeof v.macSource !== 'string' || !MAC.test(v.macSource)) throw new TypeError(`${what}.macSource must be a MAC address like 00:11:22:33:44:55`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    b.set(macBytes(v.macSource), at);
    put32(b, at + 8, v.invert ? 1 : 0);
  },
  save: (v) => `${v.invert ? ' !' : ''} --mac-source ${macBytes(v.macSource).map((x) => x.toString(16).padStart(2, '0')).join(':')}`,
  parser: {
    init: () => ({ name: 'mac', macSource: '00:00:00:00:00:00' }),
    options: {
      'mac-source': {
        args: 1, invert: true, apply(s, [a], inv) {
          if (!MAC.test(a!)) throw new IptablesParseError(`Bad mac address "${a}"`);
          s.macSource = macBytes(a!).map((x) => x.toString(16).padStart(2, '0')).join(':');
          if (inv) s.invert = true;
        },
      },
    },
    finish(_s, _ctx, seen) {
      if (!seen.has('mac-source')) throw new IptablesParseError('mac: option "--mac-source" must be specified');
    },
  },
};

export const macDecoder: Decoder = {
  kind: 'match',
  kernel: 'mac',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 12 || u32(b, at + 8) > 1) return undefined;
    const bytes = Array.from(b.subarray(at, at + 6));
    const m: MacMatch = { name: 'mac', macSource: bytes.map((x) => x.toString(16).padStart(2, '0')).join(':') };
    if (u32(b, at + 8)) m.invert = true;
    return m;
  },
};
