// hash: `jhash ip saddr mod 2 seed 0xabc`, `symhash mod 2`.
import { dataType } from '../datatypes.js';
import { explicit } from '../enums.js';
import { EXPR_HASH, exprText, leafPrinters, typeofParsers, type LeafNode, type Node } from '../print/ast.js';
import { udataFields } from '../print/udata.js';
import type { RuleParser } from '../print/delinearize.js';
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

leafPrinters.set('hash', (e, o) => {
  let t = e.hashType === 'symhash' ? 'symhash' : `jhash ${e.expr !== undefined ? exprText(e.expr as Node, o) : ''}`;
  t += ` mod ${e.modulus as number}`;
  if (e.seed !== undefined) t += ` seed 0x${(e.seed as number).toString(16)}`;
  if (e.offset) t += ` offset ${e.offset as number}`;
  return t;
});

// hash_expr_parse_udata: `typeof symhash mod 2` keeps type (0), offset (1), modulus (2), seed (3)
// and whether the seed was given (4). It keeps no input expression, so nft 1.0.6
// crashes printing a `typeof jhash ...` set: that key prints as its type
// (`type integer`), which nft refuses, rather than with an input made up.
typeofParsers.set(EXPR_HASH, (b) => {
  const { u32 } = udataFields(b);
  const [type, offset, mod, seed, seedSet] = [0, 1, 2, 3, 4].map((t) => u32.get(t));
  if (type !== U.NFT_HASH_SYM || offset === undefined || mod === undefined || seed === undefined || seedSet === undefined) return undefined;
  return { k: 'leaf', kind: 'hash', hashType: 'symhash', modulus: mod, ...(seedSet !== 0 ? { seed } : {}), offset, len: 32, dtype: dataType('integer'), order: 'host', flags: 0 } satisfies LeafNode;
});

// netlink_parse_hash: jhash of what the registers hold (a concatenation when the length says so).
function delinearize(e: HashExpr, p: RuleParser): void {
  const n: LeafNode = { k: 'leaf', kind: 'hash', hashType: e.hashType, modulus: e.modulus >>> 0, seed: e.seed, offset: e.offset ?? 0, len: 32, dtype: dataType('integer'), order: 'host', flags: 0 };
  if (e.hashType !== 'symhash') {
    let src = p.need(e.sreg ?? 0, 'hash statement');
    const len = (e.len ?? 0) * 8;
    if (src.len < len) src = p.concatExpr(e.sreg!, len);
    n.expr = src;
  }
  p.regs.set(e.dreg, n);
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
  delinearize: delinearize as never,
  // nft sends the offset always (the kernel lists it only when set).
  recreate: (e) => (e.offset === undefined ? { ...e, offset: 0 } : e),
});
