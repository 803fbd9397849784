// connlimit: `ct count 10`, `ct count over 10`.
import type { Stmt } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface ConnlimitExpr {
  type: 'connlimit';
  count: number;
  /** NFT_CONNLIMIT_F_INV (1): `over`. */
  flags?: number;
}

export class ConnlimitStmt implements Stmt {
  readonly kind = 'connlimit';
  constructor(readonly e: ConnlimitExpr) {}
  print(): string { return `ct count ${this.e.flags ? 'over ' : ''}${this.e.count >>> 0}`; }
}

export const connlimit = register({
  name: 'connlimit',
  fields: [
    { key: 'count', attr: U.NFTA_CONNLIMIT_COUNT, kind: 'be32' },
    { key: 'flags', attr: U.NFTA_CONNLIMIT_FLAGS, kind: 'be32' },
  ],
  delinearize: ((e: ConnlimitExpr, p: RuleParser) => p.emit(new ConnlimitStmt(e))) as never,
  // nft sends the flags always (the kernel lists them only when set).
  recreate: (e) => (e.flags === undefined ? { ...e, flags: 0 } : e),
});
