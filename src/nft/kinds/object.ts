// Named stateful objects: counter, quota, limit, ct helper/timeout/expectation, secmark, synproxy (obj/ has each kind).
import { FAMILIES } from '../enums.js';
import { encodeObject, encodeObjectRef, type NamedObject } from '../object.js';
import { printObject } from '../print.js';
import * as U from '../uapi.js';
import { adding, clone, createFlags, MSG, registerKind } from './kind.js';

export const NFT_MSG_DESTROYOBJ = 31;

registerKind({
  kind: 'object',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYOBJ : verb === 'delete' ? U.NFT_MSG_DELOBJ : U.NFT_MSG_NEWOBJ),
  encode(w, op) {
    const o = op.object;
    const m = w.beginMessage(MSG(this.messageType(op.verb)), createFlags(op.verb), FAMILIES.number(o.family));
    if (op.verb === 'add' || op.verb === 'create') encodeObject(w, o);
    else encodeObjectRef(w, o);
    w.endMessage(m);
  },
  describe: (op) => `${op.verb} ${String(op.object.type)} ${op.object.family} ${op.object.table} ${op.object.name}`,
  print(op) {
    const o = op.object, verb = op.verb;
    if (verb !== 'add' && verb !== 'create') return `${verb} ${String(o.type)} ${o.family} ${o.table} ${o.name}`;
    const body = printObject(o, '').slice(1, -1).map((l) => l.trim()).join(' ');
    return `${verb} ${String(o.type)} ${o.family} ${o.table} ${o.name}${body && o.type !== 'counter' ? ` { ${body} }` : ''}`;
  },
  access(k, op, a) {
    const t = k.table(op.object.family, op.object.table);
    a.reads.push(t.table);
    a.writes.push(k.of(t.objects, op.object.name), t.objectOrder);
    return true;
  },
  apply(s, op, fake) {
    const o = op.object;
    fake.needTable(s, o.family, o.table);
    const same = (x: NamedObject) => x.family === o.family && x.table === o.table && x.name === o.name;
    const have = s.objects.find(same);
    if (adding(op.verb)) {
      if (have && op.verb === 'create') return fake.refuse('EEXIST', 'object exists');
      if (!have) s.objects.push({ ...clone(o), handle: fake.handle() });
      return;
    }
    if (!have) {
      if (op.verb === 'destroy') return;
      return fake.refuse('ENOENT', 'no such object');
    }
    s.objects = s.objects.filter((x) => !same(x));
  },
});
