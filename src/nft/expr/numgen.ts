// numgen: `numgen random mod 2`, `numgen inc mod 3 offset 10`.
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { EXPR_NUMGEN, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
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

// numgen_type_str.
const modeName = (m: number | string): string => (typeof m === 'number' ? (m === 0 ? 'inc' : m === 1 ? 'random' : '[unknown numgen]') : m);

// numgen_expr_alloc: a 32-bit host-order integer.
function numgenNode(mode: number | string, modulus: number, offset: number): LeafNode {
  return { k: 'leaf', kind: 'numgen', mode: modeName(mode), modulus: modulus >>> 0, offset: offset >>> 0, len: 32, dtype: dataType('integer'), order: 'host', flags: 0 };
}

// numgen_expr_parse_udata: `typeof numgen random mod 2` keeps type (0), modulus (1) and offset (2), all needed.
typeofParsers.set(EXPR_NUMGEN, (b) => {
  const { u32 } = udataFields(b);
  const type = u32.get(0), mod = u32.get(1), offset = u32.get(2);
  return type === undefined || mod === undefined || offset === undefined ? undefined : numgenNode(type, mod, offset);
});

function delinearize(e: NumgenExpr, p: RuleParser): void {
  p.regs.set(e.dreg, numgenNode(e.mode, e.modulus, e.offset ?? 0));
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
