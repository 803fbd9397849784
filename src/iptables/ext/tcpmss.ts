// -j TCPMSS (xt_tcpmss_info, revision 0): rewrite the MSS option of SYNs.
import { put16, u16, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseUint, type Codec, type Decoder, type Wire } from './ext.js';

/** `-j TCPMSS --set-mss N | --clamp-mss-to-pmtu`. */
export interface TcpmssTarget {
  name: 'TCPMSS';
  /** A fixed MSS, or 'clamp-to-pmtu'. */
  mss: number | 'clamp-to-pmtu';
}

const CLAMP = 0xffff;

const WIRE: Wire = { kernel: 'TCPMSS', revision: 0, size: 2 };

export const tcpmss: Codec<TcpmssTarget> = {
  kind: 'target',
  name: 'TCPMSS',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'mss'], what);
    if (v.mss !== 'clamp-to-pmtu') checkUint(v.mss, `${what}.mss`, 0xfffe);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put16(b, at, v.mss === 'clamp-to-pmtu' ? CLAMP : v.mss);
  },
  save: (v) => (v.mss === 'clamp-to-pmtu' ? ' --clamp-mss-to-pmtu' : ` --set-mss ${v.mss}`),
  parser: {
    init: () => ({ name: 'TCPMSS', mss: 'clamp-to-pmtu' }),
    options: {
      'set-mss': { args: 1, apply(s, [a]) { s.mss = parseUint(a!, '--set-mss', 0, 0xfffe); } },
      'clamp-mss-to-pmtu': { args: 0, apply(s) { s.mss = 'clamp-to-pmtu'; } },
    },
    finish(_s, _ctx, seen) {
      const n = ['set-mss', 'clamp-mss-to-pmtu'].filter((o) => seen.has(o)).length;
      if (n !== 1) throw new IptablesParseError('TCPMSS target: exactly one of --set-mss or --clamp-mss-to-pmtu is required');
    },
  },
};

export const tcpmssDecoder: Decoder = {
  kind: 'target',
  kernel: 'TCPMSS',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 2) return undefined;
    const mss = u16(b, at);
    return { name: 'TCPMSS', mss: mss === CLAMP ? 'clamp-to-pmtu' : mss } satisfies TcpmssTarget;
  },
};
