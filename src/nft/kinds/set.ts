// Sets and maps: `add set ip t s { type ipv4_addr; flags interval; elements = { ... } }`,
// flush (every element), delete.
import { FAMILIES } from '../enums.js';
import { elementRefs } from '../plan-keys.js';
import { printSet } from '../print.js';
import { encodeSet, encodeSetRef, setShape } from '../set.js';
import * as U from '../uapi.js';
import { adding, createFlags, MSG, NLM_F_CREATE, registerKind, setKey } from './kind.js';
import { encodeElementMessages, mergeElements } from './elements.js';

export const NFT_MSG_DESTROYSET = 29;

registerKind({
  kind: 'set',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYSET : verb === 'delete' ? U.NFT_MSG_DELSET : U.NFT_MSG_NEWSET),
  encode(w, op, { shapes, ids }) {
    const s = op.set;
    if (op.verb === 'flush') {
      const m = w.beginMessage(MSG(U.NFT_MSG_DELSETELEM), 0, FAMILIES.number(s.family));
      w.strz(U.NFTA_SET_ELEM_LIST_TABLE, s.table);
      w.strz(U.NFTA_SET_ELEM_LIST_SET, s.name);
      w.endMessage(m);
      return;
    }
    const m = w.beginMessage(MSG(this.messageType(op.verb)), createFlags(op.verb), FAMILIES.number(s.family));
    if (op.verb === 'add' || op.verb === 'create') {
      const id = s.id ?? ids.next++;
      ids.byName.set(setKey(s), id);
      encodeSet(w, { ...s, id });
      w.endMessage(m);
      if (s.elements !== undefined && s.elements.length > 0) {
        encodeElementMessages(w, U.NFT_MSG_NEWSETELEM, NLM_F_CREATE, s.family, { table: s.table, name: s.name, id }, s.elements, shapes.get(setKey(s)) ?? setShape(s));
      }
    } else {
      encodeSetRef(w, s);
      w.endMessage(m);
    }
  },
  describe: (op) => `${op.verb} ${op.set.map !== undefined ? 'map' : 'set'} ${op.set.family} ${op.set.table} ${op.set.name}`,
  print(op) {
    const s = op.set, verb = op.verb;
    const kind = s.map !== undefined ? 'map' : 'set';
    if (verb !== 'add' && verb !== 'create') return `${verb} ${kind} ${s.family} ${s.table} ${s.name}`;
    const lines = printSet(s, '').slice(1, -1).map((l) => l.trim());
    return `${verb} ${kind} ${s.family} ${s.table} ${s.name} { ${lines.map((l) => `${l};`).join(' ')} }`;
  },
  access(k, op, a) {
    const t = k.table(op.set.family, op.set.table);
    a.reads.push(t.table);
    const set = k.pair(t.sets, op.set.name);
    a.writes.push(set, t.setOrder);
    if (op.set.elements !== undefined && op.set.elements.length > 0) {
      a.writes.push(set + 1);
      elementRefs(k, t, a.reads, op.set.elements);
    }
    return true;
  },
  apply(s, op, fake) {
    const x = op.set;
    fake.needTable(s, x.family, x.table);
    const have = s.sets.find((y) => setKey(y) === setKey(x));
    if (op.verb === 'flush') {
      if (!have) return fake.refuse('ENOENT', 'no such set');
      have.elements = [];
      return;
    }
    if (adding(op.verb)) {
      if (have && op.verb === 'create') return fake.refuse('EEXIST', 'set exists');
      if (!have) s.sets.push(fake.newSet(x));
      else if (x.elements) have.elements = mergeElements(have.elements ?? [], fake.typed(x, x.elements));
      return;
    }
    if (!have) {
      if (op.verb === 'destroy') return;
      return fake.refuse('ENOENT', 'no such set');
    }
    if (s.rules.some((r) => r.family === x.family && r.table === x.table && r.expressions.some((e) => (e as { set?: unknown }).set === x.name))) {
      return fake.refuse('EBUSY', 'set is in use');
    }
    s.sets = s.sets.filter((y) => y !== have);
  },
});
