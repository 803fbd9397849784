// objref: use a named stateful object (`counter name "http"`, `quota name "q1"`),
// or pick one from a map by key (`counter name ip saddr map @counters`).
import { fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type ObjectType = 'counter' | 'quota' | 'ct_helper' | 'limit' | 'connlimit' | 'tunnel' | 'ct_timeout' | 'secmark' | 'ct_expect' | 'synproxy';
export const OBJECT_TYPES = fromPrefix<ObjectType>('object type', 'NFT_OBJECT_', ['unspec']);

export interface ObjrefExpr {
  type: 'objref';
  objType?: ObjectType | number;
  name?: string;
  setSreg?: number;
  set?: string;
  setId?: number;
}

export const objref = register({
  name: 'objref',
  fields: [
    { key: 'objType', attr: U.NFTA_OBJREF_IMM_TYPE, kind: 'be32', enum: OBJECT_TYPES },
    // nft sends this name without a trailing NUL.
    { key: 'name', attr: U.NFTA_OBJREF_IMM_NAME, kind: 'strn' },
    { key: 'setSreg', attr: U.NFTA_OBJREF_SET_SREG, kind: 'reg' },
    { key: 'set', attr: U.NFTA_OBJREF_SET_NAME, kind: 'str' },
    { key: 'setId', attr: U.NFTA_OBJREF_SET_ID, kind: 'be32' },
  ],
});
