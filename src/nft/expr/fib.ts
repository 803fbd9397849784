// fib: route lookups (`fib daddr type local`, `fib saddr . iif oif missing`).
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { leafPrinters, type LeafNode } from '../print/ast.js';
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

function delinearize(e: FibExpr, p: RuleParser): void {
  const result = typeof e.result === 'number' ? 'unknown' : e.result;
  let dtype = result === 'oifname' ? dataType('string') : result === 'type' ? dataType('fib_addrtype') : dataType('iface_index');
  if ((e.flags & U.NFTA_FIB_F_PRESENT) !== 0) dtype = dataType('boolean');
  const n: LeafNode = { k: 'leaf', kind: 'fib', fibFlags: e.flags >>> 0, result, len: result === 'oifname' ? 128 : 32, dtype, order: 'host', flags: 0 };
  p.regs.set(e.dreg, n);
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
