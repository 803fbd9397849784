// The expressions a rule is rebuilt into before it is printed, as nft's
// netlink_delinearize.c builds them: constants, loads (a "leaf": payload,
// meta, ct, ... each owned by its expression file, which registers how it
// prints), and the operators between them (relational, binop, concat,
// prefix, range, sets and maps). Values follow nft's semantics: an
// unsigned integer of `len` bits (bigint), read big-endian from the
// register and byte-swapped for host-order types when nft does it.
import { baseType, dataType, type ByteOrder, type DataType } from '../datatypes.js';
import type { Verdict } from '../expr/data.js';
import { valueText, type PrintEnv } from './value.js';

/** nft's EXPR_F_* flags. */
export const F_PROTOCOL = 0x4, F_INTERVAL_END = 0x8, F_BOOLEAN = 0x10, F_INTERVAL = 0x20;

interface Typed { len: number; dtype: DataType; order: ByteOrder; flags: number }

export interface ValueNode extends Typed { k: 'value'; v: bigint }
/** A load nft names by its own rules (payload, exthdr, meta, ct, rt, fib, numgen, hash, socket, osf, xfrm). */
export interface LeafNode extends Typed { k: 'leaf'; kind: string; [field: string]: unknown }
export type BinOp = '&' | '|' | '^' | '<<' | '>>';
export interface BinopNode extends Typed { k: 'binop'; op: BinOp; left: Node; right: Node; /** The rule's expression that made it (a bitwise). */ src?: number }
export interface UnaryNode extends Typed { k: 'unary'; op: 'hton' | 'ntoh'; arg: Node }
export type RelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'implicit' | '!';
export interface RelNode extends Typed { k: 'rel'; op: RelOp; left: Node; right: Node }
export interface ConcatNode extends Typed { k: 'concat'; parts: Node[] }
export interface PrefixNode extends Typed { k: 'prefix'; value: Node; plen: number }
export interface RangeNode extends Typed { k: 'range'; from: Node; to: Node }
/** The elements of an anonymous set, or of a named one being printed (nft's EXPR_SET). */
export interface SetNode extends Typed { k: 'set'; elems: Node[]; anonymous: boolean }
/** A set as a rule refers to it: `@name`, or its elements when anonymous. */
export interface SetRefNode extends Typed { k: 'setref'; set: SetInfo }
export interface ElemNode extends Typed {
  k: 'elem'; key: Node; stmts: Stmt[]; timeout?: bigint; expiration?: bigint; comment?: string;
}
export interface MappingNode extends Typed { k: 'mapping'; left: Node; right: Node }
export interface MapNode extends Typed { k: 'map'; map: Node; mappings: Node }
export interface VerdictNode extends Typed { k: 'verdict'; verdict: Verdict }
/** `syn,ack`: flags split out of a bitmask (binop_tree_to_list). */
export interface ListNode extends Typed { k: 'list'; items: Node[] }
/** `tcp flags syn / syn,ack`. */
export interface FlagcmpNode extends Typed { k: 'flagcmp'; op: RelOp; expr: Node; mask: Node; value: Node }
export interface CatchallNode extends Typed { k: 'catchall' }
/** A bare word (a `typeof` hint nft cannot rebuild prints as its type name). */
export interface SymbolNode extends Typed { k: 'symbol'; text: string }

export type Node = ValueNode | LeafNode | BinopNode | UnaryNode | RelNode | ConcatNode | PrefixNode | RangeNode | SetNode |
  SetRefNode | ElemNode | MappingNode | MapNode | VerdictNode | ListNode | FlagcmpNode | CatchallNode | SymbolNode;

/** What a rule knows of a set it refers to (nft's struct set, as the printer needs it). */
export interface SetInfo {
  name: string;
  /** NFT_SET_* flags. */
  flags: number;
  /** The key: a constant of the key type, or the `typeof` expression. */
  key: Node;
  data?: Node;
  /** Object maps: NFT_OBJECT_* of the values. */
  objType?: number;
  /** The elements, decoded and merged as nft lists them (set->init). */
  init: SetNode;
  size?: number;
  typeofKey: boolean;
  /** `auto-merge` (nft's userdata). */
  autoMerge?: boolean;
  /** Not given to the printer (printRule without the sets): key and data are what the rule shows of them. */
  guessed?: boolean;
}

/** How each kind of load is rebuilt from a set's `typeof` userdata, by nft's EXPR_* number (registered by the expression files). */
export const typeofParsers = new Map<number, (data: Uint8Array) => Node | undefined>();
/** nft's EXPR_* numbers of the loads a `typeof` can name. */
export const EXPR_VERDICT = 1, EXPR_PAYLOAD = 7, EXPR_EXTHDR = 8, EXPR_META = 9, EXPR_SOCKET = 10, EXPR_OSF = 11, EXPR_CT = 12,
  EXPR_CONCAT = 13, EXPR_NUMGEN = 23, EXPR_HASH = 24, EXPR_RT = 25, EXPR_FIB = 26, EXPR_XFRM = 27;

/**
 * Output options: the environment, nft's "stateless" mode (no counter
 * values, inside set statements) and NUMERIC_ALL (inside ranges).
 */
export interface Out { env: PrintEnv; stateless?: boolean; numeric?: boolean }

/** A statement of a rule (nft's struct stmt): owned by the expression file that makes it. */
export interface Stmt {
  readonly kind: string;
  print(o: Out): string;
}

export const INVALID: DataType = { ...dataType('integer'), name: 'invalid', id: 0, printer: 'invalid', base: undefined, hex: undefined };
export const XINTEGER: DataType = { ...dataType('integer'), hex: { width: 0 } };
export const VERDICT: DataType = dataType('verdict');

export function value(v: bigint, len: number, dtype: DataType = INVALID, order: ByteOrder = 'big'): ValueNode {
  return { k: 'value', v, len, dtype, order, flags: 0 };
}

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
export { mask as bitmask };

/** constant_expr_splice: takes the top `len` bits off a value (which keeps the rest). */
export function splice(e: ValueNode, len: number): ValueNode {
  const rest = e.len - len;
  const slice = value((e.v >> BigInt(rest)) & mask(len), len);
  e.v &= mask(rest);
  e.len = rest;
  return slice;
}

/** expr_set_type: the type a node takes from its context (sets, prefixes, ranges pass it down). */
export function setType(e: Node, dtype: DataType, order: ByteOrder): void {
  switch (e.k) {
    case 'prefix': setType(e.value, dtype, order); return;
    case 'range': setType(e.from, dtype, order); setType(e.to, dtype, order); return;
    case 'set': for (const x of e.elems) setType(x, dtype, order); return;
    case 'mapping': setType(e.left, dtype, order); return;
    default: e.dtype = dtype; e.order = order;
  }
}

/** A deep copy (nft's expr_clone), sharing sets and templates. */
export function clone<T extends Node>(e: T): T {
  // Every register read clones what it reads: by kind, not by walking the keys.
  const n = e as Node;
  switch (n.k) {
    case 'value': case 'verdict': case 'catchall': case 'symbol': case 'setref': return { ...e };
    case 'leaf': {
      const c = { ...n };
      if (isNode(c.expr)) c.expr = clone(c.expr);
      return c as unknown as T;
    }
    case 'binop': case 'rel': case 'mapping': return { ...e, left: clone(n.left), right: clone(n.right) };
    case 'unary': return { ...e, arg: clone(n.arg) };
    case 'concat': return { ...e, parts: n.parts.map(clone) };
    case 'prefix': return { ...e, value: clone(n.value) };
    case 'range': return { ...e, from: clone(n.from), to: clone(n.to) };
    case 'set': return { ...e, elems: n.elems.map(clone) };
    case 'elem': return { ...e, key: clone(n.key) };
    case 'map': return { ...e, map: clone(n.map), mappings: clone(n.mappings) };
    case 'list': return { ...e, items: n.items.map(clone) };
    case 'flagcmp': return { ...e, expr: clone(n.expr), mask: clone(n.mask), value: clone(n.value) };
    default: return { ...e };
  }
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && typeof (x as { k?: unknown }).k === 'string' && 'len' in x;
}

/** The root of a node's type (expr_basetype). */
export const basetypeOf = (e: Node): DataType => baseType(e.dtype);

const PRECEDENCE: Partial<Record<BinOp, number>> = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 };

/** How each kind of leaf prints: registered by the expression files. */
export const leafPrinters = new Map<string, (e: LeafNode, o: Out) => string>();

function argText(op: BinOp | RelOp, arg: Node, o: Out): string {
  const p = PRECEDENCE[op as BinOp];
  const paren = arg.k === 'binop' && p !== undefined && p < (PRECEDENCE[arg.op] ?? 0);
  const t = exprText(arg, o);
  return paren ? `(${t})` : t;
}

// must_print_eq_op: a bitmask value, or a binop on the left, keeps the `==`.
function mustPrintEq(e: RelNode): boolean {
  if (e.right.k === 'value' && e.right.dtype.base?.name === 'bitmask') return true;
  return e.left.k === 'binop';
}

function relText(e: RelNode, o: Out): string {
  let sym: string | undefined = e.op;
  if (e.op === 'implicit' || (e.op === '==' && !mustPrintEq(e))) sym = undefined;
  return `${argText(e.op, e.left, o)}${sym !== undefined ? ` ${sym} ` : ' '}${argText(e.op, e.right, o)}`;
}

/** Prints an expression as nft's expr_print does. */
export function exprText(e: Node, o: Out): string {
  switch (e.k) {
    case 'value': return valueText(e.dtype, e.v, e.len, o.env, o.numeric === true);
    case 'leaf': {
      const p = leafPrinters.get(e.kind);
      return p !== undefined ? p(e, o) : `[${e.kind}]`;
    }
    case 'binop': return `${argText(e.op, e.left, o)} ${e.op} ${argText(e.op, e.right, o)}`;
    case 'rel': return relText(e, o);
    case 'unary': return exprText(e.arg, o);
    case 'concat': return e.parts.map((x) => exprText(x, o)).join(' . ');
    case 'prefix': return `${exprText(e.value, o)}/${e.plen}`;
    // Ranges print numbers, never names (nft sets NFT_CTX_OUTPUT_NUMERIC_ALL for them).
    case 'range': return `${exprText(e.from, { ...o, numeric: true })}-${exprText(e.to, { ...o, numeric: true })}`;
    case 'set': return setText(e, o);
    case 'setref': return setRefText(e, o);
    case 'elem': return elemText(e, o);
    case 'mapping': return `${exprText(e.left, o)} : ${exprText(e.right, o)}`;
    case 'map': return `${exprText(e.map, o)} ${isVerdictMap(e) ? 'vmap' : 'map'} ${exprText(e.mappings, o)}`;
    case 'verdict': return verdictText(e.verdict);
    case 'list': return e.items.map((x) => exprText(x, o)).join(',');
    case 'flagcmp': return `${exprText(e.expr, o)}${e.op === '!=' ? ' != ' : ' '}${exprText(e.value, o)} / ${exprText(e.mask, o)}`;
    case 'catchall': return '*';
    case 'symbol': return e.text;
  }
}

function isVerdictMap(e: MapNode): boolean {
  if (e.mappings.k === 'setref') return e.mappings.set.data?.dtype.name === 'verdict';
  if (e.mappings.k === 'set') {
    const first = e.mappings.elems[0];
    return first?.k === 'mapping' && first.right.k === 'verdict';
  }
  return false;
}

export function verdictText(v: Verdict): string {
  if (v.kind === 'jump' || v.kind === 'goto') return `${v.kind} ${v.chain}`;
  return v.kind;
}

function setRefText(e: SetRefNode, o: Out): string {
  const s = e.set;
  if ((s.flags & 0x21) === 0x21) return s.name;  // NFT_SET_ANONYMOUS with NFT_SET_EVAL: a meter
  if ((s.flags & 0x1) !== 0) return exprText(s.init, o);
  return `@${s.name}`;
}

// calculate_delim: how many elements of a type nft puts on one line of a named set.
function perLine(dtype: DataType | undefined): number {
  switch (dtype?.id) {
    case 2: case 4: case 11: case 12: case 13: case 15: case 16: case 19: case 20: case 23: case 24: case 25: case 27: return 5;
    case 7: case 26: case 28: case 31: return 2;
    default: return 1;
  }
}

/** `{ a, b }`; a named set's elements as nft lays them out (calculate_delim: 5 or 2 a line for some types). */
function setText(e: SetNode, o: Out): string {
  const n = perLine(e.dtype);
  let out = '{ ';
  let d = '';
  let count = 0;
  for (const x of e.elems) {
    out += d + exprText(x, o);
    count++;
    if (e.anonymous) d = ', ';
    else if (n > 1 && count < n) d = ', ';
    else { d = ',\n\t\t\t     '; if (n > 1) count = 0; }
  }
  return `${out} }`;
}

function elemText(e: ElemNode, o: Out): string {
  let t = exprText(e.key, o);
  for (const s of e.stmts) t += ` ${s.print(o)}`;
  if (e.timeout !== undefined && e.timeout !== 0n) t += ` timeout ${timeOf(e.timeout)}`;
  if (!o.stateless && e.expiration !== undefined && e.expiration !== 0n) t += ` expires ${timeOf(e.expiration)}`;
  if (e.comment !== undefined) t += ` comment "${e.comment}"`;
  return t;
}

function timeOf(ms: bigint): string {
  let rest = ms;
  let out = '';
  for (const [unit, n] of [['d', 86400000n], ['h', 3600000n], ['m', 60000n], ['s', 1000n], ['ms', 1n]] as [string, bigint][]) {
    if (rest / n > 0n) out += `${rest / n}${unit}`;
    rest %= n;
  }
  return out;
}

/** The statement an expression-only rule part is (nft's STMT_EXPRESSION): a match, or a map lookup's verdict. */
export class ExprStmt implements Stmt {
  readonly kind = 'expr';
  constructor(public expr: Node) {}
  print(o: Out): string { return exprText(this.expr, o); }
}

/** accept, drop, jump CHAIN, ... (STMT_VERDICT). */
export class VerdictStmt implements Stmt {
  readonly kind = 'verdict';
  constructor(public expr: Node) {}
  print(o: Out): string { return exprText(this.expr, o); }
}

/** expr_basetype(e) is string. */
export function isString(e: Node): boolean {
  return basetypeOf(e).printer === 'string';
}
