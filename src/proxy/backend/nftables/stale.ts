// Chains no longer used are flushed at once and deleted by a later sync, a
// second or more after: before Linux 6.2 a chain that a deleted map
// element pointed to still counts as used for a short while (kube-proxy
// waits for the same reason). Deleting a chain is never what makes a
// partial sync slow: it sets no table to be validated.
import type { TableRef } from './apply.js';

const key = (t: TableRef): string => `${t.family}\0${t.table}`;

/** The chains flushed as unused, by table, with when; a sync deletes those unused for `ageMs` or more. */
export class StaleChains {
  readonly #tables = new Map<string, { ref: TableRef; since: Map<string, number> }>();

  constructor(readonly now: () => number, readonly ageMs = 1000) {}

  /** Notes a chain as unused from now (or from when it was first noted). */
  mark(t: TableRef, chain: string): void {
    let e = this.#tables.get(key(t));
    if (e === undefined) this.#tables.set(key(t), (e = { ref: { family: t.family, table: t.table }, since: new Map() }));
    if (!e.since.has(chain)) e.since.set(chain, this.now());
  }

  /** A chain in use again. */
  unmark(t: TableRef, chain: string): void {
    this.#tables.get(key(t))?.since.delete(chain);
  }

  /** Forgets everything (the tables were all removed). */
  clear(): void {
    this.#tables.clear();
  }

  /** Forgets a table's stale chains (the table was rebuilt or deleted). */
  dropTable(t: TableRef): void {
    this.#tables.delete(key(t));
  }

  /** Keeps, of a table's stale chains, only these (what a full sync found left over). */
  keepOnly(t: TableRef, chains: ReadonlySet<string>): void {
    const e = this.#tables.get(key(t));
    if (e === undefined) return;
    for (const c of e.since.keys()) if (!chains.has(c)) e.since.delete(c);
  }

  /** Chains unused long enough to delete, by table. */
  due(): { table: TableRef; chains: string[] }[] {
    const out: { table: TableRef; chains: string[] }[] = [];
    const limit = this.now() - this.ageMs;
    for (const { ref, since } of this.#tables.values()) {
      const chains = [...since].filter(([, t]) => t <= limit).map(([c]) => c);
      if (chains.length > 0) out.push({ table: ref, chains });
    }
    return out;
  }

  /** The chains were deleted (or could not be: a full sync will find them again). */
  forget(t: TableRef, chains: readonly string[]): void {
    const e = this.#tables.get(key(t));
    for (const c of chains) e?.since.delete(c);
  }
}
