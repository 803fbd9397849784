// nft's rule_parse_postprocess and expr_postprocess: the statements read
// back from the registers made into what nft prints. Values take the type
// of what they are compared with (and its byte order), bitmasks become flag
// lists, masks become prefixes or header bit fields, loads become named
// fields, and dependencies a later field implies are left out. The parts
// that belong to one kind of load (payload, meta, ct, exthdr) are hooks the
// expression files register.
import type { RecreateHint } from '../expr/spec.js';
import { baseType, concatType, dataType, isBitmask } from '../datatypes.js';
import { DepCtx, ProtoCtx } from './context.js';
import { bitmask, clone, ExprStmt, F_BOOLEAN, INVALID, setType, VerdictStmt, type BinopNode, type LeafNode, type ListNode, type MapNode, type Node, type RelNode, type Stmt, type ValueNode } from './ast.js';
import { switchByteorder } from './value.js';

/** What a kind of load adds to the generic post-processing. */
export interface LeafHooks {
  /** expr_postprocess of the leaf itself (payload_expr_complete, dependency kills). */
  postprocess?(e: LeafNode, pp: RulePP): void;
  /** A relational with the leaf on the left (or a map or binop over it), instead of the generic path; true when it handled it. */
  relational?(rel: RelNode | MapNode | BinopNode, pp: RulePP): boolean;
  /** After the generic relational path (meta/ct dependency tracking). */
  afterRelational?(rel: RelNode, pp: RulePP): void;
  /** relational_expr_pctx_update for a protocol leaf and one value. */
  pctxUpdate?(pp: RulePP, left: LeafNode, right: ValueNode): void;
  /** When a mask selects exactly a field: narrows the leaf to it and returns the shift of the values. */
  trim?(e: LeafNode, mask: ValueNode, pp: RulePP): number | undefined;
}
export const leafHooks = new Map<string, LeafHooks>();

/** A statement that post-processes its own expressions. */
export interface PostprocessStmt extends Stmt { postprocess?(pp: RulePP): void }

const IN_CONCAT = 1, IN_SET_ELEM = 2;

/** The post-processing of one rule (nft's rule_pp_ctx). */
export class RulePP {
  readonly pctx: ProtoCtx;
  readonly dep: DepCtx;
  stmt: Stmt | undefined;
  /** The protocol matches left out as dependencies, each with the statement that implied it (in the order they were left out). */
  readonly released: { dep: Stmt; by: Stmt | undefined }[] = [];
  /** What a statement made here was made from: the statement read from the rule's expressions (see originOf). */
  readonly #origin = new WeakMap<Stmt, Stmt>();
  #flags = 0;

  constructor(family: string, readonly stmts: Stmt[],
    /** Notes what the statements show of how nft would send an expression (RuleParser.hint). */
    readonly hint: (index: number | undefined, h: RecreateHint) => void = () => undefined) {
    this.pctx = new ProtoCtx(family);
    this.dep = new DepCtx((s) => { this.released.push({ dep: s, by: this.stmt }); this.remove(s); });
  }

  /** The statement read from the rule's expressions that s was made from (s itself if it is one). */
  originOf(s: Stmt): Stmt {
    return this.#origin.get(s) ?? s;
  }

  remove(s: Stmt): void {
    const i = this.stmts.indexOf(s);
    if (i >= 0) this.stmts.splice(i, 1);
  }

  /** Puts s before the current statement. */
  insertBeforeCurrent(s: Stmt): void {
    const i = this.stmt === undefined ? -1 : this.stmts.indexOf(this.stmt);
    if (this.stmt !== undefined) this.#origin.set(s, this.originOf(this.stmt));
    this.stmts.splice(i < 0 ? this.stmts.length : i, 0, s);
  }

  /** Replaces the current statement by s. */
  replaceCurrent(s: Stmt | undefined): void {
    if (this.stmt !== undefined) {
      if (s !== undefined) this.#origin.set(s, this.originOf(this.stmt));
      const i = this.stmts.indexOf(this.stmt);
      if (i >= 0) { if (s !== undefined) this.stmts[i] = s; else this.stmts.splice(i, 1); }
    }
    this.stmt = s;
  }

  run(): void {
    for (let s: Stmt | undefined = this.stmts[0]; s !== undefined;) {
      const next: Stmt | undefined = this.stmts[this.stmts.indexOf(s) + 1];
      this.stmt = s;
      if (s instanceof ExprStmt) this.#exprStmt(s);
      else (s as PostprocessStmt).postprocess?.(this);
      this.dep.prev = this.stmt;
      if (!(s instanceof ExprStmt)) this.dep.reset();
      s = next;
    }
  }

  // stmt_expr_postprocess, with the merge of `>= a` `<= b` into a range.
  #exprStmt(s: ExprStmt): void {
    s.expr = this.expr(s.expr);
    const prev = this.dep.prev;
    if (this.stmt !== s || !(prev instanceof ExprStmt) || prev instanceof VerdictStmt) return;
    const op = mergeOp(s.expr, prev.expr);
    if (op === undefined) return;
    const cur = s.expr as RelNode, before = prev.expr as RelNode;
    const range: Node = { k: 'range', from: clone(before.right), to: clone(cur.right), len: 0, dtype: INVALID, order: 'big', flags: 0 };
    setType(range, cur.right.dtype, cur.right.order);
    const merged = new ExprStmt({ k: 'rel', op, left: clone(cur.left), right: range, len: 0, dtype: INVALID, order: 'big', flags: 0 });
    this.remove(prev);
    this.replaceCurrent(merged);
  }

  /** expr_postprocess: returns what replaces e. */
  expr(e: Node): Node {
    switch (e.k) {
      case 'map':
        if (e.map.k === 'binop' && e.map.op === '&' && e.map.left.k === 'leaf' && e.map.left.kind === 'payload' && e.map.right.k === 'value') {
          e.map = this.binopPostprocess(e, e.map);
        }
        e.map = this.expr(e.map);
        e.mappings = this.expr(e.mappings);
        return e;
      case 'mapping': e.left = this.expr(e.left); e.right = this.expr(e.right); return e;
      case 'set': e.elems = e.elems.map((x) => this.expr(x)); return e;
      case 'concat': return this.#concat(e);
      case 'unary':
        e.arg = this.expr(e.arg);
        e.dtype = e.arg.dtype;
        e.order = 'big';
        return e;
      case 'binop': return this.#binop(e);
      case 'rel': return this.#relational(e);
      case 'value': return this.#value(e);
      case 'range': e.from = this.expr(e.from); e.to = this.expr(e.to); return e;
      case 'prefix': e.value = this.expr(e.value); return e;
      case 'elem': {
        this.#flags |= IN_SET_ELEM;
        e.key = this.expr(e.key);
        this.#flags &= ~IN_SET_ELEM;
        return e;
      }
      case 'leaf': {
        leafHooks.get(e.kind)?.postprocess?.(e, this);
        if (e.kind === 'hash' && e.expr !== undefined) e.expr = this.expr(e.expr as Node);
        return e;
      }
      default: return e;
    }
  }

  #concat(e: Node & { k: 'concat' }): Node {
    const parts = e.dtype.parts;
    let off = parts?.length ?? 0;
    this.#flags |= IN_CONCAT;
    e.parts = e.parts.map((x) => {
      if (parts !== undefined && off > 0) {
        const t = parts[parts.length - off--]!;
        setType(x, t, t.order);
      }
      return this.expr(x);
    });
    this.#flags &= ~IN_CONCAT;
    e.dtype = concatType(e.parts.map((x) => x.dtype));
    return e;
  }

  #binop(e: BinopNode): Node {
    e.left = this.expr(e.left);
    if (e.op === '<<' || e.op === '>>') setType(e.right, INTEGER, 'host');
    else {
      setType(e.right, e.left.dtype, e.left.order);
      if (e.op === '&' && (this.#flags & (IN_CONCAT | IN_SET_ELEM)) !== 0 && e.left.k === 'leaf' && e.left.kind === 'payload' && e.right.k === 'value') {
        return this.binopPostprocess(e, e, e.left, e.right);
      }
    }
    e.right = this.expr(e.right);
    e.dtype = e.left.dtype;
    e.order = e.left.order;
    return e;
  }

  #relational(e: RelNode): Node {
    const left = e.left;
    if (left.k === 'leaf' && leafHooks.get(left.kind)?.relational?.(e, this) === true) return e;
    e.left = this.expr(left);
    setType(e.right, e.left.dtype, e.left.order);
    e.right = this.expr(e.right);
    if (e.left.k === 'leaf') leafHooks.get(e.left.kind)?.afterRelational?.(e, this);
    else if (e.left.k === 'binop') return this.#relationalBinop(e);
    return e;
  }

  #value(e: ValueNode): Node {
    if (e.order === 'host') e.v = switchByteorder(e.v, Math.floor(e.len / 8));
    let out: Node = e;
    if (baseType(e.dtype).printer === 'string') out = postprocessString(e);
    if (out.k === 'value' && isBitmask(out.dtype)) out = bitmaskToBinops(out);
    return out;
  }

  /** relational_expr_pctx_update: a protocol match tells which header follows. */
  pctxUpdate(rel: RelNode): void {
    const left = rel.left;
    if (left.k !== 'leaf' || (left.flags & 0x4) === 0) return;
    const hook = leafHooks.get(left.kind)?.pctxUpdate;
    if (hook === undefined) return;
    if (rel.right.k === 'value') hook(this, left, rel.right);
    else if (rel.right.k === 'set') {
      for (const x of rel.right.elems) if (x.k === 'elem' && x.key.k === 'value') hook(this, left, x.key);
    }
  }

  // relational_binop_postprocess: `flags & (syn|ack) == syn`, prefixes, bit fields, `ip version @set`.
  #relationalBinop(e: RelNode): Node {
    const binop = e.left as BinopNode, right = e.right;
    if (binop.op === '&' && (e.op === '!=' || e.op === '==') && isBitmask(right.dtype)) {
      if (right.k === 'value' && right.v === 0n) {
        e.left = binop.left;
        e.right = treeToList(binop.right);
        e.op = e.op === '!=' ? 'implicit' : '!';
        this.hint(binop.src, { bitwiseWithoutOp: true });  // nft's flag match (netlink_gen_flagcmp)
      } else if (right.k === 'value' && binop.right.k === 'value' && right.v === binop.right.v) {
        // `flags & syn == syn` stays as it is.
      } else if (right.k === 'value' || right.k === 'binop') {
        return { k: 'flagcmp', op: e.op, expr: binop.left, mask: treeToList(binop.right), value: right.k === 'binop' ? treeToList(right) : right,
          len: binop.left.len, dtype: binop.left.dtype, order: binop.left.order, flags: 0 };
      }
    } else if (binop.left.dtype.prefix === true && binop.op === '&' && right.k === 'value' && binop.right.k === 'value' && maskIsPrefix(binop.right)) {
      e.left = binop.left;
      const plen = maskToPrefix(binop.right);
      e.right = { k: 'prefix', value: right, plen, len: 0, dtype: INVALID, order: 'big', flags: 0 };
      // A prefix (netlink_gen_relational): of whole bytes, nft loads and compares just those; else a mask without op.
      this.hint(binop.src, baseType(binop.left.dtype).printer === 'string' || (plen > 0 && plen % 8 === 0 && binop.left.order === 'big') ? { prefixBytes: plen / 8 } : { bitwiseWithoutOp: true });
    } else if (binop.op === '&' && binop.right.k === 'value') {
      e.left = this.binopPostprocess(e, binop);
    } else if (binop.op === '>>' && binop.left.k === 'binop' && binop.left.op === '&' && binop.right.k === 'value' && binop.left.right.k === 'value') {
      binop.left = this.binopPostprocess(binop, binop.left);
      if (binop.right.v === 0n) e.left = binop.left;
    }
    return e;
  }

  /**
   * __binop_postprocess: when the mask of `load & mask` selects exactly a
   * field, the binop goes and the values of `expr` are shifted to match.
   * Returns what replaces the binop.
   */
  binopPostprocess(expr: Node, binop: BinopNode, left = binop.left, mask = binop.right as ValueNode): Node {
    if (left.k !== 'leaf') return binop;
    const shift = leafHooks.get(left.kind)?.trim?.(left, mask, this);
    if (shift === undefined) return binop;
    let right: Node | undefined;
    if (expr.k === 'binop' || expr.k === 'rel') right = expr.right;
    else if (expr.k === 'map') right = expr.mappings;
    if (right !== undefined) adjust(right, shift, left.len);
    if (expr.k === 'rel' || (expr.k === 'binop' && expr.left === binop)) expr.left = left;
    else if (expr.k === 'map') expr.map = left;
    // The payload's own post-processing names the field (payload_match_postprocess); others take the type.
    if (left.kind === 'payload') leafHooks.get('payload')?.relational?.(expr as RelNode, this);
    else if (right !== undefined) setType(right, left.dtype, left.order);
    return left;
  }
}

const INTEGER = dataType('integer');

// expr_may_merge_range: `>= a` then `<= b` on the same kind of load is a range (`< a` `> b` its negation).
function mergeOp(cur: Node, prev: Node): '==' | '!=' | undefined {
  if (cur.k !== 'rel' || prev.k !== 'rel') return undefined;
  const l = cur.left.k === 'unary' ? cur.left.arg : cur.left;
  const pl = prev.left.k === 'unary' ? prev.left.arg : prev.left;
  if (l.k !== pl.k || (l.k === 'leaf' && l.kind !== (pl as LeafNode).kind)) return undefined;
  if (cur.op === '<=' && prev.op === '>=') return '==';
  if (cur.op === '>' && prev.op === '<') return '!=';
  return undefined;
}

/** binop_adjust: values (and anonymous set elements) shifted down to the field, as long as the field. */
function adjust(e: Node, shift: number, len: number): void {
  switch (e.k) {
    case 'value': e.v >>= BigInt(shift); e.len = len; return;
    case 'range': adjust(e.from, shift, len); adjust(e.to, shift, len); return;
    case 'prefix': adjust(e.value, shift, len); return;
    case 'elem': adjust(e.key, shift, len); return;
    case 'mapping': adjust(e.left, shift, len); return;
    case 'setref':
      if ((e.set.flags & 1) !== 0) for (const x of e.set.init.elems) adjust(x, shift, len);
      return;
    default:
  }
}

/** mpz_scan1 / mpz_scan0 on a non-negative bigint. */
export function scan1(v: bigint, from: number): number {
  if (v < 0n) throw new RangeError('scan1 of a negative value');
  if ((v >> BigInt(from)) === 0n) return -1;
  let i = from;
  while (((v >> BigInt(i)) & 1n) === 0n) i++;
  return i;
}
export function scan0(v: bigint, from: number): number {
  // A negative value has ones for ever: no value nft holds (one below 0, say) is.
  if (v < 0n) throw new RangeError('scan0 of a negative value');
  let i = from;
  while (((v >> BigInt(i)) & 1n) === 1n) i++;
  return i;
}

function maskIsPrefix(m: ValueNode): boolean {
  const n1 = scan1(m.v, 0);
  if (n1 < 0) return true;
  return scan0(m.v, n1 + 1) >= m.len;
}

export function maskToPrefix(m: ValueNode): number {
  const n = scan1(m.v, 0);
  return n < 0 ? 0 : scan0(m.v, n + 1) - n;
}

/** binop_tree_to_list: `a | b | c` as the list a,b,c. */
export function treeToList(e: Node): Node {
  const items: Node[] = [];
  const walk = (x: Node): void => {
    if (x.k === 'binop' && x.op === '|') { walk(x.left); walk(x.right); } else items.push(x);
  };
  walk(e);
  if (items.length === 1) return items[0]!;
  return { k: 'list', items, len: e.len, dtype: e.dtype, order: e.order, flags: 0 } satisfies ListNode;
}

/** bitmask_expr_to_binops: a value of several flags as `a | b | c`, lowest bit first. */
export function bitmaskToBinops(e: ValueNode): Node {
  let out: Node | undefined;
  let count = 0;
  for (let i = 0, v = e.v; v > 0n; i++, v >>= 1n) {
    if ((v & 1n) === 0n) continue;
    count++;
    const flag: ValueNode = { ...e, v: 1n << BigInt(i) };
    out = out === undefined ? flag : { k: 'binop', op: '|', left: out, right: flag, len: 0, dtype: e.dtype, order: e.order, flags: 0 };
  }
  return count <= 1 || out === undefined ? e : out;
}

// expr_postprocess_string: a name compared without its NUL is a prefix (`"eth*"`); a literal * is escaped.
function postprocessString(e: ValueNode): Node {
  const n = Math.ceil(e.len / 8);
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = Number((e.v >> BigInt(8 * i)) & 0xffn);
  if (n > 0 && bytes[n - 1] === 0) {
    const len = bytes.indexOf(0);
    if (len > 0 && bytes[len - 1] === 0x2a) return stringValue(e, Buffer.concat([bytes.subarray(0, len - 1), Buffer.from('\\*\0')]));
    return e;
  }
  return stringValue(e, Buffer.concat([bytes, Buffer.from('*\0')]));
}

function stringValue(e: ValueNode, bytes: Buffer): ValueNode {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return { ...e, v, len: bytes.length * 8, order: 'host' };
}

export { F_BOOLEAN, bitmask };
