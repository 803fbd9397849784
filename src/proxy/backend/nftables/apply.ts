// From plans to transaction contents. A full sync rewrites a table in one
// transaction (chains declared and, where the kernel lists them, flushed;
// rules added again; sets flushed and refilled; affinity sets kept), so
// packets see the old ruleset or the new one, never an empty one; what the
// kernel has that the plan does not is flushed (chains) or deleted (sets).
// A partial sync writes only what changed between a service port's old and
// new plan.
import type { Chain, NftSet, Rule, SetElement } from '../../../nft/index.js';
import type { TableBase } from './base.js';
import type { ServicePlan } from './plan.js';
import type { ElementChanges } from './registry.js';
import type { TxBuilder } from './txbuilder.js';

/** What the kernel has in one of our tables (from a listing): chain and set definitions, by name. */
export interface TableListing {
  readonly chains: ReadonlyMap<string, Chain>;
  readonly sets: ReadonlyMap<string, NftSet>;
}

/** A table of this backend: family and name, as chain and set references spell them. */
export interface TableRef {
  readonly family: NftSet['family'];
  readonly table: string;
}

/** Chains that are no longer used: flushed now, deleted by a later sync (see StaleChains). */
export type OnStale = (chain: string) => void;

const ANONYMOUS = 1;  // NFT_SET_ANONYMOUS

function sameHook(a: Chain, b: Chain): boolean {
  return a.type === b.type && a.hook === b.hook && a.priority === b.priority;
}

const sorted = (f: readonly string[] | undefined): string => [...(f ?? [])].filter((x) => x !== 'constant').sort().join(',');

/** Whether a listed set is the set the plan wants (else it is deleted and added again). */
export function sameSet(want: NftSet, have: NftSet): boolean {
  return want.type === have.type && (want.map ?? '') === (have.map ?? '') && sorted(want.flags) === sorted(have.flags) &&
    (want.timeout ?? 0) === (have.timeout ?? 0);
}

const dynamic = (s: NftSet): boolean => s.flags?.includes('dynamic') === true;

/**
 * Rewrites a table's fixed part: the table, its base and helper chains and
 * rules, its sets (refilled with `elements`). `listing` is what the kernel
 * has in the table (undefined: nothing): what it lists is flushed, and base
 * chains and sets that differ from the plan are replaced.
 */
export function writeBase(b: TxBuilder, base: TableBase, elements: ReadonlyMap<string, SetElement[]>, listing: TableListing | undefined, fresh: boolean): void {
  b.table(base.table, fresh);
  for (const c of base.chains) {
    const have = listing?.chains.get(c.name);
    if (have !== undefined && c.hook !== undefined && !sameHook(c, have)) b.replaceChain(c);
    else declare(b, c, have !== undefined);
  }
  writeSets(b, base.sets, listing);
  for (const s of base.sets) b.addElements(s, [...(base.elements.get(s.name) ?? []), ...(elements.get(s.name) ?? [])]);
  for (const r of base.rules) b.rule(r);
}

// `add chain`, and `flush chain` when the kernel has it already.
function declare(b: TxBuilder, c: Chain, listed: boolean): void {
  b.declareChain(c);
  if (listed) b.flushChain(c);
}

// Sets are declared, flushed when the kernel has them (their elements
// follow); dynamic ones keep what they hold; a set whose definition changed
// is deleted and added again.
function writeSets(b: TxBuilder, sets: Iterable<NftSet>, listing: TableListing | undefined): void {
  for (const s of sets) {
    const old = listing?.sets.get(s.name);
    const same = old !== undefined && sameSet(s, old);
    if (old !== undefined && !same) b.deleteSet(s);
    b.addSet(dynamic(s) ? s : { ...s, elements: [] }, same && !dynamic(s));
    if (!dynamic(s)) b.addElements(s, s.elements ?? []);
  }
}

/** Rewrites every object of one service port (full sync). */
export function writeService(b: TxBuilder, table: TableRef, plan: ServicePlan, listing: TableListing | undefined): void {
  for (const [name, rules] of plan.chains) {
    declare(b, { ...table, name }, listing?.chains.has(name) === true);
    for (const r of rules) b.rule(r);
  }
  writeSets(b, plan.sets.values(), listing);
}

/**
 * What the kernel has in a rewritten table that the plan does not: chains
 * are flushed and reported stale, sets deleted (after the flushes, so no
 * rule uses them any more).
 */
export function dropLeftovers(b: TxBuilder, table: TableRef, listing: TableListing,
  wanted: { chains: ReadonlySet<string>; sets: ReadonlySet<string> }, onStale: OnStale): void {
  for (const name of listing.chains.keys()) {
    if (wanted.chains.has(name)) continue;
    b.flushChain({ ...table, name });
    onStale(name);
  }
  for (const [name, s] of listing.sets) {
    if (wanted.sets.has(name) || ((s.flagBits ?? 0) & ANONYMOUS) !== 0) continue;
    b.deleteSet({ ...table, name });
  }
}

const ruleText = (rules: readonly Rule[] | undefined): string => JSON.stringify(rules ?? null);

/** The changes that take one service port from `old` to `next` (partial sync); either may be absent. */
export function diffService(b: TxBuilder, table: TableRef, old: ServicePlan | undefined, next: ServicePlan | undefined, onStale: OnStale): void {
  const oldSets = old?.sets ?? new Map<string, NftSet>();
  const newSets = next?.sets ?? new Map<string, NftSet>();
  const redefined = new Set<string>();
  for (const [name, s] of newSets) {
    const was = oldSets.get(name);
    if (was === undefined) b.addSet(s);
    else if (!sameSet(s, was)) {
      redefined.add(name);
      b.deleteSet(was);
      b.addSet(s);
    } else if (!dynamic(s)) {
      b.know(s);
      diffElements(b, s, was.elements ?? [], s.elements ?? []);
    }
  }
  for (const [name, was] of oldSets) if (!newSets.has(name)) b.deleteSet(was);
  const oldChains = old?.chains ?? new Map<string, readonly Rule[]>();
  const newChains = next?.chains ?? new Map<string, readonly Rule[]>();
  for (const [name, rules] of newChains) {
    const was = oldChains.get(name);
    const usesRedefined = redefined.size > 0 && (was ?? []).some((r) => r.expressions.some((e) => redefined.has((e as { set?: unknown }).set as string)));
    if (was !== undefined && !usesRedefined && ruleText(was) === ruleText(rules)) continue;
    const ref = { ...table, name };
    if (was === undefined) b.declareChain(ref);
    else b.flushChain(ref);
    for (const r of rules) b.rule(r);
  }
  for (const name of oldChains.keys()) {
    if (newChains.has(name)) continue;
    b.flushChain({ ...table, name });
    onStale(name);
  }
}

const keyText = (e: SetElement): string => JSON.stringify(e.key);
const elementText = (e: SetElement): string => JSON.stringify(e);

function diffElements(b: TxBuilder, set: NftSet, was: readonly SetElement[], now: readonly SetElement[]): void {
  const before = new Map(was.map((e) => [keyText(e), e]));
  const after = new Map(now.map((e) => [keyText(e), e]));
  const remove: SetElement[] = [];
  const add: SetElement[] = [];
  for (const [k, e] of before) {
    const n = after.get(k);
    // A map's deletion carries the value too (the library checks it; the kernel goes by the key).
    if (n === undefined || elementText(n) !== elementText(e)) remove.push(e);
  }
  for (const [k, e] of after) {
    const o = before.get(k);
    if (o === undefined || elementText(o) !== elementText(e)) add.push(e);
  }
  b.removeElements(set, remove);
  b.addElements(set, add);
}

/** Registry element changes of one table into the transaction, the sets' types given by `sets`. */
export function writeChanges(b: TxBuilder, sets: readonly NftSet[], changes: ElementChanges): void {
  for (const s of sets) {
    const remove = changes.remove.get(s.name);
    const add = changes.add.get(s.name);
    if (remove === undefined && add === undefined) continue;
    b.know(s);
    if (remove !== undefined) b.removeElements(s, remove);
    if (add !== undefined) b.addElements(s, add);
  }
}
