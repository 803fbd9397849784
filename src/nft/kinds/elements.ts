// Set elements: `add element ip t s { 10.0.0.1, 10.0.0.2 }`, delete, destroy;
// the element messages of named and anonymous sets too.
import { FAMILIES, type Family } from '../enums.js';
import { elementRefs } from '../plan-keys.js';
import { printElements } from '../print.js';
import { encodeElement, expandIntervals, type NftSet, type SetElement, type SetShape } from '../set.js';
import * as U from '../uapi.js';
import type { Writer } from '../wire.js';
import { adding, createFlags, MSG, registerKind, setKey } from './kind.js';

export const NFT_MSG_DESTROYSETELEM = 30;

const MAX_ELEMENTS_BYTES = 60000;  // NFTA_SET_ELEM_LIST_ELEMENTS is a nest: its length is 16 bits

/**
 * The element messages for a set, split where a nest would overflow.
 * Without a name (anonymous sets of an optimized batch) the kernel finds the set by id alone.
 */
export function encodeElementMessages(w: Writer, type: number, flags: number, family: Family, set: { table: string; name?: string; id?: number },
  given: SetElement[], shape: SetShape | undefined): void {
  const elements = expandIntervals(given, shape);
  let i = 0;
  do {
    const m = w.beginMessage(MSG(type), flags, FAMILIES.number(family));
    w.strz(U.NFTA_SET_ELEM_LIST_TABLE, set.table);
    if (set.name !== undefined) w.strz(U.NFTA_SET_ELEM_LIST_SET, set.name);
    if (set.id !== undefined) w.be32(U.NFTA_SET_ELEM_LIST_SET_ID, set.id);
    if (elements.length > 0) {
      const list = w.nest(U.NFTA_SET_ELEM_LIST_ELEMENTS);
      const start = w.length;
      let nth = 1;
      while (i < elements.length && w.length - start < MAX_ELEMENTS_BYTES) encodeElement(w, elements[i++]!, shape, nth++ & 0x3fff || 1);
      w.end(list);
    }
    w.endMessage(m);
  } while (i < elements.length);
}

function sameKey(a: SetElement, b: SetElement): boolean {
  return JSON.stringify(a.key) === JSON.stringify(b.key);
}

/** Elements added to a set: new keys appended, existing ones replaced. */
export function mergeElements(have: SetElement[], add: SetElement[]): SetElement[] {
  const out = [...have];
  for (const e of add) {
    const i = out.findIndex((h) => sameKey(h, e));
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

registerKind({
  kind: 'elements',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYSETELEM : verb === 'delete' ? U.NFT_MSG_DELSETELEM : U.NFT_MSG_NEWSETELEM),
  encode(w, op, { shapes, ids }) {
    const id = ids.byName.get(setKey(op.set));
    encodeElementMessages(w, this.messageType(op.verb), createFlags(op.verb), op.set.family, { ...op.set, ...(id !== undefined ? { id } : {}) }, op.elements, shapes.get(setKey(op.set)));
  },
  describe: (op) => `${op.verb} element ${op.set.family} ${op.set.table} ${op.set.name} (${op.elements.length})`,
  print(op, { shapes }) {
    const shape = shapes.get(setKey(op.set));
    const fake: NftSet = { ...op.set, type: shape?.keyParts?.map((p) => p.name).join(' . ') ?? '0x0', elements: op.elements,
      ...(shape?.verdictMap ? { map: 'verdict' } : shape?.dataParts ? { map: shape.dataParts.map((p) => p.name).join(' . ') } : {}) };
    return `${op.verb} element ${op.set.family} ${op.set.table} ${op.set.name} { ${printElements(fake)} }`;
  },
  access(k, op, a) {
    const t = k.table(op.set.family, op.set.table);
    const set = k.pair(t.sets, op.set.name);
    a.reads.push(t.table, set);
    a.writes.push(set + 1);
    elementRefs(k, t, a.reads, op.elements);
    return true;
  },
  apply(s, op, fake) {
    const have = s.sets.find((y) => setKey(y) === setKey(op.set));
    if (!have) return fake.refuse('ENOENT', `set ${op.set.name} does not exist`);
    const els = fake.typed(have, op.elements);
    for (const e of els) if (e.verdict?.chain !== undefined) fake.needChain(s, have, e.verdict);
    if (adding(op.verb)) {
      if (op.verb === 'create' && els.some((e) => (have.elements ?? []).some((h) => sameKey(h, e)))) return fake.refuse('EEXIST', 'element exists');
      have.elements = mergeElements(have.elements ?? [], els);
      return;
    }
    for (const e of els) {
      const i = (have.elements ?? []).findIndex((h) => sameKey(h, e));
      if (i < 0) {
        if (op.verb === 'destroy') continue;
        return fake.refuse('ENOENT', 'no such element');
      }
      have.elements!.splice(i, 1);
    }
  },
});
