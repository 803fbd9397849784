// Sends a sync's transactions: all are built and checked before the first
// is sent (bad input changes nothing), then committed one by one, each
// table all or nothing. A rewrite the kernel refuses (a table changed
// behind our back in a way `add` cannot repair) is retried as a rebuild.
import { NetlinkError } from '../../../errors.js';
import type { NftablesInterface, Transaction } from '../../../nft/index.js';
import type { StaleChains } from './stale.js';
import { TxBuilder } from './txbuilder.js';

/**
 * The ruleset generation our own commits have brought the kernel to, with
 * nothing else committed in between (undefined: not known). Each commit is
 * sent with it (the kernel refuses the batch with ERESTART if another one
 * came first) and moves it on by one.
 */
export interface Generation {
  value: number | undefined;
}

// The kernel's generation counter: 32 bits, never 0.
const after = (g: number): number => ((g + 1) >>> 0) || 1;

/** Commits one transaction, keeping `gen` (a commit that races another process's is sent again, and `gen` is lost). */
export async function commitOne(nft: NftablesInterface, tx: Transaction, gen: Generation): Promise<void> {
  if (gen.value === undefined) {
    await nft.commit(tx);
    return;
  }
  try {
    await nft.commit(tx, { generation: gen.value });
    gen.value = after(gen.value);
  } catch (e) {
    if (!(e instanceof NetlinkError && e.code === 'ERESTART')) throw e;
    gen.value = undefined;
    await nft.commit(tx);
  }
}

/** One transaction of a sync. */
export interface Work {
  readonly builder: TxBuilder;
  /** A second try if the kernel refuses the first: the table rebuilt from scratch. */
  readonly rebuild?: () => TxBuilder;
  /** Runs once it is committed. */
  readonly done?: () => void;
}

function build(nft: NftablesInterface, b: TxBuilder): Transaction {
  const tx = b.build(nft.transaction());
  if (tx.error !== undefined) throw tx.error;
  return tx;
}

/** Commits the work in order; returns how many operations were sent. */
export async function commitAll(nft: NftablesInterface, work: readonly Work[], gen: Generation): Promise<number> {
  const txs = work.map((w) => (w.builder.empty ? undefined : build(nft, w.builder)));
  let written = 0;
  for (let i = 0; i < work.length; i++) {
    const tx = txs[i];
    const w = work[i]!;
    if (tx !== undefined) {
      try {
        await commitOne(nft, tx, gen);
        written += tx.operations.length;
      } catch (e) {
        if (w.rebuild === undefined) throw e;
        const again = build(nft, w.rebuild());
        await commitOne(nft, again, gen);
        written += again.operations.length;
      }
    }
    w.done?.();
  }
  return written;
}

/**
 * Deletes the chains that have been stale long enough, one transaction per
 * table, each on its own: one that fails (still in use) is forgotten, and
 * found again by the next full sync. Returns how many operations were sent.
 */
export async function deleteDueChains(nft: NftablesInterface, stale: StaleChains, gen: Generation): Promise<number> {
  let written = 0;
  for (const { table, chains } of stale.due()) {
    const todo = chains;
    const b = new TxBuilder();
    for (const c of todo) b.deleteChain({ family: table.family, table: table.table, name: c });
    try {
      const tx = build(nft, b);
      await commitOne(nft, tx, gen);
      written += tx.operations.length;
    } catch {
      // left for the next full sync's listing
    }
    stale.forget(table, todo);
  }
  return written;
}
