// redir: `redirect [to :PORT]`.
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { NatStmt, natProto } from './nat.js';
import { register, without } from './spec.js';

export interface RedirExpr {
  type: 'redir';
  regProtoMin?: number;
  regProtoMax?: number;
  flags?: number;
}

function delinearize(e: RedirExpr, p: RuleParser): void {
  const s = new NatStmt('redirect', e.flags ?? 0);
  natProto(p, s, e.regProtoMin, e.regProtoMax, 'redirect');
  p.emit(s);
}

export const redir = register({
  name: 'redir',
  fields: [
    { key: 'regProtoMin', attr: U.NFTA_REDIR_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_REDIR_REG_PROTO_MAX, kind: 'reg' },
    { key: 'flags', attr: U.NFTA_REDIR_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // One port is sent as the low end only (the kernel lists it as both ends).
  recreate: (e) => without(e, (k, v) => k === 'regProtoMax' && v === e.regProtoMin),
});
