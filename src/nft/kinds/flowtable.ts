// Flowtables: `add flowtable ip t f { hook ingress priority 0; devices = { eth0 }; }`;
// delete by name or handle, or only some of its devices.
import { FAMILIES } from '../enums.js';
import { encodeFlowtable, encodeFlowtableRef, type Flowtable, type FlowtableRef } from '../flowtable.js';
import { printFlowtableBody } from '../print.js';
import * as U from '../uapi.js';
import { createFlags, MSG, registerKind, type FakeContext, type FakeState } from './kind.js';

export const NFT_MSG_DESTROYFLOWTABLE = 32;

registerKind({
  kind: 'flowtable',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYFLOWTABLE : verb === 'delete' ? U.NFT_MSG_DELFLOWTABLE : U.NFT_MSG_NEWFLOWTABLE),
  encode(w, op) {
    const f = op.flowtable;
    const m = w.beginMessage(MSG(this.messageType(op.verb)), createFlags(op.verb), FAMILIES.number(f.family));
    if (op.verb === 'add' || op.verb === 'create') encodeFlowtable(w, f as Flowtable);
    else encodeFlowtableRef(w, f);
    w.endMessage(m);
  },
  describe(op) {
    const f = op.flowtable;
    return `${op.verb} flowtable ${f.family} ${f.table} ${f.name !== undefined ? f.name : `handle ${f.handle}`}${f.devices !== undefined && (op.verb === 'delete' || op.verb === 'destroy') ? ` (devices ${f.devices.join(', ')})` : ''}`;
  },
  print(op) {
    const f = op.flowtable, verb = op.verb;
    const id = f.name !== undefined ? f.name : `handle ${f.handle}`;
    const body = verb === 'add' || verb === 'create' ? printFlowtableBody(f as Flowtable, true, false) : f.devices !== undefined ? printFlowtableBody({ ...f, name: f.name! }, false, false) : [];
    return `${verb} flowtable ${f.family} ${f.table} ${id}${body.length > 0 ? ` { ${body.map((l) => `${l};`).join(' ')} }` : ''}`;
  },
  access(k, op, a) {
    const f = op.flowtable;
    if (typeof f.name !== 'string') return false;
    const t = k.table(f.family, f.table);
    a.reads.push(t.table);
    a.writes.push(k.of(t.flowtables, f.name), t.flowtableOrder);
    return true;
  },
  apply(s, op, fake) {
    if (op.verb === 'add' || op.verb === 'create') addFlowtable(s, fake, op.flowtable as Flowtable, op.verb === 'create');
    else deleteFlowtable(s, fake, op.flowtable, op.verb === 'destroy');
  },
});

// What nf_tables_newflowtable does: create it, or (add on one that exists)
// hook the devices it does not have yet.
function addFlowtable(s: FakeState, fake: FakeContext, f: Flowtable, exclusive: boolean): void {
  fake.needTable(s, f.family, f.table);
  const have = s.flowtables.find((x) => x.family === f.family && x.table === f.table && x.name === f.name);
  if (have !== undefined && exclusive) return fake.refuse('EEXIST', `flowtable ${f.name} exists`);
  const others = s.flowtables.filter((x) => x !== have && x.family === f.family && x.table === f.table);
  for (const d of f.devices ?? []) {
    const taken = others.find((x) => x.devices?.includes(d));
    if (taken !== undefined) return fake.refuse('EEXIST', `device ${d} is already in flowtable ${taken.name}`);
  }
  if (have === undefined) {
    s.flowtables.push({
      family: f.family, table: f.table, name: f.name, hook: 'ingress', priority: f.priority ?? 0,
      devices: [...(f.devices ?? [])], flags: [...(f.flags ?? [])], handle: fake.handle(),
    });
    return;
  }
  if ((f.priority ?? 0) !== (have.priority ?? 0)) return fake.refuse('EOPNOTSUPP', `cannot change the priority of flowtable ${f.name}`);
  if ((f.flags ?? []).includes('offload') !== (have.flags ?? []).includes('offload')) return fake.refuse('EOPNOTSUPP', `cannot change flags offload of flowtable ${f.name}`);
  // The kernel appends the new hooks; read back (last sent first) they come before the old ones.
  have.devices = [...(f.devices ?? []).filter((d) => !(have.devices ?? []).includes(d)), ...(have.devices ?? [])];
  have.flags = [...(f.flags ?? [])];
}

// What nf_tables_delflowtable does: by name or handle; with devices, unhook only those.
function deleteFlowtable(s: FakeState, fake: FakeContext, f: FlowtableRef, destroy: boolean): void {
  fake.needTable(s, f.family, f.table);
  const have = s.flowtables.find((x) => x.family === f.family && x.table === f.table && (f.name !== undefined ? x.name === f.name : x.handle === f.handle));
  if (have === undefined) {
    if (destroy) return;
    return fake.refuse('ENOENT', `no such flowtable ${f.name ?? `handle ${f.handle}`}`);
  }
  if (f.devices !== undefined && f.devices.length > 0) {
    const missing = f.devices.find((d) => !(have.devices ?? []).includes(d));
    if (missing !== undefined) return fake.refuse('ENOENT', `flowtable ${have.name} has no device ${missing}`);
    have.devices = (have.devices ?? []).filter((d) => !f.devices!.includes(d));
    return;
  }
  if (s.rules.some((r) => r.family === have.family && r.table === have.table && r.expressions.some((e) => e.type === 'flow_offload' && e.flowtable === have.name))) {
    return fake.refuse('EBUSY', `flowtable ${have.name} is in use`);
  }
  s.flowtables = s.flowtables.filter((x) => x !== have);
}
