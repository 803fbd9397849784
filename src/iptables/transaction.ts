// Editing a table as read, then committing it whole with the generation
// it was read at: if another writer replaced the table in between, the
// commit changes nothing and throws IptablesConflictError (Iptables.update()
// then reads and edits again).
import { TableEdit } from './edit.js';
import type { CounterMode, IptablesInterface } from './iptables.js';
import type { IptablesTable } from './table.js';

export interface CommitOptions {
  /** Where counters start (default 'keep': rules left as they were keep theirs). */
  counters?: CounterMode;
}

/** A pending edit of one table, read at a generation. */
export class IptablesTransaction extends TableEdit {
  readonly #owner: Pick<IptablesInterface, 'replace'>;
  readonly #read: IptablesTable;

  constructor(owner: Pick<IptablesInterface, 'replace'>, table: IptablesTable) {
    super(table);
    this.#owner = owner;
    this.#read = table;
  }

  /**
   * Replaces the table with the edited one, unless another writer replaced
   * it since it was read (then IptablesConflictError, and nothing changed).
   */
  async commit(options: CommitOptions = {}): Promise<void> {
    const t = this.table;
    await this.#owner.replace(t.name, t.chains, {
      counters: options.counters ?? 'keep',
      ...(this.#read.generation !== undefined ? { generation: this.#read.generation } : {}),
    });
  }
}
