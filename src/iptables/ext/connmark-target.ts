// -j CONNMARK (xt_connmark_tginfo2, revision 2; revision 1 read too): set,
// save or restore the connection mark.
import { put32, u32, type Family } from '../wire.js';
import { checkKeys, checkUint, hex, IptablesParseError, parseMarkMask, parseUint, type Codec, type Decoder, type Wire } from './ext.js';

/**
 * `-j CONNMARK --set-xmark V/M` (mode 'set': ctmark = (ctmark AND NOT ctmask) XOR value),
 * `--save-mark [--nfmask M] [--ctmask M]`, `--restore-mark [--nfmask M] [--ctmask M]`,
 * each optionally with `--left-shift-mark N` / `--right-shift-mark N`.
 */
export interface ConnmarkTarget {
  name: 'CONNMARK';
  mode: 'set' | 'save' | 'restore';
  /** set: the value XORed in. */
  ctmark?: number;
  /** Default 0xffffffff. */
  ctmask?: number;
  /** Default 0xffffffff. */
  nfmask?: number;
  shift?: { direction: 'left' | 'right'; bits: number };
  /** 1: the struct without a shift (as read from the kernel); default 2. */
  revision?: 1 | 2;
}

const MODES = ['set', 'save', 'restore'] as const;

const WIRE1: Wire = { kernel: 'CONNMARK', revision: 1, size: 13 };
const WIRE2: Wire = { kernel: 'CONNMARK', revision: 2, size: 15 };

export const connmarkTarget: Codec<ConnmarkTarget> = {
  kind: 'target',
  name: 'CONNMARK',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'mode', 'ctmark', 'ctmask', 'nfmask', 'shift', 'revision'], what);
    if (!MODES.includes(v.mode)) throw new TypeError(`${what}.mode must be set, save or restore`);
    for (const k of ['ctmark', 'ctmask', 'nfmask'] as const) if (v[k] !== undefined) checkUint(v[k], `${what}.${k}`, 0xffffffff);
    if (v.shift !== undefined) {
      if (v.shift.direction !== 'left' && v.shift.direction !== 'right') throw new TypeError(`${what}.shift.direction must be left or right`);
      checkUint(v.shift.bits, `${what}.shift.bits`, 32);
      if (v.revision === 1) throw new RangeError(`${what}: revision 1 has no shift`);
    }
    if (v.revision !== undefined && v.revision !== 1 && v.revision !== 2) throw new RangeError(`${what}.revision must be 1 or 2`);
  },
  wire: (v) => (v.revision === 1 ? WIRE1 : WIRE2),
  encode(v, b, at) {
    put32(b, at, v.ctmark ?? 0);
    put32(b, at + 4, v.ctmask ?? 0xffffffff);
    put32(b, at + 8, v.nfmask ?? 0xffffffff);
    if (v.revision === 1) {
      b[at + 12] = MODES.indexOf(v.mode);
      return;
    }
    b[at + 12] = v.shift?.direction === 'right' ? 1 : 0;
    b[at + 13] = v.shift?.bits ?? 0;
    b[at + 14] = MODES.indexOf(v.mode);
  },
  save(v) {
    const ctmask = v.ctmask ?? 0xffffffff;
    const nfmask = v.nfmask ?? 0xffffffff;
    let out = v.mode === 'set' ? ` --set-xmark ${hex(v.ctmark ?? 0)}/${hex(ctmask)}`
      : ` --${v.mode}-mark --nfmask ${hex(nfmask)} --ctmask ${hex(ctmask)}`;
    if (v.shift !== undefined && v.shift.bits !== 0) out += ` --${v.shift.direction}-shift-mark ${v.shift.bits}`;
    return out;
  },
  parser: {
    init: () => ({ name: 'CONNMARK', mode: 'set' }),
    options: {
      'set-xmark': { args: 1, apply(s, [a]) { const { value, mask } = parseMarkMask(a!, '--set-xmark'); s.mode = 'set'; s.ctmark = value; s.ctmask = mask; } },
      'set-mark': {
        args: 1, apply(s, [a]) {
          const { value, mask } = parseMarkMask(a!, '--set-mark');
          s.mode = 'set';
          s.ctmark = value;
          s.ctmask = (value | mask) >>> 0;
        },
      },
      'and-mark': { args: 1, apply(s, [a]) { s.mode = 'set'; s.ctmark = 0; s.ctmask = ~parseUint(a!, '--and-mark') >>> 0; } },
      'or-mark': { args: 1, apply(s, [a]) { s.mode = 'set'; s.ctmark = s.ctmask = parseUint(a!, '--or-mark'); } },
      'xor-mark': { args: 1, apply(s, [a]) { s.mode = 'set'; s.ctmark = parseUint(a!, '--xor-mark'); s.ctmask = 0; } },
      'save-mark': { args: 0, apply(s) { s.mode = 'save'; } },
      'restore-mark': { args: 0, apply(s) { s.mode = 'restore'; } },
      mask: { args: 1, apply(s, [a]) { s.nfmask = s.ctmask = parseUint(a!, '--mask'); } },
      ctmask: { args: 1, apply(s, [a]) { s.ctmask = parseUint(a!, '--ctmask'); } },
      nfmask: { args: 1, apply(s, [a]) { s.nfmask = parseUint(a!, '--nfmask'); } },
      'left-shift-mark': { args: 1, apply(s, [a]) { s.shift = { direction: 'left', bits: parseUint(a!, '--left-shift-mark', 0, 32) }; } },
      'right-shift-mark': { args: 1, apply(s, [a]) { s.shift = { direction: 'right', bits: parseUint(a!, '--right-shift-mark', 0, 32) }; } },
    },
    finish(s, _ctx, seen) {
      const ops = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark', 'save-mark', 'restore-mark'].filter((o) => seen.has(o));
      if (ops.length === 0) throw new IptablesParseError('CONNMARK target: No operation specified');
      if (ops.length > 1) throw new IptablesParseError(`CONNMARK: "--${ops[1]}" and "--${ops[0]}" cannot be used together`);
      if (s.ctmask === 0xffffffff) delete s.ctmask;
      if (s.nfmask === 0xffffffff) delete s.nfmask;
      if (s.mode === 'set' && s.ctmark === undefined) s.ctmark = 0;
    },
  },
};

export const connmarkTargetDecoder: Decoder = {
  kind: 'target',
  kernel: 'CONNMARK',
  decode(b, at, len, revision) {
    if ((revision !== 1 && revision !== 2) || len < (revision === 1 ? 13 : 15)) return undefined;
    const modeAt = revision === 1 ? 12 : 14;
    const mode = MODES[b[at + modeAt]!];
    if (mode === undefined || (revision === 2 && (b[at + 12]! > 1 || b[at + 13]! > 32))) return undefined;
    const v: ConnmarkTarget = { name: 'CONNMARK', mode };
    const ctmark = u32(b, at);
    if (mode === 'set' || ctmark !== 0) v.ctmark = ctmark;
    if (u32(b, at + 4) !== 0xffffffff) v.ctmask = u32(b, at + 4);
    if (u32(b, at + 8) !== 0xffffffff) v.nfmask = u32(b, at + 8);
    if (revision === 2 && (b[at + 12] !== 0 || b[at + 13] !== 0)) v.shift = { direction: b[at + 12] ? 'right' : 'left', bits: b[at + 13]! };
    if (revision === 1) v.revision = 1;
    return v;
  },
};
