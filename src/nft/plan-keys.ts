// The keys plan.ts orders operations by: what each operation (its kind's
// access, kinds/) and each expression of a rule (its spec's refs hook)
// reads and writes, as numbers.
import type { Verdict } from './expr/data.js';
import type { Expression } from './expr/index.js';
import { specOf, type ExprRefs } from './expr/spec.js';

/** What an operation reads and writes, as key numbers. */
export interface Access {
  reads: number[];
  writes: number[];
}

/**
 * The keys of one table: its own, the creation orders, and per name: a
 * chain (key k) and its rules (k + 1), a set (k) and its elements (k + 1),
 * an object.
 */
export interface TableKeys {
  table: number;
  chainOrder: number;
  setOrder: number;
  objectOrder: number;
  flowtableOrder: number;
  chains: Map<string, number>;
  sets: Map<string, number>;
  objects: Map<string, number>;
  flowtables: Map<string, number>;
}

// Key numbers, interned without building strings per lookup (names are the
// operations' own strings, whose hashes V8 caches).
export class Keys {
  /** Reused by expressionAccess. */
  readonly refs: Refs = new Refs(this);
  #next = 0;
  readonly tableOrder = this.#next++;
  readonly #tables = new Map<string, Map<string, TableKeys>>();
  #lastFamily = '';
  #lastName = '';
  #last: TableKeys | undefined;

  table(family: string, name: string): TableKeys {
    if (this.#last !== undefined && family === this.#lastFamily && name === this.#lastName) return this.#last;
    let byName = this.#tables.get(family);
    if (byName === undefined) this.#tables.set(family, byName = new Map());
    let t = byName.get(name);
    if (t === undefined) {
      t = {
        table: this.#next++, chainOrder: this.#next++, setOrder: this.#next++, objectOrder: this.#next++, flowtableOrder: this.#next++,
        chains: new Map(), sets: new Map(), objects: new Map(), flowtables: new Map(),
      };
      byName.set(name, t);
    }
    this.#lastFamily = family;
    this.#lastName = name;
    this.#last = t;
    return t;
  }

  get size(): number {
    return this.#next;
  }

  of(m: Map<string, number>, name: string): number {
    let v = m.get(name);
    if (v === undefined) m.set(name, v = this.#next++);
    return v;
  }

  /** Two keys: the thing (returned) and its contents (the next number). */
  pair(m: Map<string, number>, name: string): number {
    let v = m.get(name);
    if (v === undefined) {
      m.set(name, v = this.#next);
      this.#next += 2;
    }
    return v;
  }
}

export function chainRefs(k: Keys, t: TableKeys, out: number[], v: Verdict | undefined): void {
  if (v !== undefined && (v.kind === 'jump' || v.kind === 'goto') && typeof v.chain === 'string') out.push(k.pair(t.chains, v.chain));
}

export function elementRefs(k: Keys, t: TableKeys, out: number[], elements: readonly { verdict?: Verdict }[] | undefined): void {
  if (elements === undefined) return;
  for (const e of elements) chainRefs(k, t, out, e.verdict);
}

export function setRefs(k: Keys, t: TableKeys, out: number[], name: string): void {
  const set = k.pair(t.sets, name);
  out.push(set, set + 1);
}

/**
 * Adds the reads/writes of a rule's expressions (each expression's refs
 * hook: the chains, sets, objects and flowtables it names); false for an
 * expression this planner does not understand (a raw one).
 */
export function expressionAccess(k: Keys, t: TableKeys, exprs: Expression[], a: Access): boolean {
  const refs = k.refs;
  refs.t = t;
  refs.a = a;
  for (const e of exprs) {
    if (e.type === 'raw') return false;
    const spec = specOf(e.type);
    if (spec === undefined) return false;
    if (spec.refs !== undefined && !spec.refs(e as never, refs)) return false;
  }
  return true;
}

// What a rule's expressions name, collected into the access of the rule being planned (one per Keys, reused).
class Refs implements ExprRefs {
  t: TableKeys | undefined;
  a: Access = { reads: [], writes: [] };
  constructor(private readonly k: Keys) {}
  verdict(v: Verdict): void { chainRefs(this.k, this.t!, this.a.reads, v); }
  set(name: string): void { setRefs(this.k, this.t!, this.a.reads, name); }
  inlineSet(elements: readonly { verdict?: Verdict }[] | undefined): void {
    // An inline set: created (and bound) by this rule.
    this.a.writes.push(this.t!.setOrder);
    elementRefs(this.k, this.t!, this.a.reads, elements);
  }
  object(name: string): void { this.a.reads.push(this.k.of(this.t!.objects, name)); }
  flowtable(name: string): void { this.a.reads.push(this.k.of(this.t!.flowtables, name)); }
}
