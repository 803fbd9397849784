// bitwise: dreg = (sreg & mask) ^ xor, or a shift (`ip saddr & 255.255.255.0`, `ct mark and 0xff`).
import { fromPrefix } from '../enums.js';
import { type BinOp, type Node, type ValueNode } from '../print/ast.js';
import { dataValue, type RuleParser } from '../print/delinearize.js';
import { scan0 } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

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

function binop(op: BinOp, left: Node, right: Node): Node {
  return { k: 'binop', op, left, right, len: left.len, dtype: left.dtype, order: left.order, flags: 0 };
}

// netlink_parse_bitwise_bool: (x & m) ^ x' split into &, ^ and | as nft writes them.
function bool(left: Node, maskBytes: Uint8Array, xorBytes: Uint8Array): Node {
  const mask = dataValue(maskBytes), xor = dataValue(xorBytes);
  let m = mask.v, x = xor.v, o = 0n;
  if (scan0(m, 0) !== mask.len || x !== 0n) {
    o = (m & x) ^ x;
    x &= m;
    m |= o;
  }
  let expr = left;
  if (!(left.len > 0 && scan0(m, 0) === left.len)) {
    mask.v = m;
    expr = binop('&', expr, mask);
  }
  if (x !== 0n) { xor.v = x; expr = binop('^', expr, xor); }
  if (o !== 0n) expr = binop('|', expr, { ...dataValue(xorBytes), v: o } satisfies ValueNode);
  return expr;
}

function delinearize(e: BitwiseExpr, p: RuleParser): void {
  const left = p.need(e.sreg, 'Bitwise expression');
  let expr: Node;
  if (e.op === 'lshift' || e.op === 'rshift') {
    const right = { ...dataValue(e.data ?? new Uint8Array(4)), order: 'host' as const };
    expr = binop(e.op === 'lshift' ? '<<' : '>>', left, right);
  } else {
    expr = bool(left, e.mask ?? new Uint8Array(0), e.xor ?? new Uint8Array(0));
  }
  if (expr.k === 'binop') expr.src = p.index;
  else if (expr === left) p.hint(p.index, { bitwiseDropped: true });  // a mask of every bit: it prints as nothing
  p.regs.set(e.dreg, expr);
}

// A mask of every bit and no xor: it prints as nothing (bool() below), so nft, reading the text, sends none.
function fullMask(e: Record<string, unknown>): boolean {
  if (e.op !== undefined && BITWISE_OPS.number(e.op as BitwiseOp) !== 0) return false;
  const m = e.mask, x = e.xor;
  if (!(m instanceof Uint8Array) || !(x instanceof Uint8Array) || m.length === 0 || m.length !== e.len) return false;
  return m.every((b) => b === 0xff) && x.every((b) => b === 0);
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
  delinearize: delinearize as never,
  // nft sends the operation for a binop or a shift, not for a prefix or flag match (the kernel lists it always).
  // Read from the printed text, a mask of every bit is no mask, and a prefix
  // of whole bytes loads and compares those bytes only: the same packets,
  // other bytes in the kernel, so only when asked to (hint.reread).
  recreate: (e, hint, rule) => {
    if (hint.reread === true && (hint.bitwiseDropped === true || fullMask(e)) && e.sreg === e.dreg) return undefined;
    const bytes = hint.prefixBytes;
    if (hint.reread === true && bytes !== undefined && e.sreg === e.dreg) {
      const at = rule.exprs.indexOf(e as never);
      const load = rule.loaderOf(e.dreg as number, at), cmp = rule.readerOf(e.dreg as number, at);
      const l = rule.exprs[load] as Record<string, unknown> | undefined, c = rule.exprs[cmp] as Record<string, unknown> | undefined;
      if (l !== undefined && c !== undefined && c.type === 'cmp' && c.data instanceof Uint8Array) {
        if (l.type === 'payload' || l.type === 'exthdr') rule.exprs[load] = { ...l, len: bytes } as never;
        rule.exprs[cmp] = { ...c, data: c.data.subarray(0, bytes) } as never;
        return undefined;
      }
    }
    return hint.bitwiseWithoutOp === true || bytes !== undefined ? without(e, (k, v) => k === 'op' && BITWISE_OPS.number(v as BitwiseOp) === 0) : e;
  },
});
