// `flush ruleset [FAMILY]`: every table (of the family), as one DELTABLE without a name.
import { FAMILIES } from '../enums.js';
import * as U from '../uapi.js';
import { MSG, registerKind } from './kind.js';

registerKind({
  kind: 'ruleset',
  messageType: () => U.NFT_MSG_DELTABLE,
  encode(w, op) {
    const m = w.beginMessage(MSG(U.NFT_MSG_DELTABLE), 0, op.family === undefined ? 0 : FAMILIES.number(op.family));
    w.endMessage(m);
  },
  describe: (op) => `flush ruleset${op.family !== undefined ? ` ${op.family}` : ''}`,
  print: (op) => `flush ruleset${op.family !== undefined ? ` ${op.family}` : ''}`,
  access: () => false,
  apply(s, op) {
    for (const k of ['tables', 'chains', 'rules', 'sets', 'objects', 'flowtables'] as const) {
      (s[k] as { family: string }[]) = (s[k] as { family: string }[]).filter((x) => op.family !== undefined && x.family !== op.family);
    }
  },
});
