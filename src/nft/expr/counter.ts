// counter: `counter packets 0 bytes 0`.
import type { Out, Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

export interface CounterExpr {
  type: 'counter';
  bytes?: number;
  packets?: number;
}

/** counter_stmt: the values print unless nft is stateless (inside set statements). */
export class CounterStmt implements Stmt {
  readonly kind = 'counter';
  constructor(readonly packets: number, readonly bytes: number) {}
  print(o: Out): string { return o.stateless ? 'counter' : `counter packets ${this.packets} bytes ${this.bytes}`; }
}

export const counter = register({
  name: 'counter',
  fields: [
    { key: 'bytes', attr: U.NFTA_COUNTER_BYTES, kind: 'be64' },
    { key: 'packets', attr: U.NFTA_COUNTER_PACKETS, kind: 'be64' },
  ],
  delinearize: ((e: CounterExpr, p: RuleParser) => p.emit(new CounterStmt(e.packets ?? 0, e.bytes ?? 0))) as never,
  // nft sends a counter's values only when they are not 0.
  recreate: (e) => without(e, (k, v) => (k === 'bytes' || k === 'packets') && v === 0),
});
