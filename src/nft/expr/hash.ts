// hash: `jhash ip saddr mod 2 seed 0xabc`, `symhash mod 2`.
import { explicit } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export const HASH_TYPES = explicit<'jhash' | 'symhash'>('hash type', [['jhash', U.NFT_HASH_JENKINS], ['symhash', U.NFT_HASH_SYM]]);

export interface HashExpr {
  type: 'hash';
  sreg?: number;
  dreg: number;
  len?: number;
  modulus: number;
  seed?: number;
  offset?: number;
  hashType: 'jhash' | 'symhash';
}

export const hash = register({
  name: 'hash',
  fields: [
    { key: 'sreg', attr: U.NFTA_HASH_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'dreg', attr: U.NFTA_HASH_DREG, kind: 'reg', regLen: () => 4 },
    { key: 'len', attr: U.NFTA_HASH_LEN, kind: 'be32' },
    { key: 'modulus', attr: U.NFTA_HASH_MODULUS, kind: 'be32' },
    { key: 'seed', attr: U.NFTA_HASH_SEED, kind: 'be32' },
    { key: 'offset', attr: U.NFTA_HASH_OFFSET, kind: 'be32' },
    { key: 'hashType', attr: U.NFTA_HASH_TYPE, kind: 'be32', enum: HASH_TYPES },
  ],
});
