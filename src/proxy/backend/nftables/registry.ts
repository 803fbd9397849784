// Elements that several service ports may ask for (one cluster IP serves
// many ports; one pod is an endpoint of many services; two services may
// even claim the same external IP and port). Each such element is an entry
// under an id. Entries whose elements follow from the id alone (a cluster
// IP, a hairpin pair) are counted; the others have owners, and the kernel
// holds the elements of the first owner (by key). Adding or removing one
// service port changes only the entries it asks for, and a conflict never
// makes a commit fail.
import type { SetElement } from '../../../nft/index.js';

/** One element of one set of a table. */
export interface EntryItem {
  readonly set: string;
  readonly element: SetElement;
}

/** What one service port asks for under one id (`cluster-ip|10.96.0.10`): usually one element, a firewall's ranges several. */
export interface Entry {
  readonly id: string;
  readonly items: readonly EntryItem[];
  /** The items follow from the id (see ElementRegistry's `derive`): only how many ask for it is kept. */
  readonly counted?: true;
}

/** Element changes for a transaction, by set: deletions go first (with their values: the library checks them, the kernel goes by the key). */
export interface ElementChanges {
  readonly remove: Map<string, SetElement[]>;
  readonly add: Map<string, SetElement[]>;
}

/** An empty change list. */
export function noChanges(): ElementChanges {
  return { remove: new Map(), add: new Map() };
}

function push(m: Map<string, SetElement[]>, set: string, e: SetElement): void {
  const list = m.get(set);
  if (list === undefined) m.set(set, [e]);
  else list.push(e);
}

const itemKey = (i: EntryItem): string => `${i.set}\0${JSON.stringify(i.element)}`;

// One owner (the usual case) or several.
type Owned = { owner: string; items: readonly EntryItem[] } | Map<string, readonly EntryItem[]>;

/** The entries of one table, with how many ask for each (counted) or who (owned). */
export class ElementRegistry {
  readonly #counts = new Map<string, number>();
  readonly #owned = new Map<string, Owned>();

  /** `derive` gives the items of a counted id (as the plan made them). */
  constructor(readonly derive: (id: string) => readonly EntryItem[]) {}

  /** The items the kernel should hold for an owned id: those of its first owner. */
  #effective(id: string): readonly EntryItem[] | undefined {
    const o = this.#owned.get(id);
    if (o === undefined || !(o instanceof Map)) return o?.items;
    let first: string | undefined;
    for (const k of o.keys()) if (first === undefined || k < first) first = k;
    return first === undefined ? undefined : o.get(first);
  }

  #remove(owner: string, e: Entry): void {
    if (e.counted) {
      const n = (this.#counts.get(e.id) ?? 0) - 1;
      if (n > 0) this.#counts.set(e.id, n);
      else this.#counts.delete(e.id);
      return;
    }
    const o = this.#owned.get(e.id);
    if (o instanceof Map) {
      o.delete(owner);
      if (o.size === 1) {
        const [[k, items]] = [...o];
        this.#owned.set(e.id, { owner: k!, items: items! });
      }
    } else if (o?.owner === owner) {
      this.#owned.delete(e.id);
    }
  }

  #add(owner: string, e: Entry): void {
    if (e.counted) {
      this.#counts.set(e.id, (this.#counts.get(e.id) ?? 0) + 1);
      return;
    }
    const o = this.#owned.get(e.id);
    if (o === undefined || (!(o instanceof Map) && o.owner === owner)) this.#owned.set(e.id, { owner, items: e.items });
    else if (o instanceof Map) o.set(owner, e.items);
    else this.#owned.set(e.id, new Map([[o.owner, o.items], [owner, e.items]]));
  }

  /**
   * Makes `owner` ask for exactly `next` instead of `previous`, and adds to
   * `changes` what the kernel must do for the ids whose elements changed.
   */
  replace(owner: string, previous: readonly Entry[], next: readonly Entry[], changes?: ElementChanges): void {
    const touched = changes === undefined ? undefined : new Map<string, { entry: Entry; before: readonly EntryItem[] }>();
    if (touched !== undefined) {
      for (const e of [...previous, ...next]) if (!touched.has(e.id)) touched.set(e.id, { entry: e, before: this.#items(e) });
    }
    for (const e of previous) this.#remove(owner, e);
    for (const e of next) this.#add(owner, e);
    if (touched === undefined) return;
    for (const { entry, before } of touched.values()) diffItems(before, this.#items(entry), changes!);
  }

  // What the kernel holds for an entry's id now.
  #items(e: Entry): readonly EntryItem[] {
    if (e.counted) return this.#counts.has(e.id) ? e.items : [];
    return this.#effective(e.id) ?? [];
  }

  /** Every item the kernel should hold, by set (for a full rewrite). */
  all(): Map<string, SetElement[]> {
    const out = new Map<string, SetElement[]>();
    for (const id of this.#counts.keys()) for (const i of this.derive(id)) push(out, i.set, i.element);
    for (const id of this.#owned.keys()) for (const i of this.#effective(id) ?? []) push(out, i.set, i.element);
    return out;
  }
}

function diffItems(before: readonly EntryItem[], after: readonly EntryItem[], changes: ElementChanges): void {
  if (before === after) return;
  const was = new Set(before.map(itemKey));
  const is = new Set(after.map(itemKey));
  for (const i of before) if (!is.has(itemKey(i))) push(changes.remove, i.set, i.element);
  for (const i of after) if (!was.has(itemKey(i))) push(changes.add, i.set, i.element);
}
