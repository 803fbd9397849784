// queue: `queue num 3 bypass`, `queue flags bypass,fanout to 1-3` (hand the packet to userspace).
import { dataType } from '../datatypes.js';
import { exprText, value, type Node, type Out } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import type { PostprocessStmt, RulePP } from '../print/postprocess.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface QueueExpr {
  type: 'queue';
  num?: number;
  total?: number;
  /** NFT_QUEUE_FLAG_BYPASS (1), NFT_QUEUE_FLAG_CPU_FANOUT (2). */
  flags?: number;
  sregQnum?: number;
}

/** queue_stmt_print: `queue [flags bypass,fanout] to N[-M]`. */
export class QueueStmt implements PostprocessStmt {
  readonly kind = 'queue';
  constructor(public queue: Node, readonly flags: number) {}
  print(o: Out): string {
    let t = 'queue';
    let delim = ' flags ';
    if (this.flags & U.NFT_QUEUE_FLAG_BYPASS) { t += `${delim}bypass`; delim = ','; }
    if (this.flags & U.NFT_QUEUE_FLAG_CPU_FANOUT) t += `${delim}fanout`;
    return `${t} to ${exprText(this.queue, o)}`;
  }
  postprocess(pp: RulePP): void {
    if (this.queue.k !== 'value' && this.queue.k !== 'range') this.queue = pp.expr(this.queue);
  }
}

function delinearize(e: QueueExpr, p: RuleParser): void {
  let q: Node;
  if (e.sregQnum !== undefined) q = p.need(e.sregQnum, 'queue statement');
  else {
    const int = dataType('integer');
    const num = e.num ?? 0, total = e.total ?? 0;
    q = value(BigInt(num), 16, int, 'host');
    if (total > 1) q = { k: 'range', from: q, to: value(BigInt((total + num - 1) & 0xffff), 16, int, 'host'), len: 0, dtype: int, order: 'host', flags: 0 };
  }
  p.emit(new QueueStmt(q, e.flags ?? 0));
}

export const queue = register({
  name: 'queue',
  fields: [
    { key: 'num', attr: U.NFTA_QUEUE_NUM, kind: 'be16' },
    { key: 'total', attr: U.NFTA_QUEUE_TOTAL, kind: 'be16' },
    { key: 'flags', attr: U.NFTA_QUEUE_FLAGS, kind: 'be16' },
    { key: 'sregQnum', attr: U.NFTA_QUEUE_SREG_QNUM, kind: 'reg' },
  ],
  delinearize: delinearize as never,
});
