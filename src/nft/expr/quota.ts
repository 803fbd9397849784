// quota: `quota 25 mbytes`, `quota over 1 gbytes used 10 mbytes`.
import type { Out, Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { rateText } from './limit.js';
import { register } from './spec.js';

export interface QuotaExpr {
  type: 'quota';
  bytes: number;
  /** NFT_QUOTA_F_INV (1): `over`. */
  flags?: number;
  consumed?: number;
}

/** The text of a quota (`over 25 mbytes used 1 kbytes`), as the statement and the object print it. */
export function quotaText(bytes: number, flags: number, used: number, stateless = false): string {
  return `${flags & U.NFT_QUOTA_F_INV ? 'over ' : ''}${rateText(bytes)}${!stateless && used ? ` used ${rateText(used)}` : ''}`;
}

export class QuotaStmt implements Stmt {
  readonly kind = 'quota';
  constructor(readonly e: QuotaExpr) {}
  print(o: Out): string { return `quota ${quotaText(this.e.bytes ?? 0, this.e.flags ?? 0, this.e.consumed ?? 0, o.stateless)}`; }
}

export const quota = register({
  name: 'quota',
  fields: [
    { key: 'bytes', attr: U.NFTA_QUOTA_BYTES, kind: 'be64' },
    { key: 'consumed', attr: U.NFTA_QUOTA_CONSUMED, kind: 'be64' },
    { key: 'flags', attr: U.NFTA_QUOTA_FLAGS, kind: 'be32' },
  ],
  delinearize: ((e: QuotaExpr, p: RuleParser) => p.emit(new QuotaStmt(e))) as never,
});
