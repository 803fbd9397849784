// iptables-restore input, both ways: parse() reads iptables-save output or
// any iptables-restore file (*table, :CHAIN POLICY [p:b], -A/-I/-D/-R/-N/
// -X/-F/-Z/-E/-P lines, COMMIT) into typed per-table scripts, and
// applyScript() plays one onto a table the way iptables-restore does, with
// or without --noflush.
import { splitArgs, splitCounters } from './args.js';
import { IptablesParseError } from './ext/ext.js';
import { parseCommand, type Command } from './rule-parse.js';
import { IptablesTable } from './table.js';
import { TableEdit } from './edit.js';
import { blobSlots } from './encode.js';
import { LazyChain } from './lazy.js';
import { BUILTIN_CHAINS, TABLE_NAMES, type Counters, type IptablesFamily, type TableData, type TableName } from './types.js';
import { MAX_CHAIN_NAME } from './validate.js';

/** A `:CHAIN POLICY [p:b]` line. */
export interface ChainLine {
  chain: string;
  /** ACCEPT or DROP for a built-in chain; undefined (`-`) for a user chain. */
  policy?: 'ACCEPT' | 'DROP';
  counters?: Counters;
  line: number;
}

/** One `*table` ... `COMMIT` block: its chain lines and commands, in file order. */
export interface ScriptTable {
  name: TableName;
  steps: ((Command & { line: number }) | ({ op: 'chain' } & ChainLine))[];
}

export interface IptablesScript {
  family: IptablesFamily;
  tables: ScriptTable[];
}

export interface ParseOptions {
  family?: IptablesFamily;
}

export interface ApplyOptions {
  /** iptables-restore --noflush: keep the table's chains and rules, only add to them. */
  noflush?: boolean;
  /** iptables-restore --counters: take `[p:b]` counters from the input (else they start at zero). */
  counters?: boolean;
}

/** The words of a line split on blanks (no quoting: chain lines have none). */
function words(text: string, from: number): string[] {
  const out: string[] = [];
  let i = from;
  while (i < text.length) {
    while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    const start = i;
    while (i < text.length && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) i++;
    if (i > start) out.push(text.slice(start, i));
  }
  return out;
}

function chainLine(text: string, lineNo: number): { op: 'chain' } & ChainLine {
  const [chain, policy, counters] = words(text, 1);
  if (chain === undefined) throw new IptablesParseError('chain name invalid', lineNo);
  if (Buffer.byteLength(chain) > MAX_CHAIN_NAME) throw new IptablesParseError(`Invalid chain name \`${chain}' (${MAX_CHAIN_NAME} chars max)`, lineNo);
  if (policy === undefined) throw new IptablesParseError('policy invalid', lineNo);
  const out: { op: 'chain' } & ChainLine = { op: 'chain', chain, line: lineNo };
  if (policy !== '-') {
    if (policy !== 'ACCEPT' && policy !== 'DROP') throw new IptablesParseError(`Can't set policy \`${policy}' on \`${chain}'`, lineNo);
    out.policy = policy;
  }
  if (counters !== undefined) {
    const c = splitCounters(counters, lineNo);
    if (c.counters === undefined || c.rest !== '') throw new IptablesParseError(`invalid policy counters for chain '${chain}'`, lineNo);
    out.counters = c.counters;
  }
  return out;
}

/**
 * Parses iptables-save output or an iptables-restore file. Lines for the
 * other family (-4/-6) are left out; `# comments` and blank lines are skipped.
 * Throws IptablesParseError naming the line. Equivalent to what
 * `iptables-restore --test` checks of the syntax.
 */
export function parse(text: string, options: ParseOptions = {}): IptablesScript {
  const family = options.family ?? 4;
  if (family !== 4 && family !== 6) throw new TypeError('family must be 4 or 6');
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const tables: ScriptTable[] = [];
  let current: ScriptTable | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const first = line.charCodeAt(0);
    if (line === '' || first === 0x23 /* # */) continue;
    if (line === 'COMMIT') {
      if (current === undefined) throw new IptablesParseError('COMMIT outside a table', lineNo);
      tables.push(current);
      current = undefined;
      continue;
    }
    if (line.startsWith('*')) {
      if (current !== undefined) throw new IptablesParseError(`table ${current.name} has no COMMIT before *`, lineNo);
      const name = line.slice(1).trim().split(/[ \t]/)[0];
      if (!TABLE_NAMES.includes(name as TableName)) throw new IptablesParseError(`table '${name}' does not exist`, lineNo);
      current = { name: name as TableName, steps: [] };
      continue;
    }
    if (current === undefined) throw new IptablesParseError('no *table line before this one', lineNo);
    if (first === 0x3a /* : */) {
      current.steps.push(chainLine(line, lineNo));
      continue;
    }
    const { counters, rest } = splitCounters(line, lineNo);
    let command: Command | undefined;
    try {
      command = parseCommand(splitArgs(rest, lineNo), family);
    } catch (e) {
      if (e instanceof IptablesParseError && e.line === undefined) throw new IptablesParseError(e.message, lineNo);
      throw e;
    }
    if (command === undefined) continue;
    if (counters !== undefined && 'rule' in command && command.rule !== undefined) command.rule.counters = counters;
    const step = command as Command & { line: number };
    step.line = lineNo;
    current.steps.push(step);
  }
  if (current !== undefined) throw new IptablesParseError(`COMMIT expected at line ${lines.length}`);
  return { family, tables };
}

/**
 * Plays one parsed table onto `current` (the table as it is now, or
 * undefined for an empty one) as iptables-restore does: without noflush
 * every chain is flushed and every user chain deleted first (built-in
 * policies stay unless a :CHAIN line sets them); a :CHAIN line creates the
 * user chain (with noflush, flushes it when it exists). Throws
 * IptablesParseError naming the line for a command that cannot apply.
 */
export function applyScript(current: TableData | undefined, script: ScriptTable, family: IptablesFamily,
  options: ApplyOptions = {}): IptablesTable {
  const base = current ?? IptablesTable.empty(script.name, family);
  const chains = base.chains.map((c) => (c instanceof LazyChain ? c.clone() : structuredClone(c)));
  const table = new IptablesTable({ name: script.name, family, chains });
  const edit = new TableEdit(table, { checkJumps: true });
  const builtins: readonly string[] = BUILTIN_CHAINS[script.name];
  const at = <T>(line: number, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) throw new IptablesParseError(e.message, line);
      throw e;
    }
  };
  if (!options.noflush) {
    edit.flush();
    table.chains = table.chains.filter((c) => builtins.includes(c.name));
  }
  if (!options.counters) for (const c of table.chains) if (!options.noflush) delete c.counters;
  for (const c of script.steps) {
    if (c.op !== 'chain') {
      at(c.line, () => edit.apply(c, options.counters === true));
      continue;
    }
    at(c.line, () => {
      if (builtins.includes(c.chain)) {
        if (c.policy === undefined) return;
        const chain = table.chain(c.chain)!;
        chain.policy = c.policy;
        if (options.counters) chain.counters = c.counters ?? { packets: 0, bytes: 0 };
        else delete chain.counters;
        return;
      }
      if (c.policy !== undefined) throw new RangeError(`Can't set policy \`${c.policy}' on \`${c.chain}': user chains have none`);
      if (options.noflush && table.chain(c.chain) !== undefined) edit.flush(c.chain);
      else edit.newChain(c.chain);
    });
  }
  // In the order get() gives and the blob has (built-ins, then user chains in strcmp order), so replace() need not sort them.
  const slots = blobSlots(table);
  if (slots.length === table.chains.length && slots.every((i) => i >= 0)) table.chains = Array.from(slots, (i) => table.chains[i]!);
  return table;
}
