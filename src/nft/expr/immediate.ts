// immediate: a constant into a register, or a verdict into register 0
// (`accept`, `drop`, `jump svc-abc`, `goto ep-1`, `return`, `continue`, `queue`).
import { VERDICT, VerdictStmt, type Out, type Stmt } from '../print/ast.js';
import { dataValue, DelinearizeError, type RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import type { Data, Verdict } from './data.js';
import { register } from './spec.js';

export interface ImmediateExpr {
  type: 'immediate';
  /** 0 (NFT_REG_VERDICT) for a verdict. */
  dreg: number;
  data: Data;
}

/** `jump { ... }`: a chain bound to the rule (NFT_CHAIN_BINDING), printed inline with its rules (chain_stmt). */
export class ChainStmt implements Stmt {
  readonly kind = 'chain';
  constructor(readonly verdict: 'jump' | 'goto', readonly rules: string[]) {}
  print(): string {
    return `${this.verdict} {\n${this.rules.map((r) => `\t\t\t${r}\n`).join('')}\t\t}`;
  }
}

function delinearize(e: ImmediateExpr, p: RuleParser): void {
  if (e.dreg !== U.NFT_REG_VERDICT) {
    if (!(e.data instanceof Uint8Array)) throw new DelinearizeError('immediate without a value');
    p.regs.set(e.dreg, dataValue(e.data));
    return;
  }
  if (typeof e.data !== 'object' || e.data === null || e.data instanceof Uint8Array) throw new DelinearizeError('immediate verdict without a verdict');
  const v = e.data as Verdict;
  if ((v.kind === 'jump' || v.kind === 'goto') && v.chain !== undefined) {
    const bound = p.chainBinding(v.chain);
    if (bound !== undefined) { p.emit(new ChainStmt(v.kind, bound)); return; }
  }
  p.emit(new VerdictStmt({ k: 'verdict', verdict: v, len: 0, dtype: VERDICT, order: 'host', flags: 0 }));
}

export const immediate = register({
  name: 'immediate',
  fields: [
    { key: 'dreg', attr: U.NFTA_IMMEDIATE_DREG, kind: 'be32' },
    { key: 'data', attr: U.NFTA_IMMEDIATE_DATA, kind: 'data' },
  ],
  delinearize: delinearize as never,
  refs: (e, r) => { if (typeof e.data === 'object' && e.data !== null && !(e.data instanceof Uint8Array)) r.verdict(e.data as never); return true; },
});

export type { Out };
