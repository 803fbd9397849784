// What the kernel has in our tables, read the cheap way: table, chain and
// set definitions, no rules and no elements (with the real handle; a
// handle with only list(), such as FakeNftables, is read whole).
import type { Chain, NftablesInterface, NftSet, Table } from '../../../nft/index.js';
import type { TableListing, TableRef } from './apply.js';
import { parseTableName } from './names.js';

/** Our tables in the kernel, by `family table`. */
export type Listing = Map<string, TableListing & { readonly ref: TableRef }>;

/** `ip dataplane-proxy-7`: how the listing and a sync name a table. */
export const tableKey = (t: TableRef): string => `${t.family} ${t.table}`;

// The narrower listings of Nftables (not part of NftablesInterface).
interface Narrow {
  listTables(filter?: { family?: Table['family'] }): Promise<Table[]>;
  listChains(filter?: { family?: Table['family'] }): Promise<Chain[]>;
  listSets(filter?: { family?: Table['family'] }, options?: { elements?: boolean }): Promise<NftSet[]>;
}

function narrow(nft: NftablesInterface): Narrow | undefined {
  const n = nft as Partial<Narrow>;
  return typeof n.listTables === 'function' && typeof n.listChains === 'function' && typeof n.listSets === 'function' ? (n as Narrow) : undefined;
}

/** Reads the definitions in our tables of the ip and ip6 families. */
export async function readListing(nft: NftablesInterface): Promise<Listing> {
  const out: Listing = new Map();
  for (const family of ['ip', 'ip6'] as const) {
    const n = narrow(nft);
    const [tables, chains, sets] = n !== undefined
      ? await Promise.all([n.listTables({ family }), n.listChains({ family }), n.listSets({ family }, { elements: false })])
      : await nft.list({ family }).then((r) => [r.tables, r.chains, r.sets] as const);
    const mine = new Map<string, { ref: TableRef; chains: Map<string, Chain>; sets: Map<string, NftSet> }>();
    for (const t of tables) if (parseTableName(t.name) !== undefined) mine.set(t.name, { ref: { family, table: t.name }, chains: new Map(), sets: new Map() });
    for (const c of chains) mine.get(c.table)?.chains.set(c.name, c);
    for (const s of sets) mine.get(s.table)?.sets.set(s.name, s);
    for (const t of mine.values()) out.set(tableKey(t.ref), t);
  }
  return out;
}

/** Our tables in the kernel (names only). */
export async function ourTables(nft: NftablesInterface): Promise<TableRef[]> {
  const out: TableRef[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const n = narrow(nft);
    const tables = n !== undefined ? await n.listTables({ family }) : (await nft.list({ family })).tables;
    for (const t of tables) if (parseTableName(t.name) !== undefined) out.push({ family, table: t.name });
  }
  return out;
}
