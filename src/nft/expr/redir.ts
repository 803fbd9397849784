// redir: `redirect [to :PORT]`.
import * as U from '../uapi.js';
import { register } from './spec.js';

export interface RedirExpr {
  type: 'redir';
  regProtoMin?: number;
  regProtoMax?: number;
  flags?: number;
}

export const redir = register({
  name: 'redir',
  fields: [
    { key: 'regProtoMin', attr: U.NFTA_REDIR_REG_PROTO_MIN, kind: 'reg' },
    { key: 'regProtoMax', attr: U.NFTA_REDIR_REG_PROTO_MAX, kind: 'reg' },
    { key: 'flags', attr: U.NFTA_REDIR_FLAGS, kind: 'be32' },
  ],
});
