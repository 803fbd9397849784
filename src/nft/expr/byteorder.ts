// byteorder: convert a register between host and network order (`meta mark . ip daddr` keys, ranges).
import { fromPrefix } from '../enums.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const BYTEORDER_OPS = fromPrefix<'ntoh' | 'hton'>('byteorder op', 'NFT_BYTEORDER_');

export interface ByteorderExpr {
  type: 'byteorder';
  sreg: number;
  dreg: number;
  op: 'ntoh' | 'hton';
  len: number;
  /** Element size: 2, 4 or 8. */
  size: number;
}

// netlink_parse_byteorder: transparent to the printer (an EXPR_UNARY around the value).
function delinearize(e: ByteorderExpr, p: RuleParser): void {
  const arg = p.need(e.sreg, 'Byteorder expression');
  p.regs.set(e.dreg, { k: 'unary', op: e.op === 'hton' ? 'hton' : 'ntoh', arg, len: arg.len, dtype: arg.dtype, order: arg.order, flags: 0 });
}

export const byteorder = register({
  name: 'byteorder',
  fields: [
    { key: 'sreg', attr: U.NFTA_BYTEORDER_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'dreg', attr: U.NFTA_BYTEORDER_DREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'op', attr: U.NFTA_BYTEORDER_OP, kind: 'be32', enum: BYTEORDER_OPS },
    { key: 'len', attr: U.NFTA_BYTEORDER_LEN, kind: 'be32' },
    { key: 'size', attr: U.NFTA_BYTEORDER_SIZE, kind: 'be32' },
  ],
  delinearize: delinearize as never,
});
