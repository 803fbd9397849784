// numgen: `numgen random mod 2`, `numgen inc mod 3 offset 10`.
import { explicit } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const NUMGEN_TYPES = explicit<'inc' | 'random'>('numgen type', [['inc', U.NFT_NG_INCREMENTAL], ['random', U.NFT_NG_RANDOM]]);

export interface NumgenExpr {
  type: 'numgen';
  dreg: number;
  modulus: number;
  mode: 'inc' | 'random';
  offset?: number;
}

export const numgen = register({
  name: 'numgen',
  fields: [
    { key: 'dreg', attr: U.NFTA_NG_DREG, kind: 'reg', regLen: () => 4 },
    { key: 'modulus', attr: U.NFTA_NG_MODULUS, kind: 'be32' },
    { key: 'mode', attr: U.NFTA_NG_TYPE, kind: 'be32', enum: NUMGEN_TYPES },
    { key: 'offset', attr: U.NFTA_NG_OFFSET, kind: 'be32' },
  ],
});
