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
 * No elements, no message: the kernel refuses NEWSETELEM without a list
 * (EINVAL) and takes DELSETELEM without one as "flush the set".
 */
export function encodeElementMessages(w: Writer, type: number, flags: number, family: Family, set: { table: string; name?: string; id?: number },
  given: SetElement[], shape: SetShape | undefined): void {
  const elements = expandIntervals(given, shape);
  if (elements.length === 0) return;
  let i = 0;
  do {
    const m = w.beginMessage(MSG(type), flags, FAMILIES.number(family));
    w.strz(U.NFTA_SET_ELEM_LIST_TABLE, set.table);
    if (set.name !== undefined) w.strz(U.NFTA_SET_ELEM_LIST_SET, set.name);
    if (set.id !== undefined) w.be32(U.NFTA_SET_ELEM_LIST_SET_ID, set.id);
    const list = w.nest(U.NFTA_SET_ELEM_LIST_ELEMENTS);
    const start = w.length;
    let nth = 1;
    while (i < elements.length && w.length - start < MAX_ELEMENTS_BYTES) encodeElement(w, elements[i++]!, shape, nth++ & 0x3fff || 1);
    w.end(list);
    w.endMessage(m);
  } while (i < elements.length);
}

// Elements are the same when their keys are (typed keys as the fake stores them).
function keyOf(e: SetElement): string {
  const k = e.key;
  if (!Array.isArray(k)) return keyPart(k);
  let out = keyPart(k[0]);
  for (let i = 1; i < k.length; i++) out += `\0${keyPart(k[i])}`;
  return out;
}

function keyPart(v: unknown): string {
  return v instanceof Uint8Array ? `x${Buffer.from(v).toString('hex')}` : `${typeof v}:${String(v)}`;
}

/** Where each key is in a list of elements. */
function positions(els: SetElement[]): Map<string, number> {
  const at = new Map<string, number>();
  els.forEach((e, i) => at.set(keyOf(e), i));
  return at;
}

// What the kernel says EEXIST to when elements are added: a key already
// there (or earlier in the same list) with other data, or any such key for
// create (NLM_F_EXCL). The same key with the same data is left as it was.
function clashing(have: SetElement[], add: SetElement[], exclusive: boolean): string | undefined {
  const data = (e: SetElement): string => JSON.stringify([e.value, e.verdict, e.objref], (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  const seen = new Map<string, SetElement>();
  for (const e of have) seen.set(keyOf(e), e);
  for (const e of add) {
    const k = keyOf(e);
    const old = seen.get(k);
    if (old !== undefined && (exclusive || data(old) !== data(e))) return exclusive ? 'element exists' : 'element exists with other data';
    if (old === undefined) seen.set(k, e);
  }
  return undefined;
}

/** Elements added to a set, as the kernel adds them: new keys appended, keys already there left as they were. */
export function mergeElements(have: SetElement[], add: SetElement[]): SetElement[] {
  const out = [...have];
  const at = positions(out);
  for (const e of add) {
    const k = keyOf(e);
    if (!at.has(k)) {
      at.set(k, out.length);
      out.push(e);
    }
  }
  return out;
}

/** clashing() for a set added again with elements. */
export function elementClash(have: SetElement[], add: SetElement[]): string | undefined {
  return clashing(have, add, false);
}

// The elements left after deleting `del` (every key must be there unless `missingOk`); undefined if one is not.
function without(have: SetElement[], del: SetElement[], missingOk: boolean): SetElement[] | undefined {
  const at = positions(have);
  const gone = new Set<number>();
  for (const e of del) {
    const i = at.get(keyOf(e));
    if (i === undefined || gone.has(i)) {
      if (missingOk) continue;
      return undefined;
    }
    gone.add(i);
  }
  return have.filter((_e, i) => !gone.has(i));
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
    if (op.elements.length === 0) return;  // nothing is sent for it
    const have = s.sets.find((y) => setKey(y) === setKey(op.set));
    if (!have) return fake.refuse('ENOENT', `set ${op.set.name} does not exist`);
    const els = fake.typed(have, op.elements, !adding(op.verb));
    if (adding(op.verb)) {
      for (const e of els) if (e.verdict?.chain !== undefined) fake.needChain(s, have, e.verdict);  // a deletion's data is not read
      const clash = clashing(have.elements ?? [], els, op.verb === 'create');
      if (clash !== undefined) return fake.refuse('EEXIST', clash);
      have.elements = mergeElements(have.elements ?? [], els);
      return;
    }
    const left = without(have.elements ?? [], els, op.verb === 'destroy');
    if (left === undefined) return fake.refuse('ENOENT', 'no such element');
    have.elements = left;
  },
});
