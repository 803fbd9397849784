// notrack: `notrack` (skip connection tracking for this packet).
import type { RuleParser } from '../print/delinearize.js';
import { register } from './spec.js';

export interface NotrackExpr {
  type: 'notrack';
}

export const notrack = register({
  name: 'notrack',
  fields: [],
  noData: true,
  delinearize: ((_e: NotrackExpr, p: RuleParser) => p.emit({ kind: 'notrack', print: () => 'notrack' })) as never,
});
