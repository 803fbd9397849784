// bitwise: dreg = (sreg & mask) ^ xor, or a shift (`ip saddr & 255.255.255.0`, `ct mark and 0xff`).
import { fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type BitwiseOp = 'mask_xor' | 'lshift' | 'rshift';
export const BITWISE_OPS = fromPrefix<BitwiseOp>('bitwise op', 'NFT_BITWISE_', ['bool']);

export interface BitwiseExpr {
  type: 'bitwise';
  sreg: number;
  dreg: number;
  len: number;
  op?: BitwiseOp;
  mask?: Uint8Array;
  xor?: Uint8Array;
  /** Shift amount (4 bytes, host order) for lshift/rshift. */
  data?: Uint8Array;
}

export const bitwise = register({
  name: 'bitwise',
  fields: [
    { key: 'sreg', attr: U.NFTA_BITWISE_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'dreg', attr: U.NFTA_BITWISE_DREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'op', attr: U.NFTA_BITWISE_OP, kind: 'be32', enum: BITWISE_OPS },
    { key: 'len', attr: U.NFTA_BITWISE_LEN, kind: 'be32' },
    { key: 'mask', attr: U.NFTA_BITWISE_MASK, kind: 'value' },
    { key: 'xor', attr: U.NFTA_BITWISE_XOR, kind: 'value' },
    { key: 'data', attr: U.NFTA_BITWISE_DATA, kind: 'value' },
  ],
});
