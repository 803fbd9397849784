// -m mark and -m connmark (xt_mark_mtinfo1 / xt_connmark_mtinfo1, revision 1):
// the packet's or the connection's mark under a mask.
import { put32, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, markMask, parseMarkMask, type Codec, type Decoder, type Wire } from './ext.js';

/** `-m mark [!] --mark VALUE[/MASK]`. */
export interface MarkMatch {
  name: 'mark';
  mark: number;
  /** Default 0xffffffff. */
  mask?: number;
  invert?: boolean;
}

/** `-m connmark [!] --mark VALUE[/MASK]`. */
export interface ConnmarkMatch {
  name: 'connmark';
  mark: number;
  mask?: number;
  invert?: boolean;
}

function makeCodec<T extends MarkMatch | ConnmarkMatch>(name: T['name']): Codec<T> {
  const wire: Wire = { kernel: name, revision: 1, size: 9 };
  return {
    kind: 'match',
    name,
    check(v, _family: Family, what) {
      checkKeys(v, ['name', 'mark', 'mask', 'invert'], what);
      checkUint(v.mark, `${what}.mark`, 0xffffffff);
      if (v.mask !== undefined) checkUint(v.mask, `${what}.mask`, 0xffffffff);
    },
    wire: () => wire,
    encode(v, b, at) {
      put32(b, at, v.mark);
      put32(b, at + 4, v.mask ?? 0xffffffff);
      b[at + 8] = v.invert ? 1 : 0;
    },
    save: (v) => `${v.invert ? ' !' : ''} --mark${markMask(v.mark, v.mask ?? 0xffffffff)}`,
    parser: {
      init: () => ({ name, mark: 0 }) as T,
      options: {
        mark: {
          args: 1, invert: true, apply(s, [a], inv) {
            const { value, mask } = parseMarkMask(a!, '--mark');
            s.mark = value;
            if (mask !== 0xffffffff) s.mask = mask;
            if (inv) s.invert = true;
          },
        },
      },
      finish(_s, _ctx, seen) {
        if (!seen.has('mark')) throw new IptablesParseError(`${name}: option "--mark" must be specified`);
      },
    },
  };
}

export const mark = makeCodec<MarkMatch>('mark');
export const connmark = makeCodec<ConnmarkMatch>('connmark');

function makeDecoder(name: 'mark' | 'connmark'): Decoder {
  return {
    kind: 'match',
    kernel: name,
    decode(b, at, len, revision) {
      if (revision !== 1 || len < 9 || b[at + 8]! > 1) return undefined;
      const m: MarkMatch | ConnmarkMatch = { name, mark: u32(b, at) };
      const mask = u32(b, at + 4);
      if (mask !== 0xffffffff) m.mask = mask;
      if (b[at + 8]) m.invert = true;
      return m;
    },
  };
}

export const markDecoder = makeDecoder('mark');
export const connmarkDecoder = makeDecoder('connmark');
