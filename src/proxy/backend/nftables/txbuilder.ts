// Collects what one transaction must do, in phases, and writes it out in
// the order the kernel needs: a chain exists before a rule or a map element
// names it, rules are gone before the sets they use are deleted, and a
// set's old elements go before its new ones.
import type { Chain, NftSet, Rule, SetElement, Table, Transaction } from '../../../nft/index.js';

type ChainRef = Pick<Chain, 'family' | 'table' | 'name'>;
type SetRef = Pick<NftSet, 'family' | 'table' | 'name'>;

const refKey = (r: { family: string; table: string; name: string }): string => `${r.family}\0${r.table}\0${r.name}`;

interface Elements {
  readonly set: SetRef;
  readonly elements: SetElement[];
}

function addTo(m: Map<string, Elements>, set: SetRef, els: readonly SetElement[]): void {
  if (els.length === 0) return;
  const k = refKey(set);
  const have = m.get(k);
  if (have === undefined) m.set(k, { set: { family: set.family, table: set.table, name: set.name }, elements: [...els] });
  else have.elements.push(...els);
}

/** One transaction's worth of changes, sorted into the order they must be sent in. */
export class TxBuilder {
  readonly #tables: { verb: 'add' | 'delete'; table: Table }[] = [];
  readonly #tablesDeleted: Pick<Table, 'family' | 'name'>[] = [];
  readonly #replaced: Chain[] = [];
  readonly #declared: Chain[] = [];
  readonly #flushed: ChainRef[] = [];
  readonly #setsDeleted: SetRef[] = [];
  readonly #setsAdded: NftSet[] = [];
  readonly #setsFlushed: SetRef[] = [];
  readonly #removed = new Map<string, Elements>();
  readonly #added = new Map<string, Elements>();
  readonly #rules: Rule[] = [];
  readonly #chainsDeleted: ChainRef[] = [];
  readonly #known = new Map<string, NftSet>();

  /** `add table`; with `fresh`, `add table; delete table; add table` (whatever was there is gone, in the same transaction). */
  table(t: Table, fresh = false): void {
    if (fresh) this.#tables.push({ verb: 'add', table: { family: t.family, name: t.name } }, { verb: 'delete', table: t });
    this.#tables.push({ verb: 'add', table: t });
  }

  /** `delete table` (sent last). */
  deleteTable(t: Pick<Table, 'family' | 'name'>): void {
    this.#tablesDeleted.push(t);
  }

  /** `add chain` (a base chain with its hook). */
  declareChain(c: Chain): void {
    this.#declared.push(c);
  }

  /** A base chain whose hook, type or priority differ from what the kernel has: flushed, deleted and added again. */
  replaceChain(c: Chain): void {
    this.#replaced.push(c);
  }

  flushChain(c: ChainRef): void {
    this.#flushed.push(c);
  }

  /** `delete chain`, sent after everything else (the chain must be unreferenced by then). */
  deleteChain(c: ChainRef): void {
    this.#chainsDeleted.push(c);
  }

  /** `add set` with its elements unless `flush` asks for `add set; flush set; add element`. */
  addSet(s: NftSet, flush = false): void {
    this.know(s);
    const { elements, ...def } = s;
    this.#setsAdded.push(def);
    if (flush) this.#setsFlushed.push(s);
    addTo(this.#added, s, elements ?? []);
  }

  /** `delete set`, after the rules that used it are flushed. */
  deleteSet(s: SetRef): void {
    this.#setsDeleted.push(s);
  }

  /** Tells the transaction a set's type, so its elements are typed without asking the kernel. */
  know(s: NftSet): void {
    this.#known.set(refKey(s), s);
  }

  removeElements(set: SetRef, els: readonly SetElement[]): void {
    addTo(this.#removed, set, els);
  }

  addElements(set: SetRef, els: readonly SetElement[]): void {
    addTo(this.#added, set, els);
  }

  rule(r: Rule): void {
    this.#rules.push(r);
  }

  get empty(): boolean {
    return this.#tables.length + this.#tablesDeleted.length + this.#replaced.length + this.#declared.length + this.#flushed.length +
      this.#setsDeleted.length + this.#setsAdded.length + this.#removed.size + this.#added.size + this.#rules.length + this.#chainsDeleted.length === 0;
  }

  /** Writes the collected changes into `tx`, in dependency order; returns it. */
  build(tx: Transaction): Transaction {
    for (const { verb, table } of this.#tables) {
      if (verb === 'add') tx.addTable(table);
      else tx.deleteTable({ family: table.family, name: table.name });
    }
    for (const s of this.#known.values()) tx.knowSet(s);
    for (const c of this.#declared) tx.addChain(c);
    for (const c of this.#flushed) tx.flushChain(c);
    for (const c of this.#replaced) {
      tx.flushChain(c);
      tx.deleteChain(c);
      tx.addChain(c);
    }
    for (const s of this.#setsDeleted) tx.deleteSet(s);
    for (const s of this.#setsAdded) tx.addSet(s);
    for (const s of this.#setsFlushed) tx.flushSet(s);
    for (const { set, elements } of this.#removed.values()) tx.deleteElements(set, elements);
    for (const { set, elements } of this.#added.values()) tx.addElements(set, elements);
    for (const r of this.#rules) tx.addRule(r);
    for (const c of this.#chainsDeleted) tx.deleteChain(c);
    for (const t of this.#tablesDeleted) tx.deleteTable(t);
    return tx;
  }
}
