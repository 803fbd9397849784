// A table as read: its chains, the generation it was read at, and its
// iptables-save text.
import { saveTable, type SaveOptions } from './save.js';
import { BUILTIN_CHAINS, type Chain, type IptablesFamily, type TableData, type TableName } from './types.js';

/** A table's content as read by `get()` (or built by hand), printable as iptables-save does. */
export class IptablesTable implements TableData {
  readonly name: TableName;
  readonly family: IptablesFamily;
  chains: Chain[];
  /**
   * The table's generation when it was read (a hash of its rules and layout,
   * blind to counters); replace() with it fails if another writer came in between.
   */
  readonly generation?: bigint;

  constructor(data: TableData, generation?: bigint) {
    this.name = data.name;
    this.family = data.family;
    this.chains = data.chains;
    if (generation !== undefined) this.generation = generation;
  }

  /** An empty table: the built-in chains with policy ACCEPT, as the kernel makes it. */
  static empty(name: TableName, family: IptablesFamily): IptablesTable {
    return new IptablesTable({ name, family, chains: BUILTIN_CHAINS[name].map((c) => ({ name: c, policy: 'ACCEPT', counters: { packets: 0, bytes: 0 }, rules: [] })) });
  }

  /** The chain called `name`, or undefined. */
  chain(name: string): Chain | undefined {
    return this.chains.find((c) => c.name === name);
  }

  /**
   * The table in iptables-save format: `*name`, the chain lines, the rules,
   * `COMMIT` (iptables-legacy-save's output less its comment lines).
   * Equivalent to: `iptables-save -t NAME [-c]`.
   */
  toString(options: SaveOptions = {}): string {
    return saveTable(this, options);
  }
}
