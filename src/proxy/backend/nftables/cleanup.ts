// Removes every table this backend may have created, in both families,
// whatever shard count the run that made them used: the shared table and
// every `dataplane-proxy-N`. Equivalent to `nft delete table ip
// dataplane-proxy` and the like for each one `nft list tables` shows.
import { isNotFound } from '../../../errors.js';
import type { NftablesInterface } from '../../../nft/index.js';
import { ourTables } from './listing.js';

/** Deletes our tables in one transaction; returns how many. A table that vanishes meanwhile makes it read the list again. */
export async function removeTables(nft: NftablesInterface): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const tables = await ourTables(nft);
    if (tables.length === 0) return 0;
    const tx = nft.transaction();
    for (const t of tables) tx.deleteTable({ family: t.family, name: t.table });
    try {
      await nft.commit(tx);
      return tables.length;
    } catch (e) {
      if (attempt < 3 && isNotFound(e)) continue;
      throw e;
    }
  }
}
