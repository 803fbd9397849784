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
import { kindOf } from './kinds/index.js';
import { Keys, type Access } from './plan-keys.js';
import type { Operation } from './transaction.js';

/**
 * Fills a (emptied first) with the keys an operation touches (its kind's
 * access); false when reordering around the operation is not known to be safe.
 */
function accessOf(k: Keys, op: Operation, a: Access): boolean {
  a.reads.length = 0;
  a.writes.length = 0;
  if (op.verb !== 'add' && op.verb !== 'create' && !(op.kind === 'rule' && op.verb === 'insert')) return false;
  return kindOf(op).access(k, op as never, a);
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
