// flow_offload: `flow add @ft` (hand the packet's connection to flowtable ft;
// forward chains only).
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface FlowOffloadExpr {
  type: 'flow_offload';
  /** The flowtable's name (in the rule's table). */
  flowtable: string;
}

export const flowOffload = register({
  name: 'flow_offload',
  fields: [{ key: 'flowtable', attr: U.NFTA_FLOW_TABLE_NAME, kind: 'str', required: true }],
  delinearize: ((e: FlowOffloadExpr, p: RuleParser) => p.emit({ kind: 'flow_offload', print: () => `flow add @${e.flowtable}` })) as never,
  refs: (e, r) => {
    if (typeof e.flowtable !== 'string') return false;
    r.flowtable(e.flowtable);
    return true;
  },
});
