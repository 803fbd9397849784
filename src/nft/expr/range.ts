// range: `tcp dport 1000-2000` (inclusive, register compared as big-endian bytes).
import { ExprStmt, INVALID } from '../print/ast.js';
import { dataValue, type RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { CMP_OPS, rel } from './cmp.js';
import { register } from './spec.js';

export interface RangeExpr {
  type: 'range';
  sreg: number;
  op: 'eq' | 'neq';
  from: Uint8Array;
  to: Uint8Array;
}

function delinearize(e: RangeExpr, p: RuleParser): void {
  const left = p.need(e.sreg, 'Relational expression');
  const right = { k: 'range' as const, from: dataValue(e.from), to: dataValue(e.to), len: 0, dtype: INVALID, order: 'big' as const, flags: 0 };
  p.emit(new ExprStmt(rel(e.op === 'neq' ? '!=' : '==', left, right)));
}

export const range = register({
  name: 'range',
  fields: [
    { key: 'sreg', attr: U.NFTA_RANGE_SREG, kind: 'reg', regLen: (e) => (e.from as Uint8Array | undefined)?.length },
    { key: 'op', attr: U.NFTA_RANGE_OP, kind: 'be32', enum: CMP_OPS },
    { key: 'from', attr: U.NFTA_RANGE_FROM_DATA, kind: 'value' },
    { key: 'to', attr: U.NFTA_RANGE_TO_DATA, kind: 'value' },
  ],
  delinearize: delinearize as never,
});
