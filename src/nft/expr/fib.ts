// fib: route lookups (`fib daddr type local`, `fib saddr . iif oif missing`).
import { explicit } from '../enums.js';
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

export const fib = register({
  name: 'fib',
  fields: [
    { key: 'flags', attr: U.NFTA_FIB_FLAGS, kind: 'be32' },
    { key: 'result', attr: U.NFTA_FIB_RESULT, kind: 'be32', enum: FIB_RESULTS },
    { key: 'dreg', attr: U.NFTA_FIB_DREG, kind: 'reg', regLen: (e) => (e.result === 'oifname' ? 16 : 4) },
  ],
});
