// masq: `masquerade [random|fully-random|persistent] [to :PORT]`.
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { NatStmt, natProto } from './nat.js';
import { register, without } from './spec.js';

export interface MasqExpr {
  type: 'masq';
  flags?: number;
  regProtoMin?: number;
  regProtoMax?: number;
}

function delinearize(e: MasqExpr, p: RuleParser): void {
  const s = new NatStmt('masquerade', e.flags ?? 0);
  natProto(p, s, e.regProtoMin, e.regProtoMax, 'MASQUERADE');
  p.emit(s);
}

export const masq = register({
  name: 'masq',
  fields: [
    { key: 'flags', attr: U.NFTA_MASQ_FLAGS, kind: 'be32' },
    { key: 'regProtoMin', attr: U.NFTA_MASQ_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_MASQ_REG_PROTO_MAX, kind: 'reg' },
  ],
  delinearize: delinearize as never,
  // One port is sent as the low end only (the kernel lists it as both ends).
  recreate: (e) => without(e, (k, v) => k === 'regProtoMax' && v === e.regProtoMin),
});
