// numgen: `numgen random mod 2`, `numgen inc mod 3 offset 10`.
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { leafPrinters, type LeafNode } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
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

leafPrinters.set('numgen', (e) => `numgen ${String(e.mode)} mod ${e.modulus as number}${e.offset ? ` offset ${e.offset as number}` : ''}`);

function delinearize(e: NumgenExpr, p: RuleParser): void {
  const mode = typeof e.mode === 'number' ? (e.mode === 0 ? 'inc' : e.mode === 1 ? 'random' : '[unknown numgen]') : e.mode;
  const n: LeafNode = { k: 'leaf', kind: 'numgen', mode, modulus: e.modulus >>> 0, offset: (e.offset ?? 0) >>> 0, len: 32, dtype: dataType('integer'), order: 'host', flags: 0 };
  p.regs.set(e.dreg, n);
}

export const numgen = register({
  name: 'numgen',
  fields: [
    { key: 'dreg', attr: U.NFTA_NG_DREG, kind: 'reg', regLen: () => 4 },
    { key: 'modulus', attr: U.NFTA_NG_MODULUS, kind: 'be32' },
    { key: 'mode', attr: U.NFTA_NG_TYPE, kind: 'be32', enum: NUMGEN_TYPES },
    { key: 'offset', attr: U.NFTA_NG_OFFSET, kind: 'be32' },
  ],
  delinearize: delinearize as never,
});
