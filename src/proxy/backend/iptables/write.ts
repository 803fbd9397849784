// One atomic replace of one table: the table as read from the kernel, with
// every chain and rule not ours as it was, our rules at the head of the
// built-in chains, and our chains as desired. Chains nobody reads here
// (others' chains, and ours of service ports a partial sync leaves alone)
// are copied as the bytes they were read as, not decoded.
import type { IptablesChain as Chain, IptablesInterface, IptablesRule as Rule, IptablesTableName as TableName } from '../../../iptables/index.js';
import type { DesiredTable } from './base.js';
import { isOurs } from './names.js';

const jumpsToOurs = (r: Rule): boolean => (r.target?.name === 'jump' || r.target?.name === 'goto') && isOurs((r.target as { chain: string }).chain);

/**
 * Reads `table`, puts `desired` in, and replaces it (counters of unchanged
 * rules kept), holding the xtables lock from the read to the replace; read
 * and edited again if a writer that ignores the lock came in between. Our
 * chains not in `desired` are dropped when `drop` says so (all of them on a
 * full sync), else kept as they are. Returns how many rules were written.
 */
export function writeTable(ipt: IptablesInterface, table: TableName, desired: DesiredTable, drop: (chain: string) => boolean): Promise<number> {
  return ipt.update(table, (tx) => {
    const read = tx.table;
    const chains: Chain[] = [];
    const placed = new Set<string>();
    let written = 0;
    for (const c of read.chains) {
      if (c.policy !== undefined) {
        const ours = desired.jumps.get(c.name) ?? [];
        c.rules = [...ours, ...c.rules.filter((r) => !jumpsToOurs(r))];
        written += ours.length;
        chains.push(c);
      } else if (!isOurs(c.name)) {
        chains.push(c);
      } else if (desired.chains.has(c.name)) {
        c.rules = desired.chains.get(c.name) as Rule[];
        written += c.rules.length;
        placed.add(c.name);
        chains.push(c);
      } else if (!drop(c.name)) {
        chains.push(c);
      }
    }
    for (const [name, rules] of desired.chains) {
      if (placed.has(name)) continue;
      chains.push({ name, rules: rules as Rule[] });
      written += rules.length;
    }
    read.chains = chains;
    return written;
  });
}

/** Removes every chain of ours and every rule that jumps to one; false when there was none (nothing written). */
export async function removeOurs(ipt: IptablesInterface, table: TableName): Promise<boolean> {
  const read = await ipt.get(table);
  let found = false;
  const chains: Chain[] = [];
  for (const c of read.chains) {
    if (isOurs(c.name)) {
      found = true;
      continue;
    }
    // Rules of other chains may jump to ours too (a user's); every such jump must go with the chain.
    if (c.rules.some(jumpsToOurs)) {
      c.rules = c.rules.filter((r) => !jumpsToOurs(r));
      found = true;
    }
    chains.push(c);
  }
  if (found) await ipt.replace(table, chains, { counters: 'keep', ...(read.generation !== undefined ? { generation: read.generation } : {}) });
  return found;
}
