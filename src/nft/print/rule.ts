// A rule as nft prints it: its expressions read back into statements
// (delinearize.ts, with each expression's own hook), post-processed as nft
// does (postprocess.ts), and printed. An expression the printer cannot
// read (not one nft makes) prints in the low-level `[ name attrs ]` form.
import type { Family } from '../enums.js';
import type { Expression } from '../expr/index.js';
import { specOf, decodeExprBody, type RecreateHint } from '../expr/spec.js';
import type { Rule } from '../rule.js';
import { setFlagBits, setUserdata, type NftSet, type SetElement } from '../set.js';
import { keyLength, splitType, typeId } from '../datatypes.js';
import { attrList } from '../wire.js';
import { CounterStmt } from '../expr/counter.js';
import type { Out, SetInfo, Stmt } from './ast.js';
import { DelinearizeError, RuleParser } from './delinearize.js';
import { RulePP } from './postprocess.js';
import { setInfo } from './sets.js';
import type { PrintEnv } from './value.js';

/** Where a rule's names resolve: its table's sets and bound chains, and the environment. */
export interface RuleContext {
  family: Family;
  table: string;
  sets: (name: string) => NftSet | undefined;
  env: PrintEnv;
  /** The rules of a chain bound to a rule (`jump { ... }`), when the chain is one. */
  boundChain?: (name: string) => Rule[] | undefined;
}

/** A statement the printer could not read: the expression in nft's debug form. */
function rawStmt(e: Record<string, unknown>): Stmt {
  return { kind: 'raw', print: () => rawText(e) };
}

export function rawText(e: Record<string, unknown>): string {
  const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
  const body = Object.entries(e).filter(([k]) => k !== 'type').map(([k, v]) =>
    `${k} ${v instanceof Uint8Array ? hex(v) : typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x)) : String(v)}`);
  return `[ ${String(e.type === 'raw' ? e.name : e.type)}${body.length > 0 ? ` ${body.join(' ')}` : ''} ]`;
}

/** An anonymous set a transaction gives inline, as the kernel will hold it. */
function inlineSet(ctx: RuleContext, s: { type: string; map?: string; flags?: NftSet['flags']; elements?: SetElement[] }): NftSet {
  const set: NftSet = { family: ctx.family, table: ctx.table, name: '', type: s.type, ...(s.map !== undefined ? { map: s.map } : {}),
    flags: ['anonymous', 'constant', ...(s.flags ?? [])], elements: s.elements ?? [] };
  try {
    const parts = splitType(s.type);
    set.keyTypeId = typeId(parts);
    set.keyLen = keyLength(parts);
    if (s.map !== undefined) {
      const verdict = s.map === 'verdict';
      set.dataTypeId = verdict ? 0xffffff00 : typeId(splitType(s.map));
      set.dataLen = verdict ? 0 : keyLength(splitType(s.map));
    }
    set.userdata = setUserdata(set);
  } catch { /* a raw type: the printer shows what it can */ }
  set.flagBits = setFlagBits(set);
  return set;
}

/**
 * How the printed statements came from the rule's expressions: the
 * expressions each statement read from the rule was made from (indexes,
 * first and last), the dependencies left out, and the statement read from
 * the rule that a statement made in post-processing comes from.
 */
export interface StatementTrace {
  ranges: Map<Stmt, [number, number]>;
  released: readonly { dep: Stmt; by: Stmt | undefined }[];
  originOf(s: Stmt): Stmt;
}

/** The statements of a rule, as nft rebuilds them before printing. */
export function ruleStatements(rule: Rule, ctx: RuleContext, o: Out, hints?: (h: Map<number, RecreateHint>) => void,
  trace?: (t: StatementTrace) => void): Stmt[] {
  const named = new Map<string, SetInfo>();
  const setCtx = { elementStmts: (e: SetElement) => elementStmts(e, ctx, o) };
  const sets = (ref: string | object): SetInfo | undefined => {
    if (typeof ref === 'object') return setInfo(inlineSet(ctx, ref as never), setCtx);
    let info = named.get(ref);
    if (info === undefined) {
      const s = ctx.sets(ref);
      if (s === undefined) return undefined;
      info = setInfo(s, setCtx, ((s.flagBits ?? 0) & 1) !== 0);
      if (((s.flagBits ?? 0) & 1) === 0) named.set(ref, info);
    }
    return info;
  };
  const bound = (name: string): string[] | undefined => ctx.boundChain?.(name)?.map((r) => ruleText(r, ctx, o));
  const exprs = rule.expressions as (Expression & Record<string, unknown>)[];
  const raw = new Set<number>();
  for (;;) {
    const p = new RuleParser(rule.family, sets, o, bound);
    p.parse = (e) => dispatch(e as never, p);
    let failed = -1;
    const ranges = new Map<Stmt, [number, number]>();
    let first = 0;
    for (let i = 0; i < exprs.length && failed < 0; i++) {
      const e = exprs[i]!;
      p.index = i;
      try {
        if (raw.has(i)) p.emit(rawStmt(e));
        else dispatch(e, p);
      } catch (err) {
        if (!(err instanceof DelinearizeError) && !(err instanceof TypeError) && !(err instanceof RangeError)) throw err;
        failed = i;
      }
      if (p.stmt !== undefined) { ranges.set(p.stmt, [first, i]); first = i + 1; p.stmts.push(p.stmt); p.stmt = undefined; }
    }
    if (failed >= 0 && !raw.has(failed)) { raw.add(failed); continue; }
    const pp = new RulePP(rule.family, p.stmts, (i, h) => p.hint(i, h));
    try {
      pp.run();
    } catch (err) {
      // Loads nft never makes can trip the rebuilding (a value of no length, ...): the rule is then shown as it is.
      if (!(err instanceof DelinearizeError) && !(err instanceof TypeError) && !(err instanceof RangeError)) throw err;
      return exprs.map((e) => rawStmt(e));
    }
    hints?.(p.hints);
    trace?.({ ranges, released: pp.released, originOf: (s) => pp.originOf(s) });
    return p.stmts;
  }
}

function dispatch(e: Expression & Record<string, unknown>, p: RuleParser): void {
  const hook = e.type === 'raw' ? undefined : specOf(e.type)?.delinearize;
  if (hook === undefined) { p.emit(rawStmt(e)); return; }
  hook(e, p);
}

/** Element statements: a counter, or the element's expressions read like a rule's. */
export function elementStmts(e: SetElement, ctx: RuleContext, o: Out): Stmt[] {
  if (e.counter !== undefined) return [new CounterStmt(e.counter.packets, e.counter.bytes)];
  if (e.exprs === undefined) return [];
  try {
    const list = attrList(Buffer.from(e.exprs.buffer, e.exprs.byteOffset, e.exprs.byteLength)).map((a) => decodeExprBody(a.data));
    const p = new RuleParser(ctx.family, () => undefined, o);
    p.parse = (x) => dispatch(x as never, p);
    return list.map((x) => p.nested(x as never));
  } catch {
    return [];
  }
}

/** A rule's statements as one line of `nft list` (without its comment). */
export function ruleText(rule: Rule, ctx: RuleContext, o: Out): string {
  return ruleStatements(rule, ctx, o).map((s) => s.print(o)).join(' ');
}

/**
 * What printing the rule shows of how nft sends each of its expressions
 * (RecreateHint, by expression index): what Ruleset.toTransaction() needs
 * to send what nft sends for the printed text.
 */
export function recreateHints(rule: Rule, ctx: RuleContext): Map<number, RecreateHint> {
  let out = new Map<number, RecreateHint>();
  ruleStatements(rule, ctx, { env: ctx.env }, (h) => { out = h; });
  return out;
}
