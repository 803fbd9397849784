// -j MARK (xt_mark_tginfo2, revision 2): set bits of the packet mark.
import { put32, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, IptablesParseError, parseMarkMask, parseUint, type Codec, type Decoder, type Wire } from './ext.js';

/**
 * `-j MARK --set-xmark VALUE/MASK`: the mark becomes (mark AND NOT mask) XOR value.
 * --set-mark V[/M], --and-mark, --or-mark and --xor-mark parse into the same two numbers.
 */
export interface MarkTarget {
  name: 'MARK';
  value: number;
  mask: number;
}

const WIRE: Wire = { kernel: 'MARK', revision: 2, size: 8 };

export const markTarget: Codec<MarkTarget> = {
  kind: 'target',
  name: 'MARK',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'value', 'mask'], what);
    checkUint(v.value, `${what}.value`, 0xffffffff);
    checkUint(v.mask, `${what}.mask`, 0xffffffff);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    put32(b, at, v.value);
    put32(b, at + 4, v.mask);
  },
  save: (v) => ` --set-xmark 0x${v.value.toString(16)}/0x${v.mask.toString(16)}`,
  parser: {
    init: () => ({ name: 'MARK', value: 0, mask: 0 }),
    options: {
      'set-xmark': { args: 1, apply(s, [a]) { const { value, mask } = parseMarkMask(a!, '--set-xmark'); s.value = value; s.mask = mask; } },
      'set-mark': {
        args: 1, apply(s, [a]) {
          const { value, mask } = parseMarkMask(a!, '--set-mark');
          s.value = value;
          s.mask = (value | mask) >>> 0;
        },
      },
      'and-mark': { args: 1, apply(s, [a]) { s.value = 0; s.mask = ~parseUint(a!, '--and-mark') >>> 0; } },
      'or-mark': { args: 1, apply(s, [a]) { s.value = s.mask = parseUint(a!, '--or-mark'); } },
      'xor-mark': { args: 1, apply(s, [a]) { s.value = parseUint(a!, '--xor-mark'); s.mask = 0; } },
    },
    finish(_s, _ctx, seen) {
      const ops = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'].filter((o) => seen.has(o));
      if (ops.length === 0) throw new IptablesParseError('MARK target: Parameter --set/and/or/xor-mark is required');
      if (ops.length > 1) throw new IptablesParseError(`MARK: "--${ops[1]}" and "--${ops[0]}" cannot be used together`);
    },
  },
};

export const markTargetDecoder: Decoder = {
  kind: 'target',
  kernel: 'MARK',
  decode(b, at, len, revision) {
    if (revision !== 2 || len < 8) return undefined;
    return { name: 'MARK', value: u32(b, at), mask: u32(b, at + 4) } satisfies MarkTarget;
  },
};
