// Rules: add, insert, replace, delete by handle. A rule may carry sets
// inline (InlineLookup: made as anonymous sets just before it) and jump to a
// chain bound to it (made, with its rules, just before it).
import { keyLength, typeId, type DataType } from '../datatypes.js';
import { FAMILIES, type Family } from '../enums.js';
import { isVerdict } from '../expr/data.js';
import type { Expression } from '../expr/index.js';
import { expressionAccess } from '../plan-keys.js';
import { printRule } from '../print.js';
import { encodeRule, encodeRuleRef, type Rule } from '../rule.js';
import { setFlagBits, setShape, setUserdata, type NftSet, type SetElement, type SetShape } from '../set.js';
import type { InlineLookup, Operation } from '../transaction.js';
import * as U from '../uapi.js';
import type { Writer } from '../wire.js';
import { encodeElementMessages } from './elements.js';
import { clone, kindOf, MSG, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REPLACE, registerKind, setKey, type SetIds } from './kind.js';

export const NFT_MSG_DESTROYRULE = 28;

/** An expression that gives its set inline (see InlineLookup). */
export function isInline(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || typeof (e as { set?: unknown }).set !== 'object') return false;
  const t = (e as { type?: string }).type;
  return t === 'lookup' || t === 'dynset' || t === 'objref';
}

// A jump or goto to a chain bound in this batch names it by its id.
function withChainId(e: Expression, r: Rule, ids: SetIds): Expression {
  if (ids.chains.size === 0 || e.type !== 'immediate') return e;
  const v = (e as { data?: unknown }).data;
  if (!isVerdict(v) || v.chain === undefined) return e;
  const id = ids.chains.get(setKey({ family: r.family, table: r.table, name: v.chain }));
  return id === undefined ? e : ({ ...e, data: { ...v, chainId: id } } as Expression);
}

function withSetId(e: Expression, family: Family, table: string, ids: SetIds): Expression {
  const x = e as unknown as { type: string; set?: unknown; setId?: number };
  if ((x.type !== 'lookup' && x.type !== 'dynset') || typeof x.set !== 'string' || x.setId !== undefined) return e;
  const id = ids.byName.get(setKey({ family, table, name: x.set }));
  return id === undefined ? e : ({ ...x, setId: id } as unknown as Expression);
}

// What every anonymous set of one type shares, worked out once per encode.
interface AnonymousKind {
  shape: SetShape;
  raw: Partial<NftSet>;
}

function anonymousKind(inline: InlineLookup, ids: SetIds): AnonymousKind {
  const cache = ids.kinds as Map<string, AnonymousKind>;
  const given = inline.set;
  // A set from a listing: as it was (the shape shared by the sets of one type).
  if (given.keyLen !== undefined && given.keyTypeId !== undefined) {
    const flags: NftSet['flags'] = ['anonymous', 'constant', ...(given.flags ?? [])];
    const shapeKey = `listed\0${given.type}\0${given.map ?? ''}\0${flags.join(',')}\0${given.keyLen}`;
    let shape = (cache.get(shapeKey) as AnonymousKind | undefined)?.shape;
    if (shape === undefined) {
      shape = setShape({ type: given.type, ...(given.map !== undefined ? { map: given.map } : {}), flags, keyLen: given.keyLen });
      cache.set(shapeKey, { shape, raw: {} });
    }
    const { elements: _e, type: _t, map: _m, name: _n, ...raw } = given;
    return { shape, raw: { ...raw, flags, flagBits: given.flagBits ?? setFlagBits({ family: 'ip', table: '', name: '', type: given.type, ...(given.map !== undefined ? { map: given.map } : {}), flags }) } };
  }
  const key = `${inline.set.type}\0${inline.set.map ?? ''}\0${(inline.set.flags ?? []).join(',')}`;
  let k = cache.get(key);
  if (k !== undefined) return k;
  const s: NftSet = {
    family: 'ip', table: '', name: '', type: inline.set.type, ...(inline.set.map !== undefined ? { map: inline.set.map } : {}),
    flags: ['anonymous', 'constant', ...(inline.set.flags ?? [])],
  };
  const shape = setShape(s);
  const verdict = shape.verdictMap;
  // A type we have no name for (`0x…`, from a listing) has its id in the name; its
  // elements are raw bytes, so their length is the key (or data) length.
  const id = (type: string, parts: DataType[] | undefined): number => (parts !== undefined ? typeId(parts) : Number.parseInt(type.slice(2), 16));
  const len = (parts: DataType[] | undefined, values: (SetElement['key'] | undefined)[]): number =>
    (parts !== undefined ? keyLength(parts) : (values.find((v) => v instanceof Uint8Array) as Uint8Array | undefined)?.length ?? 0);
  k = {
    shape,
    raw: {
      flags: s.flags!, flagBits: setFlagBits(s),
      keyTypeId: id(s.type, shape.keyParts), keyLen: len(shape.keyParts, inline.set.elements.map((e) => e.key)),
      ...(s.map !== undefined ? {
        dataTypeId: verdict ? 0xffffff00 : id(s.map, shape.dataParts),
        dataLen: verdict ? 0 : len(shape.dataParts, inline.set.elements.map((e) => e.value)),
      } : {}),
      userdata: setUserdata(s),
    },
  };
  cache.set(key, k);
  return k;
}

// An inline set's NEWSET and NEWSETELEM messages; returns the lookup that refers to it.
function encodeAnonymousSet(w: Writer, r: Rule, inline: InlineLookup, shapes: Map<string, SetShape>, ids: SetIds): Expression {
  // nft's names: `__set%d`, `__map%d`, `__objmap%d` (a meter has its own).
  const objmap = inline.set.objType !== undefined || ((inline.set.flagBits ?? 0) & U.NFT_SET_OBJECT) !== 0;
  const template = inline.set.name ?? (objmap ? '__objmap%d' : inline.set.map !== undefined ? '__map%d' : '__set%d');
  const number = ids.anonymousId?.();
  const kind = anonymousKind(inline, ids);
  const anon: NftSet = {
    family: r.family, table: r.table, name: number === undefined ? template : template.replace('%d', String(number)), type: inline.set.type,
    ...(inline.set.map !== undefined ? { map: inline.set.map } : {}),
    size: inline.set.elements.length, ...kind.raw, id: ids.next++,
  };
  // A chosen name must not update a set that happens to carry it: create (EXCL) fails instead.
  const op: Operation = { verb: number === undefined ? 'add' : 'create', kind: 'set', set: anon };
  kindOf(op).encode(w, op, { shapes, ids });
  if (number !== undefined) ids.named++;
  if (inline.set.elements.length > 0) {
    encodeElementMessages(w, U.NFT_MSG_NEWSETELEM, NLM_F_CREATE, r.family, number === undefined ? anon : { table: anon.table, id: anon.id! },
      inline.set.elements, kind.shape);
  }
  // The lookup names the template, as nft does: no set is ever called that, so the kernel goes straight to the id.
  return { ...inline, set: template, setId: anon.id } as unknown as Expression;
}

registerKind({
  kind: 'rule',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYRULE : verb === 'delete' ? U.NFT_MSG_DELRULE : U.NFT_MSG_NEWRULE),
  encode(w, op, { shapes, ids }) {
    const r = op.rule;
    const type = this.messageType(op.verb);
    if (op.verb === 'delete' || op.verb === 'destroy') {
      const m = w.beginMessage(MSG(type), 0, FAMILIES.number(r.family));
      encodeRuleRef(w, r);
      w.endMessage(m);
      return;
    }
    // Inline sets become anonymous sets, created just before the rule.
    // The expressions are copied only when one of them changes.
    let expressions = r.expressions;
    for (let k = 0; k < r.expressions.length; k++) {
      const e = r.expressions[k]!;
      const x = isInline(e) ? encodeAnonymousSet(w, r, e as unknown as InlineLookup, shapes, ids) : withChainId(withSetId(e, r.family, r.table, ids), r, ids);
      if (x === e) continue;
      if (expressions === r.expressions) expressions = r.expressions.slice();
      expressions[k] = x;
    }
    const flags = op.verb === 'replace' ? NLM_F_REPLACE : op.verb === 'insert' ? NLM_F_CREATE : NLM_F_CREATE | NLM_F_APPEND;
    const m = w.beginMessage(MSG(type), flags, FAMILIES.number(r.family));
    encodeRule(w, expressions === r.expressions ? r : { ...r, expressions }, op.verb === 'replace',
      ids.chains.size > 0 ? ids.chains.get(setKey({ family: r.family, table: r.table, name: r.chain })) : undefined);
    w.endMessage(m);
  },
  describe: (op) => `${op.verb} rule ${op.rule.family} ${op.rule.table} ${op.rule.chain}${op.rule.handle !== undefined ? ` handle ${op.rule.handle}` : ''}`,
  print(op, { sets }) {
    const r = op.rule, verb = op.verb;
    const where = `${r.family} ${r.table} ${r.chain}`;
    if (verb === 'delete' || verb === 'destroy') return `${verb} rule ${where} handle ${r.handle}`;
    const pos = verb === 'replace' ? ` handle ${r.handle}` : r.position !== undefined ? ` position ${r.position}` : '';
    return `${verb} rule ${where}${pos} ${printRule(r, (name) => sets.get(setKey({ family: r.family, table: r.table, name })))}`;
  },
  access(k, op, a) {
    const r = op.rule;
    if (r.handle !== undefined) return false;
    const t = k.table(r.family, r.table);
    const chain = k.pair(t.chains, r.chain);
    a.reads.push(t.table, chain);
    a.writes.push(chain + 1);
    return expressionAccess(k, t, r.expressions, a);
  },
  apply(s, op, fake) {
    const r = op.rule;
    fake.needTable(s, r.family, r.table);
    if (!s.chains.some((c) => c.family === r.family && c.table === r.table && c.name === r.chain)) {
      return fake.refuse('ENOENT', `chain ${r.chain} does not exist`);
    }
    const inChain = (x: Rule) => x.family === r.family && x.table === r.table && x.chain === r.chain;
    const at = r.handle !== undefined ? s.rules.findIndex((x) => inChain(x) && x.handle === r.handle) : -1;
    if (op.verb === 'delete' || op.verb === 'destroy') {
      if (at < 0) {
        if (op.verb === 'destroy') return;
        return fake.refuse('ENOENT', 'no such rule');
      }
      s.rules.splice(at, 1);
      return;
    }
    const expressions = r.expressions.map((e) => {
      const inline = e as unknown as InlineLookup;
      if (!isInline(e)) return clone(e);
      const { name: meter, elements, flags, ...given } = inline.set;
      const name = meter ?? `__${inline.set.map !== undefined ? 'map' : 'set'}${fake.nextHandle()}`;
      const anon = fake.newSet({ ...given, family: r.family, table: r.table, name, flags: ['anonymous', 'constant', ...(flags ?? [])], elements });
      s.sets.push(anon);
      return { ...clone(inline), set: name } as unknown as typeof e;
    });
    const rule: Rule = { ...clone(r), expressions, handle: op.verb === 'replace' ? r.handle! : fake.handle() };
    fake.added(rule);
    delete rule.position;
    if (op.verb === 'replace') {
      if (at < 0) return fake.refuse('ENOENT', 'no such rule');
      s.rules[at] = rule;
      return;
    }
    const pos = r.position !== undefined ? s.rules.findIndex((x) => inChain(x) && x.handle === r.position) : -1;
    if (r.position !== undefined && pos < 0) return fake.refuse('ENOENT', 'no rule at that position');
    if (op.verb === 'insert') {
      const first = pos >= 0 ? pos : s.rules.findIndex(inChain);
      s.rules.splice(first >= 0 ? first : s.rules.length, 0, rule);
    } else {
      let last = -1;
      s.rules.forEach((x, i) => { if (inChain(x)) last = i; });
      s.rules.splice(pos >= 0 ? pos + 1 : last >= 0 ? last + 1 : s.rules.length, 0, rule);
    }
  },
});
