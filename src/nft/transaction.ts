// A transaction: operations queued locally, validated as they are queued,
// and sent by commit() as ONE nfnetlink batch that the kernel applies all or
// nothing. The first invalid operation latches: later ones are ignored and
// commit() throws that error before anything is sent.
import type { Chain } from './chain.js';
import { encodeChain, encodeChainRef, validateChain } from './chain.js';
import { FAMILIES, type Family } from './enums.js';
import type { Expression } from './expr/index.js';
import type { LookupExpr } from './expr/lookup.js';
import { isVerdict } from './expr/data.js';
import { validateExpr } from './expr/spec.js';
import { checkFamily, checkName, NftValidationError } from './names.js';
import type { NamedObject } from './object.js';
import { encodeObject, encodeObjectRef, validateObject } from './object.js';
import type { ObjectType } from './expr/objref.js';
import { encodeRule, encodeRuleRef, validateRule, type Rule } from './rule.js';
import { keyLength, typeId, type DataType } from './datatypes.js';
import { encodeElement, encodeSet, encodeSetRef, expandIntervals, setFlagBits, setShape, setUserdata, validateElement, validateSet, type NftSet, type SetElement, type SetShape } from './set.js';
import { encodeTable, encodeTableRef, validateTable, type Table } from './table.js';
import { encodeFlowtable, encodeFlowtableRef, validateFlowtable, validateFlowtableRef, type Flowtable, type FlowtableRef } from './flowtable.js';
import * as U from './uapi.js';
import { Writer } from './wire.js';
import { commitOrder } from './plan.js';
import { printChainHeader, printElements, printFlowtableBody, printObject, printRule, printSet } from './print.js';

export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** Kernel 6.3+: delete that succeeds when the object does not exist. */
export const NFT_MSG_DESTROYTABLE = 26;
export const NFT_MSG_DESTROYCHAIN = 27;
export const NFT_MSG_DESTROYRULE = 28;
export const NFT_MSG_DESTROYSET = 29;
export const NFT_MSG_DESTROYSETELEM = 30;
export const NFT_MSG_DESTROYOBJ = 31;
export const NFT_MSG_DESTROYFLOWTABLE = 32;

export type Verb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush';

/** A reference to a set: where elements go. */
export interface SetRef {
  family: Family;
  table: string;
  name: string;
}

/**
 * A map or set written inline in a rule (`vmap { 0 : goto a, 1 : goto b }`),
 * made anonymous by the kernel. The optional fields carry what a listing
 * gives of an anonymous set (its key and data lengths and type ids, its
 * userdata with nft's `typeof`, ...), so it is recreated as it was sent.
 */
export interface AnonymousSet extends Partial<Pick<NftSet, 'flagBits' | 'keyTypeId' | 'keyLen' | 'dataTypeId' | 'dataLen' | 'userdata' | 'desc' |
  'size' | 'objType' | 'policy' | 'timeout' | 'gcInterval' | 'counter' | 'exprs'>> {
  type: string;
  map?: string;
  flags?: NftSet['flags'];
  elements: SetElement[];
  /** A meter's name (`meter flood size 128 { ... }`): anonymous, but named by the rule. */
  name?: string;
}

/**
 * A lookup whose set is given inline: the transaction creates it as an
 * anonymous set. A dynset (a meter) or an objref (`counter name tcp dport
 * map { ... }`) may carry its set inline the same way.
 */
export interface InlineLookup extends Omit<LookupExpr, 'set'> {
  set: AnonymousSet;
}

export type Operation =
  | { verb: Verb; kind: 'table'; table: Table }
  | { verb: Verb; kind: 'chain'; chain: Chain }
  | { verb: Verb; kind: 'rule'; rule: Rule }
  | { verb: Verb; kind: 'set'; set: NftSet }
  | { verb: Verb; kind: 'elements'; set: SetRef; elements: SetElement[] }
  | { verb: Verb; kind: 'object'; object: NamedObject }
  /** add/create carry a Flowtable, delete/destroy a FlowtableRef. */
  | { verb: Verb; kind: 'flowtable'; flowtable: Flowtable | FlowtableRef }
  | { verb: 'flush'; kind: 'ruleset'; family?: Family };

const MSG = (m: number): number => (U.NFNL_SUBSYS_NFTABLES << 8) | m;

/** The encoded batch body, and which operation each message came from. */
export interface EncodedBatch {
  bytes: Buffer;
  opOfMessage: number[];
  /** True when the options changed the batch from the plain, nft-identical encoding. */
  optimized?: boolean;
}

/**
 * How to encode. The default is the plain encoding: operations in order,
 * message for message what `nft -f` sends for the same commands. commit()
 * first sends an optimized batch with the same effect (see plan.ts) and falls
 * back to the plain one when the kernel refuses it, so errors name the
 * operation exactly as a plain commit would.
 */
export interface EncodeOptions {
  /** Send rules that bind anonymous sets, and what they need, first (commitOrder). */
  reorder?: boolean;
  /**
   * Give anonymous sets these numbers (`__map<n>`, created with NLM_F_EXCL)
   * instead of the kernel's `%d` template, and add their elements by set id
   * alone: both spare the kernel a walk over every set in the table.
   */
  anonymousId?: () => number;
}

/**
 * Queues nf_tables operations. Obtain one from {@link Nftables.transaction}
 * (or FakeNftables), queue operations, then `await nft.commit(tx)`.
 *
 * ```ts
 * const tx = nft.transaction();
 * tx.addTable({ family: 'ip', name: 'kube-proxy' });
 * tx.addChain({ family: 'ip', table: 'kube-proxy', name: 'services' });
 * await nft.commit(tx); // one batch: all or nothing
 * ```
 */
export class Transaction {
  readonly operations: Operation[] = [];
  #error: Error | undefined;
  #shapes = new Map<string, SetShape>();

  /** The first validation error, if any operation was refused. */
  get error(): Error | undefined {
    return this.#error;
  }

  #queue(op: Operation, check: () => void): this {
    if (this.#error !== undefined) return this;
    try {
      check();
      this.operations.push(op);
    } catch (e) {
      this.#error = e instanceof Error ? e : new Error(String(e));
    }
    return this;
  }

  #where(verb: string, what: string): string {
    return `operation ${this.operations.length} (${verb} ${what})`;
  }

  /** Equivalent to: `add table FAMILY NAME` (`create` fails if it exists). */
  addTable(table: Table): this { return this.#table('add', table); }
  createTable(table: Table): this { return this.#table('create', table); }
  /** Equivalent to: `delete table FAMILY NAME` (`destroy` ignores a missing one; kernel 6.3+). */
  deleteTable(table: Pick<Table, 'family' | 'name'>): this { return this.#table('delete', table as Table); }
  destroyTable(table: Pick<Table, 'family' | 'name'>): this { return this.#table('destroy', table as Table); }
  /** Equivalent to: `flush table FAMILY NAME` (removes every rule, keeps chains and sets). */
  flushTable(table: Pick<Table, 'family' | 'name'>): this { return this.#table('flush', table as Table); }

  #table(verb: Verb, table: Table): this {
    const where = this.#where(verb, 'table');
    return this.#queue({ verb, kind: 'table', table }, () => {
      if (verb === 'add' || verb === 'create') validateTable(table, where);
      else { checkFamily(table?.family, where); checkName(table.name, `${where}: table`); }
    });
  }

  /** Equivalent to: `add chain FAMILY TABLE NAME [{ type T hook H priority P; policy X; }]`. */
  addChain(chain: Chain): this { return this.#chain('add', chain); }
  createChain(chain: Chain): this { return this.#chain('create', chain); }
  deleteChain(chain: Pick<Chain, 'family' | 'table' | 'name'>): this { return this.#chain('delete', chain as Chain); }
  destroyChain(chain: Pick<Chain, 'family' | 'table' | 'name'>): this { return this.#chain('destroy', chain as Chain); }
  /** Equivalent to: `flush chain FAMILY TABLE NAME`. */
  flushChain(chain: Pick<Chain, 'family' | 'table' | 'name'>): this { return this.#chain('flush', chain as Chain); }

  #chain(verb: Verb, chain: Chain): this {
    const where = this.#where(verb, 'chain');
    return this.#queue({ verb, kind: 'chain', chain }, () => {
      if (verb === 'add' || verb === 'create') validateChain(chain, where);
      else { checkFamily(chain?.family, where); checkName(chain.table, `${where}: table`); checkName(chain.name, `${where}: chain`); }
    });
  }

  /** Appends a rule (after `position` when given). Equivalent to: `add rule FAMILY TABLE CHAIN [position H] EXPR...`. */
  addRule(rule: Rule): this { return this.#rule('add', rule); }
  /** Prepends a rule (before `position` when given). Equivalent to: `insert rule ...`. */
  insertRule(rule: Rule): this { return this.#rule('insert', rule); }
  /** Replaces the rule with `rule.handle`. Equivalent to: `replace rule FAMILY TABLE CHAIN handle H EXPR...`. */
  replaceRule(rule: Rule & { handle: number }): this { return this.#rule('replace', rule); }
  /** Equivalent to: `delete rule FAMILY TABLE CHAIN handle H`. */
  deleteRule(rule: Pick<Rule, 'family' | 'table' | 'chain'> & { handle: number }): this { return this.#rule('delete', rule as Rule); }
  destroyRule(rule: Pick<Rule, 'family' | 'table' | 'chain'> & { handle: number }): this { return this.#rule('destroy', rule as Rule); }

  #rule(verb: Verb, rule: Rule): this {
    const where = this.#where(verb, 'rule');
    return this.#queue({ verb, kind: 'rule', rule }, () => {
      if (verb === 'delete' || verb === 'destroy' || verb === 'replace') {
        if (!Number.isInteger(rule?.handle)) throw new NftValidationError(`${where}: a rule handle is needed`);
      }
      if (verb === 'delete' || verb === 'destroy') {
        checkFamily(rule.family, where); checkName(rule.table, `${where}: table`); checkName(rule.chain, `${where}: chain`);
        return;
      }
      const inline = Array.isArray(rule?.expressions) && rule.expressions.some(isInline);
      validateRule(inline ? { ...rule, expressions: rule.expressions.filter((e) => !isInline(e)) } : (rule ?? ({} as Rule)), where);
      if (inline) rule.expressions.forEach((e, i) => {
        if (!isInline(e)) return;
        const s = (e as unknown as InlineLookup).set;
        validateExpr({ ...(e as object), set: 'inline' } as never, `${where}: expression ${i}`);
        validateSet({ family: rule.family, table: rule.table, name: '', type: s.type, ...(s.map !== undefined ? { map: s.map } : {}),
          ...(s.keyLen !== undefined ? { keyLen: s.keyLen } : {}), elements: s.elements }, `${where}: expression ${i}`, true);
      });
    });
  }

  /** Equivalent to: `add set|map FAMILY TABLE NAME { type ...; flags ...; elements = {...} }`. */
  addSet(set: NftSet): this { return this.#set('add', set); }
  createSet(set: NftSet): this { return this.#set('create', set); }
  deleteSet(set: SetRef): this { return this.#set('delete', set as NftSet); }
  destroySet(set: SetRef): this { return this.#set('destroy', set as NftSet); }
  /** Equivalent to: `flush set FAMILY TABLE NAME` (removes every element). */
  flushSet(set: SetRef): this { return this.#set('flush', set as NftSet); }

  #set(verb: Verb, set: NftSet): this {
    const where = this.#where(verb, 'set');
    return this.#queue({ verb, kind: 'set', set }, () => {
      if (verb === 'add' || verb === 'create') {
        validateSet(set, where);
        this.#shapes.set(setKey(set), setShape(set));
      } else {
        checkFamily(set?.family, where); checkName(set.table, `${where}: table`); checkName(set.name, `${where}: set`);
      }
    });
  }

  /** Equivalent to: `add element FAMILY TABLE SET { ... }`. */
  addElements(set: SetRef, elements: SetElement[]): this { return this.#elements('add', set, elements); }
  /** Like addElements, but an element that exists already fails the transaction. */
  createElements(set: SetRef, elements: SetElement[]): this { return this.#elements('create', set, elements); }
  /** Equivalent to: `delete element FAMILY TABLE SET { ... }`. */
  deleteElements(set: SetRef, elements: SetElement[]): this { return this.#elements('delete', set, elements); }
  destroyElements(set: SetRef, elements: SetElement[]): this { return this.#elements('destroy', set, elements); }

  #elements(verb: Verb, set: SetRef, elements: SetElement[]): this {
    const where = this.#where(verb, 'element');
    return this.#queue({ verb, kind: 'elements', set, elements }, () => {
      checkFamily(set?.family, where); checkName(set.table, `${where}: table`); checkName(set.name, `${where}: set`);
      if (!Array.isArray(elements)) throw new NftValidationError(`${where}: elements must be an array`);
      const shape = this.#shapes.get(setKey(set));
      elements.forEach((e, i) => validateElement(e, shape, `${where}: element ${i}`));
    });
  }

  /** Equivalent to: `add counter|quota FAMILY TABLE NAME { ... }`. */
  addObject(object: NamedObject): this { return this.#object('add', object); }
  createObject(object: NamedObject): this { return this.#object('create', object); }
  deleteObject(object: { family: Family; table: string; name: string; type: ObjectType }): this { return this.#object('delete', object as NamedObject); }
  destroyObject(object: { family: Family; table: string; name: string; type: ObjectType }): this { return this.#object('destroy', object as NamedObject); }

  #object(verb: Verb, object: NamedObject): this {
    const where = this.#where(verb, 'object');
    return this.#queue({ verb, kind: 'object', object }, () => {
      if (verb === 'add' || verb === 'create') validateObject(object, where);
      else { checkFamily(object?.family, where); checkName(object.table, `${where}: table`); checkName(object.name, `${where}: object`); }
    });
  }

  /**
   * Equivalent to: `add flowtable FAMILY TABLE NAME { hook ingress priority P; devices = { ... }; [counter;] [flags offload;] }`.
   * On a flowtable that exists, adds the devices it does not have yet and takes the flags sent
   * (the priority and the offload flag cannot change: EOPNOTSUPP). `create` fails if it exists.
   */
  addFlowtable(flowtable: Flowtable): this { return this.#flowtable('add', flowtable); }
  createFlowtable(flowtable: Flowtable): this { return this.#flowtable('create', flowtable); }
  /**
   * Equivalent to: `delete flowtable FAMILY TABLE NAME`, `delete flowtable FAMILY TABLE handle H`, or with
   * `devices`, `delete flowtable FAMILY TABLE NAME { devices = { ... }; }` (removes only those devices).
   * A flowtable that a rule still uses (`flow add @NAME`) cannot be deleted (EBUSY).
   */
  deleteFlowtable(flowtable: FlowtableRef): this { return this.#flowtable('delete', flowtable); }
  /** Like deleteFlowtable of a whole flowtable, but a missing one is not an error (kernel 6.3+). */
  destroyFlowtable(flowtable: Omit<FlowtableRef, 'devices'>): this { return this.#flowtable('destroy', flowtable); }

  #flowtable(verb: Verb, flowtable: Flowtable | FlowtableRef): this {
    const where = this.#where(verb, 'flowtable');
    return this.#queue({ verb, kind: 'flowtable', flowtable }, () => {
      if (verb === 'add' || verb === 'create') validateFlowtable(flowtable as Flowtable, where);
      else validateFlowtableRef(flowtable as FlowtableRef, where, verb === 'destroy');
    });
  }

  /** Equivalent to: `flush ruleset [FAMILY]`. */
  flushRuleset(family?: Family): this {
    const where = this.#where('flush', 'ruleset');
    return this.#queue({ verb: 'flush', kind: 'ruleset', ...(family !== undefined ? { family } : {}) }, () => {
      if (family !== undefined) checkFamily(family, where);
    });
  }

  /**
   * The transaction as an nft script (`nft -f` input), one command per
   * operation. Equivalent to what `nft -f` would be given to do the same.
   */
  toString(): string {
    // Rules print their lookups with the sets this transaction adds.
    const sets = new Map<string, NftSet>();
    for (const op of this.operations) if (op.kind === 'set' && (op.verb === 'add' || op.verb === 'create')) sets.set(setKey(op.set), op.set as NftSet);
    return this.operations.map((op) => printOperation(op, this.#shapes, sets)).join('\n') + (this.operations.length > 0 ? '\n' : '');
  }

  /** Sets named in element operations whose types this transaction does not define. */
  unknownSets(): SetRef[] {
    const out = new Map<string, SetRef>();
    for (const op of this.operations) {
      if (op.kind !== 'elements' || this.#shapes.has(setKey(op.set))) continue;
      if (op.elements.some((e) => !(e.key instanceof Uint8Array) || (e.value !== undefined && !(e.value instanceof Uint8Array)))) out.set(setKey(op.set), op.set);
    }
    return [...out.values()];
  }

  /** Tells the transaction a set's type (commit does this for sets that already exist). */
  knowSet(set: SetRef & Pick<NftSet, 'type' | 'map' | 'flags'>): void {
    if (!this.#shapes.has(setKey(set))) this.#shapes.set(setKey(set), setShape(set));
  }

  /** Encodes every operation as the messages of one batch (in order, unless options.reorder). */
  encode(options: EncodeOptions = {}): EncodedBatch {
    if (this.#error !== undefined) throw this.#error;
    const w = new Writer(1 << 16);
    const opOfMessage: number[] = [];
    const ids: SetIds = { next: 1, byName: new Map<string, number>(), anonymousId: options.anonymousId, named: 0, kinds: new Map(), chains: new Map() };
    const order = options.reorder === true ? commitOrder(this.operations) : undefined;
    const n = this.operations.length;
    for (let k = 0; k < n; k++) {
      const i = order === undefined ? k : order[k]!;
      const before = w.count;
      encodeOperation(w, this.operations[i]!, this.#shapes, ids);
      for (let m = before; m < w.count; m++) opOfMessage.push(i);
    }
    return { bytes: w.bytes(), opOfMessage, optimized: order !== undefined || ids.named > 0 };
  }
}

export function setKey(s: { family: string; table: string; name: string }): string {
  return `${s.family}\0${s.table}\0${s.name}`;
}

/** An expression that gives its set inline (see InlineLookup). */
export function isInline(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || typeof (e as { set?: unknown }).set !== 'object') return false;
  const t = (e as { type?: string }).type;
  return t === 'lookup' || t === 'dynset' || t === 'objref';
}

const MAX_ELEMENTS_BYTES = 60000;  // NFTA_SET_ELEM_LIST_ELEMENTS is a nest: its length is 16 bits

function messageType(kind: Operation['kind'], verb: Verb): number {
  const del = verb === 'delete' || verb === 'flush';
  switch (kind) {
    case 'table': return verb === 'destroy' ? NFT_MSG_DESTROYTABLE : del && verb !== 'flush' ? U.NFT_MSG_DELTABLE : U.NFT_MSG_NEWTABLE;
    case 'chain': return verb === 'destroy' ? NFT_MSG_DESTROYCHAIN : verb === 'delete' ? U.NFT_MSG_DELCHAIN : U.NFT_MSG_NEWCHAIN;
    case 'rule': return verb === 'destroy' ? NFT_MSG_DESTROYRULE : verb === 'delete' ? U.NFT_MSG_DELRULE : U.NFT_MSG_NEWRULE;
    case 'set': return verb === 'destroy' ? NFT_MSG_DESTROYSET : verb === 'delete' ? U.NFT_MSG_DELSET : U.NFT_MSG_NEWSET;
    case 'elements': return verb === 'destroy' ? NFT_MSG_DESTROYSETELEM : verb === 'delete' ? U.NFT_MSG_DELSETELEM : U.NFT_MSG_NEWSETELEM;
    case 'object': return verb === 'destroy' ? NFT_MSG_DESTROYOBJ : verb === 'delete' ? U.NFT_MSG_DELOBJ : U.NFT_MSG_NEWOBJ;
    case 'flowtable': return verb === 'destroy' ? NFT_MSG_DESTROYFLOWTABLE : verb === 'delete' ? U.NFT_MSG_DELFLOWTABLE : U.NFT_MSG_NEWFLOWTABLE;
    case 'ruleset': return U.NFT_MSG_DELTABLE;
  }
}

// Without a name (anonymous sets of an optimized batch) the kernel finds the set by id alone.
function encodeElementMessages(w: Writer, type: number, flags: number, family: Family, set: { table: string; name?: string; id?: number },
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

// Sets added in this batch get NFTA_SET_ID numbers; rules and elements that
// name them carry the id too, as nft does (anonymous sets are found only by it).
interface SetIds {
  next: number;
  byName: Map<string, number>;
  /** EncodeOptions.anonymousId, and how many anonymous sets it named. */
  anonymousId?: (() => number) | undefined;
  named: number;
  kinds: Map<string, AnonymousKind>;
  /** Chains bound to a rule (NFT_CHAIN_BINDING), made in this batch: their NFTA_CHAIN_ID. */
  chains: Map<string, number>;
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
  const given = inline.set;
  // A set from a listing: as it was.
  if (given.keyLen !== undefined && given.keyTypeId !== undefined) {
    const s: NftSet = { family: 'ip', table: '', name: '', ...given, flags: ['anonymous', 'constant', ...(given.flags ?? [])] };
    const { elements: _e, type: _t, map: _m, name: _n, ...raw } = given;
    return { shape: setShape(s), raw: { ...raw, flags: s.flags!, flagBits: given.flagBits ?? setFlagBits(s) } };
  }
  const key = `${inline.set.type}\0${inline.set.map ?? ''}\0${(inline.set.flags ?? []).join(',')}`;
  let k = ids.kinds.get(key);
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
  ids.kinds.set(key, k);
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
  encodeOperation(w, { verb: number === undefined ? 'add' : 'create', kind: 'set', set: anon }, shapes, ids);
  if (number !== undefined) ids.named++;
  if (inline.set.elements.length > 0) {
    encodeElementMessages(w, U.NFT_MSG_NEWSETELEM, NLM_F_CREATE, r.family, number === undefined ? anon : { table: anon.table, id: anon.id! },
      inline.set.elements, kind.shape);
  }
  // The lookup names the template, as nft does: no set is ever called that, so the kernel goes straight to the id.
  return { ...inline, set: template, setId: anon.id } as unknown as Expression;
}

function encodeOperation(w: Writer, op: Operation, shapes: Map<string, SetShape>, ids: SetIds): void {
  const type = messageType(op.kind, op.verb);
  const create = op.verb === 'create' ? NLM_F_CREATE | NLM_F_EXCL : op.verb === 'add' ? NLM_F_CREATE : 0;
  switch (op.kind) {
    case 'ruleset': {
      const m = w.beginMessage(MSG(type), 0, op.family === undefined ? 0 : FAMILIES.number(op.family));
      w.endMessage(m);
      return;
    }
    case 'table': {
      const t = op.table;
      if (op.verb === 'flush') {
        const m = w.beginMessage(MSG(U.NFT_MSG_DELRULE), 0, FAMILIES.number(t.family));
        w.strz(U.NFTA_RULE_TABLE, t.name);
        w.endMessage(m);
        return;
      }
      // nft sends `add table` without NLM_F_CREATE; the kernel creates it anyway.
      const m = w.beginMessage(MSG(type), op.verb === 'create' ? NLM_F_EXCL : 0, FAMILIES.number(t.family));
      if (op.verb === 'add' || op.verb === 'create') encodeTable(w, t);
      else encodeTableRef(w, t);
      w.endMessage(m);
      return;
    }
    case 'chain': {
      const c = op.chain;
      if (op.verb === 'flush') {
        const m = w.beginMessage(MSG(U.NFT_MSG_DELRULE), 0, FAMILIES.number(c.family));
        encodeRuleRef(w, { table: c.table, chain: c.name });
        w.endMessage(m);
        return;
      }
      const m = w.beginMessage(MSG(type), create, FAMILIES.number(c.family));
      if (op.verb === 'add' || op.verb === 'create') {
        // A chain bound to a rule (`jump { ... }`) is made by id; its rules and the rule binding it name it so.
        let id: number | undefined;
        if (((c.flags ?? 0) & U.NFT_CHAIN_BINDING) !== 0) {
          id = ids.next++;
          ids.chains.set(setKey({ family: c.family, table: c.table, name: c.name }), id);
        }
        encodeChain(w, c, id);
      } else encodeChainRef(w, c);
      w.endMessage(m);
      return;
    }
    case 'rule': {
      const r = op.rule;
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
      return;
    }
    case 'set': {
      const s = op.set;
      if (op.verb === 'flush') {
        const m = w.beginMessage(MSG(U.NFT_MSG_DELSETELEM), 0, FAMILIES.number(s.family));
        w.strz(U.NFTA_SET_ELEM_LIST_TABLE, s.table);
        w.strz(U.NFTA_SET_ELEM_LIST_SET, s.name);
        w.endMessage(m);
        return;
      }
      const m = w.beginMessage(MSG(type), create, FAMILIES.number(s.family));
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
      return;
    }
    case 'elements': {
      const flags = op.verb === 'create' ? NLM_F_CREATE | NLM_F_EXCL : op.verb === 'add' ? NLM_F_CREATE : 0;
      const id = ids.byName.get(setKey(op.set));
      encodeElementMessages(w, type, flags, op.set.family, { ...op.set, ...(id !== undefined ? { id } : {}) }, op.elements, shapes.get(setKey(op.set)));
      return;
    }
    case 'object': {
      const o = op.object;
      const m = w.beginMessage(MSG(type), create, FAMILIES.number(o.family));
      if (op.verb === 'add' || op.verb === 'create') encodeObject(w, o);
      else encodeObjectRef(w, o);
      w.endMessage(m);
      return;
    }
    case 'flowtable': {
      const f = op.flowtable;
      const m = w.beginMessage(MSG(type), create, FAMILIES.number(f.family));
      if (op.verb === 'add' || op.verb === 'create') encodeFlowtable(w, f as Flowtable);
      else encodeFlowtableRef(w, f);
      w.endMessage(m);
      return;
    }
  }
}

function printOperation(op: Operation, shapes: Map<string, SetShape>, sets: Map<string, NftSet>): string {
  const verb = op.verb;
  switch (op.kind) {
    case 'ruleset': return `flush ruleset${op.family !== undefined ? ` ${op.family}` : ''}`;
    case 'table': {
      const t = op.table;
      const body = [t.flags !== undefined && t.flags & 1 ? 'flags dormant;' : '', t.comment !== undefined ? `comment "${t.comment}";` : ''].filter(Boolean).join(' ');
      return `${verb} table ${t.family} ${t.name}${(verb === 'add' || verb === 'create') && body ? ` { ${body} }` : ''}`;
    }
    case 'chain': {
      const c = op.chain;
      const head = verb === 'add' || verb === 'create' ? printChainHeader(c, false) : undefined;
      const comment = (verb === 'add' || verb === 'create') && c.comment !== undefined ? ` comment "${c.comment}";` : '';
      return `${verb} chain ${c.family} ${c.table} ${c.name}${head !== undefined || comment ? ` {${head !== undefined ? ` ${head}` : ''}${comment} }` : ''}`;
    }
    case 'rule': {
      const r = op.rule;
      const where = `${r.family} ${r.table} ${r.chain}`;
      if (verb === 'delete' || verb === 'destroy') return `${verb} rule ${where} handle ${r.handle}`;
      const pos = verb === 'replace' ? ` handle ${r.handle}` : r.position !== undefined ? ` position ${r.position}` : '';
      return `${verb} rule ${where}${pos} ${printRule(r, (name) => sets.get(setKey({ family: r.family, table: r.table, name })))}`;
    }
    case 'set': {
      const s = op.set;
      const kind = s.map !== undefined ? 'map' : 'set';
      if (verb !== 'add' && verb !== 'create') return `${verb} ${kind} ${s.family} ${s.table} ${s.name}`;
      const lines = printSet(s, '').slice(1, -1).map((l) => l.trim());
      return `${verb} ${kind} ${s.family} ${s.table} ${s.name} { ${lines.map((l) => `${l};`).join(' ')} }`;
    }
    case 'elements': {
      const shape = shapes.get(setKey(op.set));
      const fake: NftSet = { ...op.set, type: shape?.keyParts?.map((p) => p.name).join(' . ') ?? '0x0', elements: op.elements,
        ...(shape?.verdictMap ? { map: 'verdict' } : shape?.dataParts ? { map: shape.dataParts.map((p) => p.name).join(' . ') } : {}) };
      return `${verb} element ${op.set.family} ${op.set.table} ${op.set.name} { ${printElements(fake)} }`;
    }
    case 'object': {
      const o = op.object;
      if (verb !== 'add' && verb !== 'create') return `${verb} ${String(o.type)} ${o.family} ${o.table} ${o.name}`;
      const body = printObject(o, '').slice(1, -1).map((l) => l.trim()).join(' ');
      return `${verb} ${String(o.type)} ${o.family} ${o.table} ${o.name}${body && o.type !== 'counter' ? ` { ${body} }` : ''}`;
    }
    case 'flowtable': {
      const f = op.flowtable;
      const id = f.name !== undefined ? f.name : `handle ${f.handle}`;
      const body = verb === 'add' || verb === 'create' ? printFlowtableBody(f as Flowtable, true, false) : f.devices !== undefined ? printFlowtableBody({ ...f, name: f.name! }, false, false) : [];
      return `${verb} flowtable ${f.family} ${f.table} ${id}${body.length > 0 ? ` { ${body.map((l) => `${l};`).join(' ')} }` : ''}`;
    }
  }
}

/** Describes an operation for error messages: `add rule ip kube-proxy svc1`. */
export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'ruleset': return `flush ruleset${op.family !== undefined ? ` ${op.family}` : ''}`;
    case 'table': return `${op.verb} table ${op.table.family} ${op.table.name}`;
    case 'chain': return `${op.verb} chain ${op.chain.family} ${op.chain.table} ${op.chain.name}`;
    case 'rule': return `${op.verb} rule ${op.rule.family} ${op.rule.table} ${op.rule.chain}${op.rule.handle !== undefined ? ` handle ${op.rule.handle}` : ''}`;
    case 'set': return `${op.verb} ${op.set.map !== undefined ? 'map' : 'set'} ${op.set.family} ${op.set.table} ${op.set.name}`;
    case 'elements': return `${op.verb} element ${op.set.family} ${op.set.table} ${op.set.name} (${op.elements.length})`;
    case 'object': return `${op.verb} ${String(op.object.type)} ${op.object.family} ${op.object.table} ${op.object.name}`;
    case 'flowtable': {
      const f = op.flowtable;
      return `${op.verb} flowtable ${f.family} ${f.table} ${f.name !== undefined ? f.name : `handle ${f.handle}`}${f.devices !== undefined && (op.verb === 'delete' || op.verb === 'destroy') ? ` (devices ${f.devices.join(', ')})` : ''}`;
    }
  }
}
