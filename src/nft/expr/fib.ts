// fib: route lookups (`fib daddr type local`, `fib saddr . iif oif missing`).
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { EXPR_FIB, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const FIB_RESULTS = explicit<'oif' | 'oifname' | 'type'>('fib result', [
  ['oif', U.NFT_FIB_RESULT_OIF], ['oifname', U.NFT_FIB_RESULT_OIFNAME], ['type', U.NFT_FIB_RESULT_ADDRTYPE],
]);
/** NFTA_FIB_F_* bits by name. */
export const FIB_FLAGS: Record<string, number> = {
  saddr: U.NFTA_FIB_F_SADDR, daddr: U.NFTA_FIB_F_DADDR, mark: U.NFTA_FIB_F_MARK,
  iif: U.NFTA_FIB_F_IIF, oif: U.NFTA_FIB_F_OIF, present: U.NFTA_FIB_F_PRESENT,
};

export interface FibExpr {
  type: 'fib';
  dreg: number;
  result: 'oif' | 'oifname' | 'type';
  /** NFTA_FIB_F_* bits (see FIB_FLAGS). */
  flags: number;
}

// fib_expr_print: the inputs joined with ` . `, unknown bits in hex, then the result.
leafPrinters.set('fib', (e) => {
  let flags = ((e.fibFlags as number) & ~U.NFTA_FIB_F_PRESENT) >>> 0;
  const parts: string[] = [];
  for (const [bit, s] of [[U.NFTA_FIB_F_SADDR, 'saddr'], [U.NFTA_FIB_F_DADDR, 'daddr'], [U.NFTA_FIB_F_MARK, 'mark'], [U.NFTA_FIB_F_IIF, 'iif'], [U.NFTA_FIB_F_OIF, 'oif']] as [number, string][]) {
    if (flags & bit) { parts.push(s); flags &= ~bit; }
  }
  return `fib ${parts.join(' . ')}${flags ? `${parts.length ? ' . ' : ''}0x${flags.toString(16)}` : ''} ${String(e.result)}`;
});

// fib_expr_alloc: the result's type (a boolean with `present`), in host order.
function fibNode(result: string, flags: number): LeafNode {
  let dtype = result === 'oifname' ? dataType('string') : result === 'type' ? dataType('fib_addrtype') : dataType('iface_index');
  if ((flags & U.NFTA_FIB_F_PRESENT) !== 0) dtype = dataType('boolean');
  return { k: 'leaf', kind: 'fib', fibFlags: flags >>> 0, result, len: result === 'oifname' ? 128 : 32, dtype, order: 'host', flags: 0 };
}

// fib_expr_parse_udata: `typeof fib daddr type` keeps the result (0) and the flags (1). nft
// aborts on a result it does not know; that key prints as its type instead.
typeofParsers.set(EXPR_FIB, (b) => {
  const { u32 } = udataFields(b);
  const result = u32.get(0), flags = u32.get(1);
  const name = result === undefined ? undefined : FIB_RESULTS.byNumber.get(result);
  return name === undefined || flags === undefined ? undefined : fibNode(name, flags);
});

function delinearize(e: FibExpr, p: RuleParser): void {
  p.regs.set(e.dreg, fibNode(typeof e.result === 'number' ? 'unknown' : e.result, e.flags));
}

export const fib = register({
  name: 'fib',
  fields: [
    { key: 'flags', attr: U.NFTA_FIB_FLAGS, kind: 'be32' },
    { key: 'result', attr: U.NFTA_FIB_RESULT, kind: 'be32', enum: FIB_RESULTS },
    { key: 'dreg', attr: U.NFTA_FIB_DREG, kind: 'reg', regLen: (e) => (e.result === 'oifname' ? 16 : 4) },
  ],
  namesInterfaces: (e) => e.result === 'oif',
  delinearize: delinearize as never,
});
