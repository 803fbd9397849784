// osf: the operating system a SYN comes from (`osf name "Linux"`, `osf ttl skip version "Linux:3.0"`).
import { dataType } from '../datatypes.js';
import { EXPR_OSF, leafPrinters, typeofParsers, type LeafNode } from '../print/ast.js';
import type { RuleParser } from '../print/delinearize.js';
import * as U from '../uapi.js';
import { register, without } from './spec.js';

export interface OsfExpr {
  type: 'osf';
  dreg: number;
  /** 0 check the TTL, 1 loose, 2 skip. */
  ttl?: number;
  /** NFT_OSF_F_VERSION (1): `version` (genre and version) instead of `name`. */
  flags?: number;
}

leafPrinters.set('osf', (e) => {
  const ttl = e.ttl === 1 ? 'ttl loose ' : e.ttl === 2 ? 'ttl skip ' : '';
  return `osf ${ttl}${((e.osfFlags as number) & U.NFT_OSF_F_VERSION) !== 0 ? 'version' : 'name'}`;
});

typeofParsers.set(EXPR_OSF, (b) => {
  void b;
  return { k: 'leaf', kind: 'osf', ttl: 0, osfFlags: 0, len: U.NFT_OSF_MAXGENRELEN * 8, dtype: dataType('string'), order: 'host', flags: 0 } satisfies LeafNode;
});

function delinearize(e: OsfExpr, p: RuleParser): void {
  p.regs.set(e.dreg, { k: 'leaf', kind: 'osf', ttl: e.ttl ?? 0, osfFlags: e.flags ?? 0, len: U.NFT_OSF_MAXGENRELEN * 8, dtype: dataType('string'), order: 'host', flags: 0 } satisfies LeafNode);
}

export const osf = register({
  name: 'osf',
  fields: [
    { key: 'dreg', attr: U.NFTA_OSF_DREG, kind: 'reg', regLen: () => U.NFT_OSF_MAXGENRELEN },
    { key: 'ttl', attr: U.NFTA_OSF_TTL, kind: 'u8' },
    { key: 'flags', attr: U.NFTA_OSF_FLAGS, kind: 'be32' },
  ],
  delinearize: delinearize as never,
  // The flags only when there are some (libnftnl).
  recreate: (e) => without(e, (k, v) => (k === 'flags') && v === 0),
});
