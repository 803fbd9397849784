// A transaction: operations queued locally, validated as they are queued,
// and sent by commit() as ONE nfnetlink batch that the kernel applies all or
// nothing. The first invalid operation latches: later ones are ignored and
// commit() throws that error before anything is sent.
import type { Chain } from './chain.js';
import { validateChain } from './chain.js';
import type { Family } from './enums.js';
import type { LookupExpr } from './expr/lookup.js';
import { validateExpr } from './expr/spec.js';
import { checkFamily, checkName, NftValidationError } from './names.js';
import type { NamedObject } from './object.js';
import { validateObject } from './object.js';
import type { ObjectType } from './expr/objref.js';
import { validateRule, type Rule } from './rule.js';
import { setShape, validateElement, validateSet, type NftSet, type SetElement, type SetShape } from './set.js';
import { validateTable, type Table } from './table.js';
import { validateFlowtable, validateFlowtableRef, type Flowtable, type FlowtableRef } from './flowtable.js';
import { Writer } from './wire.js';
import { frozenCopy } from './copy.js';
import { isPlainObject, show } from '../check.js';
import { commitOrder } from './plan.js';
import { isInline, kindOf, setKey, type SetIds } from './kinds/index.js';

export { NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from './kinds/kind.js';
/** Kernel 6.3+: deletes that succeed when the object does not exist. */
export { NFT_MSG_DESTROYTABLE } from './kinds/table.js';
export { NFT_MSG_DESTROYCHAIN } from './kinds/chain.js';
export { NFT_MSG_DESTROYRULE } from './kinds/rule.js';
export { NFT_MSG_DESTROYSET } from './kinds/set.js';
export { NFT_MSG_DESTROYSETELEM } from './kinds/elements.js';
export { NFT_MSG_DESTROYOBJ } from './kinds/object.js';
export { NFT_MSG_DESTROYFLOWTABLE } from './kinds/flowtable.js';

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
  readonly #ops: Operation[] = [];
  #view: readonly Operation[] | undefined;
  #error: Error | undefined;
  #shapes = new Map<string, SetShape>();

  /**
   * The operations queued so far, read-only: each is a frozen copy of what
   * the caller passed, taken before it was validated, so what commit()
   * encodes is what was validated.
   */
  get operations(): readonly Operation[] {
    return this.#view ??= Object.freeze(this.#ops.slice());
  }

  /** The first validation error, if any operation was refused. */
  get error(): Error | undefined {
    return this.#error;
  }

  // Copies the operation (the copy is what is validated and kept), then checks it.
  #queue<O extends Operation>(op: O, check: (op: O) => void): this {
    if (this.#error !== undefined) return this;
    try {
      const where = this.#where(op.verb, op.kind);
      const copy = frozenCopy(op, where);
      // The object the operation is about (a table, a chain, ...; a set reference for elements).
      const main = op.kind === 'ruleset' ? {} : (copy as unknown as Record<string, unknown>)[op.kind === 'elements' ? 'set' : op.kind];
      if (!isPlainObject(main)) throw new NftValidationError(`${where}: expected a plain object, got ${show(main)}`);
      check(copy);
      this.#ops.push(copy);
      this.#view = undefined;
    } catch (e) {
      this.#error = e instanceof Error ? e : new Error(String(e));
    }
    return this;
  }

  #where(verb: string, what: string): string {
    return `operation ${this.#ops.length} (${verb} ${what})`;
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
    return this.#queue({ verb, kind: 'table', table }, ({ table }) => {
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
    return this.#queue({ verb, kind: 'chain', chain }, ({ chain }) => {
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
    return this.#queue({ verb, kind: 'rule', rule }, ({ rule }) => {
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
    return this.#queue({ verb, kind: 'set', set }, ({ set }) => {
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
    return this.#queue({ verb, kind: 'elements', set, elements }, ({ set, elements }) => {
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
    return this.#queue({ verb, kind: 'object', object }, ({ object }) => {
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
    return this.#queue({ verb, kind: 'flowtable', flowtable }, ({ flowtable }) => {
      if (verb === 'add' || verb === 'create') validateFlowtable(flowtable as Flowtable, where);
      else validateFlowtableRef(flowtable as FlowtableRef, where, verb === 'destroy');
    });
  }

  /** Equivalent to: `flush ruleset [FAMILY]`. */
  flushRuleset(family?: Family): this {
    const where = this.#where('flush', 'ruleset');
    return this.#queue({ verb: 'flush', kind: 'ruleset', ...(family !== undefined ? { family } : {}) }, (op) => {
      if (op.family !== undefined) checkFamily(op.family, where);
    });
  }

  /**
   * The transaction as an nft script (`nft -f` input), one command per
   * operation. Equivalent to what `nft -f` would be given to do the same.
   */
  toString(): string {
    // Rules print their lookups with the sets this transaction adds.
    const sets = new Map<string, NftSet>();
    for (const op of this.#ops) if (op.kind === 'set' && (op.verb === 'add' || op.verb === 'create')) sets.set(setKey(op.set), op.set as NftSet);
    return this.#ops.map((op) => printOperation(op, this.#shapes, sets)).join('\n') + (this.#ops.length > 0 ? '\n' : '');
  }

  /** Sets named in element operations whose types this transaction does not define. */
  unknownSets(): SetRef[] {
    const out = new Map<string, SetRef>();
    for (const op of this.#ops) {
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
    const order = options.reorder === true ? commitOrder(this.#ops) : undefined;
    const ctx = { shapes: this.#shapes, ids };
    const n = this.#ops.length;
    for (let k = 0; k < n; k++) {
      const i = order === undefined ? k : order[k]!;
      const before = w.count;
      const op = this.#ops[i]!;
      kindOf(op).encode(w, op as never, ctx);
      for (let m = before; m < w.count; m++) opOfMessage.push(i);
    }
    return { bytes: w.bytes(), opOfMessage, optimized: order !== undefined || ids.named > 0 };
  }
}

export { setKey, isInline };

function printOperation(op: Operation, shapes: Map<string, SetShape>, sets: Map<string, NftSet>): string {
  return kindOf(op).print(op as never, { shapes, sets });
}

/** Describes an operation for error messages: `add rule ip kube-proxy svc1`. */
export function describeOperation(op: Operation): string {
  return kindOf(op).describe(op as never);
}
