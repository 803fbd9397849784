// Tables: `add table ip t { flags dormant; comment "..."; }`, flush (its rules), delete.
import { encodeTable, encodeTableRef } from '../table.js';
import { FAMILIES } from '../enums.js';
import * as U from '../uapi.js';
import { adding, clone, MSG, NLM_F_EXCL, registerKind } from './kind.js';

export const NFT_MSG_DESTROYTABLE = 26;

registerKind({
  kind: 'table',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYTABLE : verb === 'delete' ? U.NFT_MSG_DELTABLE : U.NFT_MSG_NEWTABLE),
  encode(w, op) {
    const t = op.table;
    // A flush deletes the table's rules.
    if (op.verb === 'flush') {
      const m = w.beginMessage(MSG(U.NFT_MSG_DELRULE), 0, FAMILIES.number(t.family));
      w.strz(U.NFTA_RULE_TABLE, t.name);
      w.endMessage(m);
      return;
    }
    // nft sends `add table` without NLM_F_CREATE; the kernel creates it anyway.
    const m = w.beginMessage(MSG(this.messageType(op.verb)), op.verb === 'create' ? NLM_F_EXCL : 0, FAMILIES.number(t.family));
    if (op.verb === 'add' || op.verb === 'create') encodeTable(w, t);
    else encodeTableRef(w, t);
    w.endMessage(m);
  },
  describe: (op) => `${op.verb} table ${op.table.family} ${op.table.name}`,
  print(op) {
    const t = op.table;
    const body = [t.flags !== undefined && t.flags & 1 ? 'flags dormant;' : '', t.comment !== undefined ? `comment "${t.comment}";` : ''].filter(Boolean).join(' ');
    return `${op.verb} table ${t.family} ${t.name}${(op.verb === 'add' || op.verb === 'create') && body ? ` { ${body} }` : ''}`;
  },
  access(k, op, a) {
    const t = k.table(op.table.family, op.table.name);
    a.writes.push(t.table, k.tableOrder);
    return true;
  },
  apply(s, op, fake) {
    const t = op.table;
    const have = fake.table(s, t.family, t.name);
    if (op.verb === 'flush') {
      if (!have) return fake.refuse('ENOENT', 'no such table');
      s.rules = s.rules.filter((r) => !(r.family === t.family && r.table === t.name));
      return;
    }
    if (adding(op.verb)) {
      if (have && op.verb === 'create') return fake.refuse('EEXIST', 'table exists');
      if (!have) s.tables.push({ ...clone(t), handle: fake.handle() });
      else if (t.comment !== undefined) have.comment = t.comment;
      return;
    }
    if (!have) {
      if (op.verb === 'destroy') return;
      return fake.refuse('ENOENT', 'no such table');
    }
    const other = <T extends { family: string; table: string }>(x: T) => !(x.family === t.family && x.table === t.name);
    s.tables = s.tables.filter((x) => x !== have);
    s.chains = s.chains.filter(other); s.rules = s.rules.filter(other); s.sets = s.sets.filter(other); s.objects = s.objects.filter(other);
    s.flowtables = s.flowtables.filter(other);
  },
});
