// Elements that several service ports may ask for (one cluster IP serves
// many ports; one pod is an endpoint of many services; two services may
// even claim the same external IP and port). Each such element is an entry
// with owners; the kernel holds the elements of each entry's first owner
// (by key), so adding or removing one service port changes only the
// entries it owns, and a conflict never makes a commit fail.
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
}

/** Element changes for a transaction, by set: deletions go first (with their values: the library checks them, the kernel goes by the key). */
export interface ElementChanges {
  readonly remove: Map<string, SetElement[]>;
  readonly add: Map<string, SetElement[]>;
}

export function noChanges(): ElementChanges {
  return { remove: new Map(), add: new Map() };
}

function push(m: Map<string, SetElement[]>, set: string, e: SetElement): void {
  const list = m.get(set);
  if (list === undefined) m.set(set, [e]);
  else list.push(e);
}

const itemKey = (i: EntryItem): string => `${i.set}\0${JSON.stringify(i.element)}`;

/** The entries of one table, with their owners. */
export class ElementRegistry {
  readonly #owners = new Map<string, Map<string, readonly EntryItem[]>>();

  /** The items the kernel should hold for an id: those of its first owner. */
  effective(id: string): readonly EntryItem[] | undefined {
    const owners = this.#owners.get(id);
    if (owners === undefined) return undefined;
    let first: string | undefined;
    for (const o of owners.keys()) if (first === undefined || o < first) first = o;
    return first === undefined ? undefined : owners.get(first);
  }

  /**
   * Makes `owner` own exactly `next` instead of `previous`, and adds to
   * `changes` what the kernel must do for the ids whose effective items changed.
   */
  replace(owner: string, previous: readonly Entry[], next: readonly Entry[], changes?: ElementChanges): void {
    const ids = new Set<string>([...previous.map((e) => e.id), ...next.map((e) => e.id)]);
    const before = new Map<string, readonly EntryItem[] | undefined>();
    if (changes !== undefined) for (const id of ids) before.set(id, this.effective(id));
    for (const e of previous) {
      const owners = this.#owners.get(e.id);
      owners?.delete(owner);
      if (owners?.size === 0) this.#owners.delete(e.id);
    }
    for (const e of next) {
      let owners = this.#owners.get(e.id);
      if (owners === undefined) this.#owners.set(e.id, (owners = new Map()));
      owners.set(owner, e.items);
    }
    if (changes === undefined) return;
    for (const id of ids) diffItems(before.get(id) ?? [], this.effective(id) ?? [], changes);
  }

  /** Every item the kernel should hold, by set (for a full rewrite). */
  all(): Map<string, SetElement[]> {
    const out = new Map<string, SetElement[]>();
    for (const id of this.#owners.keys()) for (const i of this.effective(id) ?? []) push(out, i.set, i.element);
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
