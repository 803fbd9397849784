// The order commit() sends a transaction's operations in.
//
// Each anonymous set a rule carries (`numgen ... vmap { 0 : goto a, 1 : goto b }`)
// is bound to its rule by nf_tables_bind_set(), which walks the whole
// transaction list built so far (__nft_set_trans_bind: a reverse walk with no
// early exit). A batch of N such rules therefore costs the kernel
// sum(length of the list at each binding) ~ N x (messages per rule) x N / 2,
// and past a few thousand the list no longer fits in the CPU caches. Sending
// those rules, and only what they need, before everything else shortens the
// list they walk; the kernel then ends in the same state.
//
// Two operations keep their order when it can matter:
//   - one writes something the other reads or writes (a chain and a rule in
//     it or jumping to it, a set and its elements or a rule looking it up, an
//     object and a rule using it, a flowtable and a rule adding flows to it);
//   - both create chains, or both create sets (named or anonymous), or both
//     create objects, or both flowtables (the kernel lists each kind in
//     creation order);
//   - both are rules of one chain, or elements of one set.
// An operation whose effects are not fully known here (deletes, flushes,
// replace, raw expressions) disables reordering for the whole transaction.
// Rule handles are allocated in the order the kernel sees the messages, so
// their numbers (not their order within a chain) may differ from an
// unreordered commit.
import type { Expression } from './expr/index.js';
import type { Verdict } from './expr/data.js';
import type { SetElement } from './set.js';
import type { Operation } from './transaction.js';

/** What an operation reads and writes, as key numbers. */
interface Access {
  reads: number[];
  writes: number[];
}

/**
 * The keys of one table: its own, the creation orders, and per name: a
 * chain (key k) and its rules (k + 1), a set (k) and its elements (k + 1),
 * an object.
 */
interface TableKeys {
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
class Keys {
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

function chainRefs(k: Keys, t: TableKeys, out: number[], v: Verdict | undefined): void {
  if (v !== undefined && (v.kind === 'jump' || v.kind === 'goto') && typeof v.chain === 'string') out.push(k.pair(t.chains, v.chain));
}

function elementRefs(k: Keys, t: TableKeys, out: number[], elements: SetElement[] | undefined): void {
  if (elements === undefined) return;
  for (const e of elements) chainRefs(k, t, out, e.verdict);
}

function setRefs(k: Keys, t: TableKeys, out: number[], name: string): void {
  const set = k.pair(t.sets, name);
  out.push(set, set + 1);
}

/** Adds the reads/writes of a rule's expressions; false for an expression this planner does not understand. */
function expressionAccess(k: Keys, t: TableKeys, exprs: Expression[], a: Access): boolean {
  for (const e of exprs) {
    const x = e as unknown as { type: string; set?: unknown; data?: unknown; name?: unknown; flowtable?: unknown };
    switch (x.type) {
      case 'immediate':
        if (typeof x.data === 'object' && x.data !== null && !(x.data instanceof Uint8Array)) chainRefs(k, t, a.reads, x.data as Verdict);
        break;
      case 'lookup':
        if (typeof x.set === 'string') {
          setRefs(k, t, a.reads, x.set);
        } else if (typeof x.set === 'object' && x.set !== null) {
          // An inline set: created (and bound) by this rule.
          a.writes.push(t.setOrder);
          elementRefs(k, t, a.reads, (x.set as { elements?: SetElement[] }).elements);
        } else {
          return false;
        }
        break;
      case 'dynset':
        if (typeof x.set !== 'string') return false;
        setRefs(k, t, a.reads, x.set);
        break;
      case 'objref':
        if (typeof x.set === 'string') setRefs(k, t, a.reads, x.set);
        if (typeof x.name === 'string') a.reads.push(k.of(t.objects, x.name));
        break;
      case 'flow_offload':
        if (typeof x.flowtable !== 'string') return false;
        a.reads.push(k.of(t.flowtables, x.flowtable));
        break;
      case 'payload': case 'meta': case 'cmp': case 'bitwise': case 'byteorder': case 'range': case 'counter':
      case 'ct': case 'nat': case 'masq': case 'redir': case 'numgen': case 'hash': case 'fib': case 'reject':
      case 'limit': case 'log': case 'notrack': case 'quota': case 'connlimit': case 'queue':
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * Fills a (emptied first) with the keys an operation touches; false when
 * reordering around the operation is not known to be safe.
 */
function accessOf(k: Keys, op: Operation, a: Access): boolean {
  a.reads.length = 0;
  a.writes.length = 0;
  if (op.verb !== 'add' && op.verb !== 'create' && !(op.kind === 'rule' && op.verb === 'insert')) return false;
  switch (op.kind) {
    case 'table': {
      const t = k.table(op.table.family, op.table.name);
      a.writes.push(t.table, k.tableOrder);
      return true;
    }
    case 'chain': {
      // A chain bound to a rule must come, with its rules, just before that rule.
      if (((op.chain.flags ?? 0) & 4) !== 0) return false;
      const t = k.table(op.chain.family, op.chain.table);
      a.reads.push(t.table);
      a.writes.push(k.pair(t.chains, op.chain.name), t.chainOrder);
      return true;
    }
    case 'set': {
      const t = k.table(op.set.family, op.set.table);
      a.reads.push(t.table);
      const set = k.pair(t.sets, op.set.name);
      a.writes.push(set, t.setOrder);
      if (op.set.elements !== undefined && op.set.elements.length > 0) {
        a.writes.push(set + 1);
        elementRefs(k, t, a.reads, op.set.elements);
      }
      return true;
    }
    case 'rule': {
      const r = op.rule;
      if (r.handle !== undefined) return false;
      const t = k.table(r.family, r.table);
      const chain = k.pair(t.chains, r.chain);
      a.reads.push(t.table, chain);
      a.writes.push(chain + 1);
      return expressionAccess(k, t, r.expressions, a);
    }
    case 'elements': {
      const t = k.table(op.set.family, op.set.table);
      const set = k.pair(t.sets, op.set.name);
      a.reads.push(t.table, set);
      a.writes.push(set + 1);
      elementRefs(k, t, a.reads, op.elements);
      return true;
    }
    case 'object': {
      const t = k.table(op.object.family, op.object.table);
      a.reads.push(t.table);
      a.writes.push(k.of(t.objects, op.object.name), t.objectOrder);
      return true;
    }
    case 'flowtable': {
      const f = op.flowtable;
      if (typeof f.name !== 'string') return false;
      const t = k.table(f.family, f.table);
      a.reads.push(t.table);
      a.writes.push(k.of(t.flowtables, f.name), t.flowtableOrder);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Below this many anonymous sets the transaction list the kernel walks stays
 * small enough to be cached (measured: 1,000 vmap services commit in the same
 * system time either way, 2,000 in half the time reordered), and planning
 * (~0.1 ms per set in a cold process) would cost more than it saves.
 * Replaceable in tests.
 */
export const planLimits = { minBinders: 1024 };

/** True for a rule that creates and binds an anonymous set. */
function bindsAnonymousSet(op: Operation): boolean {
  // A rule deleted by handle has no expressions.
  if (op.kind !== 'rule' || op.rule.expressions === undefined) return false;
  return op.rule.expressions.some((e) => {
    const x = e as unknown as { type?: string; set?: unknown };
    return x.type === 'lookup' && typeof x.set === 'object' && x.set !== null;
  });
}

/**
 * The order to send operations in: every rule binding an anonymous set, with
 * all it depends on, first; then the rest; each group in transaction order.
 * Undefined when the transaction is to be sent as given (nothing to gain,
 * or an operation the planner cannot reason about).
 */
export function commitOrder(ops: readonly Operation[]): number[] | undefined {
  const n = ops.length;
  let binders = 0;
  const min = planLimits.minBinders;
  for (let i = 0; i < n && binders < min; i++) if (bindsAnonymousSet(ops[i]!)) binders++;
  if (binders < min) return undefined;

  // Every operation's keys, as ranges of one flat list (reads, then writes).
  const keys = new Keys();
  const a: Access = { reads: [], writes: [] };
  const start = new Int32Array(n + 1);
  const split = new Int32Array(n);
  const flat: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!accessOf(keys, ops[i]!, a)) return undefined;
    start[i] = flat.length;
    for (const k of a.reads) flat.push(k);
    split[i] = flat.length;
    for (const k of a.writes) flat.push(k);
  }
  start[n] = flat.length;

  // Backwards: an operation goes first when it binds an anonymous set or
  // conflicts with an operation already chosen to go first (it writes what
  // that one reads or writes, or reads what it writes): the chosen ones are
  // closed under "must stay before", so both groups keep every such pair.
  const READ = 1;
  const WRITE = 2;
  const used = new Uint8Array(keys.size);
  const early = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let first = bindsAnonymousSet(ops[i]!);
    for (let p = start[i]!; !first && p < split[i]!; p++) if ((used[flat[p]!]! & WRITE) !== 0) first = true;
    for (let p = split[i]!; !first && p < start[i + 1]!; p++) if (used[flat[p]!]! !== 0) first = true;
    if (!first) continue;
    early[i] = 1;
    for (let p = start[i]!; p < split[i]!; p++) used[flat[p]!]! |= READ;
    for (let p = split[i]!; p < start[i + 1]!; p++) used[flat[p]!]! |= WRITE;
  }

  const order: number[] = [];
  for (let i = 0; i < n; i++) if (early[i] !== 0) order.push(i);
  if (order.length === n) return undefined;
  for (let i = 0; i < n; i++) if (early[i] === 0) order.push(i);
  for (let i = 0; i < n; i++) if (order[i] !== i) return order;
  return undefined;
}
