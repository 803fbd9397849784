// The declarative core of the expression codecs: each expression lists its
// attributes in the order libnftnl sends them, with a kind saying how each
// is encoded. One generic encoder/decoder serves them all; an attribute the
// spec does not know makes the whole expression decode as 'raw', so what we
// do not understand still re-encodes byte for byte.
import { show } from '../../check.js';
import type { KernelEnum } from '../enums.js';
import * as U from '../uapi.js';
import { attrLen, attrList, attrType, copyBytes, DecodeError, nextAttr, readBe32, type Attr, type Writer } from '../wire.js';
import { checkVerdict, decodeDataAt, encodeData, type Data, type Verdict } from './data.js';
import type { Delinearize } from '../print/delinearize.js';

export type FieldKind =
  | 'be32' | 'be16' | 'be64' | 'u8'
  | 'str'         // NUL-terminated
  | 'strn'        // without the NUL
  | 'reg'         // a register number (be32), validated
  | 'value'       // nested NFTA_DATA_VALUE: bytes
  | 'data'        // nested NFTA_DATA_VALUE or NFTA_DATA_VERDICT
  | 'expr'        // one nested expression
  | 'exprs';      // a list of nested expressions (NFTA_LIST_ELEM)

export interface Field {
  key: string;
  attr: number;
  kind: FieldKind;
  enum?: KernelEnum;
  /** Length in bytes of what the register holds, for range checks. */
  regLen?: (e: Record<string, unknown>) => number | undefined;
  /** The kernel refuses the expression without it. */
  required?: boolean;
}

export interface ExprSpec {
  /** The kernel's expression name (NFTA_EXPR_NAME). */
  name: string;
  fields: Field[];
  /**
   * How the expression reads back into nft's statements when a rule is
   * printed (netlink_delinearize.c): a load into a register, or a statement.
   */
  delinearize?: Delinearize;
  /**
   * The rule prints an interface index this expression loads or sends by its
   * name (`meta iif "eth0"`), so a listing needs the namespace's links.
   */
  namesInterfaces?: (e: Record<string, unknown>) => boolean;
  /**
   * What nft sends for the statement a listed expression prints as, where
   * that is not what the kernel lists (Ruleset.toTransaction()): the kernel
   * fills in defaults nft leaves out (a counter's zeros, a log level of
   * warn), and leaves out some nft sends (a socket's level 0). `hint` is
   * what the printer learnt of the expression's statement.
   */
  recreate?: (e: Record<string, unknown>, hint: RecreateHint, rule: RuleEdit) => Record<string, unknown> | undefined;
  /** libnftnl sends no NFTA_EXPR_DATA at all for it (notrack). */
  noData?: boolean;
  /**
   * The chains, sets, objects and flowtables it names (commit()'s
   * reordering keeps it after what makes them); false when that is not
   * known. Without it, the expression names nothing.
   */
  refs?: (e: Record<string, unknown>, r: ExprRefs) => boolean;
  /** The fields that hold expressions (filled in by register). */
  nested?: Field[];
  /** The fields with the registers last, for validation (filled in by register). */
  regsLast?: Field[];
  /** Fields by attribute type (filled in by register). */
  byAttr?: (Field | undefined)[];
}

/** A raw expression: one the codec does not know (or with attributes it does not know), kept as bytes. */
export interface RawExpr {
  type: 'raw';
  /** The kernel's expression name. */
  name: string;
  /** The NFTA_EXPR_DATA payload, exactly as the kernel sent it. */
  data: Uint8Array;
}

/** Thrown for expressions that cannot be encoded: a typed error raised before anything is sent. */
export class ExpressionError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

const specs = new Map<string, ExprSpec>();

// Expression names as they appear on the wire, so a listing does not make
// a string per expression: bytes (up to the first NUL) -> name and spec.
interface NameEntry { bytes: Uint8Array; name: string; spec: ExprSpec | undefined }
const NAME_SLOTS = 64;
const nameSlots: (NameEntry | undefined)[] = new Array<NameEntry | undefined>(NAME_SLOTS);

export function register(spec: ExprSpec): ExprSpec {
  spec.byAttr = [];
  spec.regsLast = [...spec.fields.filter((f) => f.kind !== 'reg'), ...spec.fields.filter((f) => f.kind === 'reg')];
  for (const f of spec.fields) spec.byAttr[f.attr] = f;
  const nested = spec.fields.filter((f) => f.kind === 'expr' || f.kind === 'exprs');
  if (nested.length > 0) spec.nested = nested;
  specs.set(spec.name, spec);
  nameSlots.fill(undefined);
  return spec;
}

export function specOf(name: string): ExprSpec | undefined {
  return specs.get(name);
}

/** How an expression tells what it names (ExprSpec.refs). */
export interface ExprRefs {
  verdict(v: Verdict): void;
  set(name: string): void;
  /** A set given inline (the rule makes it), with its elements. */
  inlineSet(elements: { verdict?: Verdict }[] | undefined): void;
  object(name: string): void;
  flowtable(name: string): void;
}

/** What the printer learnt of a listed expression's statement that changes what nft sends for it. */
export interface RecreateHint {
  /** A bitwise that prints as a prefix or a flag list: nft sends it without NFTA_BITWISE_OP. */
  bitwiseWithoutOp?: boolean;
  /** A bitwise that prints as nothing (a mask of every bit): nft sends none. */
  bitwiseDropped?: boolean;
  /** A bitwise that prints as a prefix of whole bytes: nft loads and compares those bytes only, without a mask. */
  prefixBytes?: number;
  /** A NAT statement that prints a port of its own (`dnat to 10.0.0.1:80`): nft adds proto-specified to its flags. */
  natProto?: boolean;
  /**
   * Send what nft sends for the printed text even where the kernel then
   * holds other bytes that match the same packets (a mask of every bit
   * dropped, a prefix of whole bytes loaded shorter); without it the rule
   * is recreated as the kernel held it.
   */
  reread?: boolean;
}

const NO_HINT: RecreateHint = {};

/** A rule's expressions while they are recreated: a hook may change the ones around it (replace, never mutate). */
export interface RuleEdit {
  readonly exprs: (Expr | undefined)[];
  /** The index of the last expression before `at` that loads into `reg`, or -1. */
  loaderOf(reg: number, at: number): number;
  /** The index of the first expression after `at` that reads `reg`, or -1. */
  readerOf(reg: number, at: number): number;
}

/**
 * A listed rule's expressions as nft sends them for the statements they
 * print as (see ExprSpec.recreate); nested expressions (a dynset's) too.
 */
export function recreateRule(exprs: Expr[], hints?: ReadonlyMap<number, RecreateHint>, reread = false): Expr[] {
  // Most rules come back as they are: the array is copied only when an expression changes.
  let out: (Expr | undefined)[] = exprs;
  let edit: RuleEdit | undefined;
  const editOf = (): RuleEdit => {
    if (out === exprs) out = exprs.slice();
    const arr = out;
    return edit ??= {
      exprs: arr,
      loaderOf: (reg, at) => {
        for (let i = at - 1; i >= 0; i--) if ((arr[i] as { dreg?: number } | undefined)?.dreg === reg) return i;
        return -1;
      },
      readerOf: (reg, at) => {
        for (let i = at + 1; i < arr.length; i++) if ((arr[i] as { sreg?: number } | undefined)?.sreg === reg) return i;
        return -1;
      },
    };
  };
  let dropped = false;
  for (let i = 0; i < out.length; i++) {
    const e = out[i]!;
    const spec = specs.get(e.type);
    // An expression without a hook or nested expressions is sent as listed.
    if (spec === undefined || (spec.recreate === undefined && spec.nested === undefined)) continue;
    const hint = hints?.get(i) ?? NO_HINT;
    const x = recreateOne(e, spec, reread ? { ...hint, reread } : hint, spec.recreate !== undefined && spec.recreate.length > 2 ? editOf() : NO_EDIT);
    if (x === e) continue;
    if (out === exprs) out = exprs.slice();
    out[i] = x;
    if (x === undefined) dropped = true;
  }
  if (out === exprs) return exprs;
  return dropped ? out.filter((x): x is Expr => x !== undefined) : (out as Expr[]);
}

const NO_EDIT: RuleEdit = { exprs: [], loaderOf: () => -1, readerOf: () => -1 };

/** One listed expression as nft sends it (see recreateRule), or undefined if nft sends nothing for it. */
export function recreateExpr(e: Expr, hint: RecreateHint = NO_HINT): Expr | undefined {
  const spec = specs.get(e.type);
  return spec === undefined ? e : recreateOne(e, spec, hint, NO_EDIT);
}

function recreateOne(e: Expr, spec: ExprSpec, hint: RecreateHint, edit: RuleEdit): Expr | undefined {
  const first = spec.recreate !== undefined ? spec.recreate(e, hint, edit) : e;
  if (first === undefined) return undefined;
  let out: Record<string, unknown> = first;
  for (const f of spec.nested ?? []) {
    const v = out[f.key];
    if (v === undefined) continue;
    const x = f.kind === 'expr' ? recreateExpr(v as Expr) ?? v : recreateRule(v as Expr[]);
    if (x !== v) out = { ...out, [f.key]: x };
  }
  return out as Expr;
}

/** A copy of `e` without the keys whose values `drop` picks (or `e` itself if none). */
export function without(e: Record<string, unknown>, drop: (key: string, v: unknown) => boolean): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(e)) {
    if (e[k] === undefined || !drop(k, e[k])) continue;
    out ??= { ...e };
    delete out[k];
  }
  return out ?? e;
}

/** True if printing the expression names an interface by its index (see ExprSpec.namesInterfaces). */
export function namesInterfaces(e: Expr): boolean {
  const f = specs.get(e.type)?.namesInterfaces;
  return f !== undefined && f(e);
}

export function knownExpressions(): string[] {
  return [...specs.keys()];
}

// Registers: NFT_REG_VERDICT (0), the four 16-byte registers 1..4, or the
// sixteen 32-bit registers 8..23 (NFT_REG32_00..15). They alias: 1 = 8..11.
function regSpan(reg: number, len: number | undefined, what: string): void {
  if (!Number.isInteger(reg)) throw new ExpressionError(`${what}: register must be an integer, got ${show(reg)}`);
  let start: number;
  if (reg >= U.NFT_REG_1 && reg <= U.NFT_REG_4) start = (reg - U.NFT_REG_1) * 4;
  else if (reg >= U.NFT_REG32_00 && reg <= U.NFT_REG32_15) start = reg - U.NFT_REG32_00;
  else throw new ExpressionError(`${what}: register ${reg} does not exist (1-4 or 8-23)`);
  if (len !== undefined && (len <= 0 || start * 4 + len > 64)) {
    throw new ExpressionError(`${what}: ${len} bytes starting at register ${reg} run past the last register`);
  }
}

/** Checks one expression before it is encoded: kinds of values, register ranges. */
export function validateFields(spec: ExprSpec, e: Record<string, unknown>, where: string): void {
  // Runs for every expression queued: the field's description is only built for an error.
  const what = (f: Field): string => `${where}: ${spec.name}.${f.key}`;
  // Registers last: their checks read the other fields (a load's len).
  for (const f of spec.regsLast ?? spec.fields) {
    const v = e[f.key];
    if (v === undefined) {
      if (f.required === true) throw new ExpressionError(`${what(f)}: missing`);
      continue;
    }
    switch (f.kind) {
      case 'reg':
        if (typeof v !== 'number' || !regInRange(v, f.regLen?.(e))) regSpan(v as number, f.regLen?.(e), what(f));
        break;
      case 'be32': case 'be16': case 'u8': case 'be64': {
        const n = f.enum !== undefined ? (f.enum.has(v) ? f.enum.number(v as string) : undefined) : v;
        if (n === undefined) throw new ExpressionError(`${what(f)}: unknown ${f.enum!.what} ${typeof v === 'string' ? show(v.slice(0, 40)) : typeof v}; known: ${[...f.enum!.byName.keys()].join(', ')}`);
        const max = f.kind === 'be32' ? 0xffffffff : f.kind === 'be16' ? 0xffff : f.kind === 'u8' ? 0xff : Number.MAX_SAFE_INTEGER;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new ExpressionError(`${what(f)}: expected an integer 0..${max}, got ${show(v)}`);
        break;
      }
      case 'str': case 'strn':
        if (typeof v !== 'string' || v.length === 0 || (v.length > 85 && Buffer.byteLength(v) > 255) || v.includes('\0')) {
          throw new ExpressionError(`${what(f)}: expected a string of 1-255 bytes without NUL`);
        }
        break;
      case 'value':
        if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 64) throw new ExpressionError(`${what(f)}: expected 1-64 bytes`);
        break;
      case 'data':
        if (!(v instanceof Uint8Array) && (typeof v !== 'object' || v === null || !('kind' in v))) throw new ExpressionError(`${what(f)}: expected bytes or a verdict`);
        if (!(v instanceof Uint8Array)) {
          try { checkVerdict(v, what(f)); } catch (err) { throw new ExpressionError((err as Error).message); }
        }
        break;
      case 'expr':
        validateExpr(v as Expr, what(f));
        break;
      case 'exprs':
        if (!Array.isArray(v)) throw new ExpressionError(`${what(f)}: expected an array of expressions`);
        for (const x of v) validateExpr(x as Expr, what(f));
        break;
    }
  }
}

// regSpan's checks, without building a message: true when it would pass.
function regInRange(reg: number, len: number | undefined): boolean {
  let start: number;
  if (reg >= U.NFT_REG_1 && reg <= U.NFT_REG_4 && Number.isInteger(reg)) start = (reg - U.NFT_REG_1) * 4;
  else if (reg >= U.NFT_REG32_00 && reg <= U.NFT_REG32_15 && Number.isInteger(reg)) start = reg - U.NFT_REG32_00;
  else return false;
  return len === undefined || (len > 0 && start * 4 + len <= 64);
}

export interface AnyExpr {
  type: string;
  [key: string]: unknown;
}
export type Expr = AnyExpr;

/** Validates an expression (known or raw) and throws ExpressionError if it would be refused. */
export function validateExpr(e: Expr, where: string): void {
  if (typeof e !== 'object' || e === null || typeof e.type !== 'string') throw new ExpressionError(`${where}: not an expression`);
  if (e.type === 'raw') {
    const r = e as unknown as RawExpr;
    if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length > 15 || !(r.data instanceof Uint8Array)) {
      throw new ExpressionError(`${where}: raw expression needs a name (1-15 bytes) and data bytes`);
    }
    validateRawRegisters(r, where);
    return;
  }
  const spec = specs.get(e.type);
  if (spec === undefined) throw new ExpressionError(`${where}: unknown expression type ${show(e.type)}`);
  validateFields(spec, e, where);
}

// A raw expression of a kind we know the layout of gets its registers
// checked too: the bytes are parsed with the spec and any reg field tested.
function validateRawRegisters(r: RawExpr, where: string): void {
  const spec = specs.get(r.name);
  if (spec === undefined) return;
  let attrs: Attr[];
  try {
    attrs = attrList(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  } catch (e) {
    throw new ExpressionError(`${where}: raw ${r.name} data is not a valid attribute stream: ${(e as Error).message}`);
  }
  for (const a of attrs) {
    const f = spec.fields.find((x) => x.attr === a.type);
    if (f?.kind === 'reg') {
      if (a.data.length !== 4) throw new ExpressionError(`${where}: raw ${r.name}.${f.key}: register attribute must be 4 bytes`);
      regSpan(a.data.readUInt32BE(0), undefined, `${where}: raw ${r.name}.${f.key}`);
    }
  }
}

function encodeField(w: Writer, f: Field, v: unknown): void {
  switch (f.kind) {
    case 'reg': case 'be32': w.be32(f.attr, f.enum ? f.enum.number(v as string) : (v as number)); break;
    case 'be16': w.be16(f.attr, f.enum ? f.enum.number(v as string) : (v as number)); break;
    case 'u8': w.u8(f.attr, f.enum ? f.enum.number(v as string) : (v as number)); break;
    case 'be64': w.be64(f.attr, BigInt(v as number)); break;
    case 'str': w.strz(f.attr, v as string); break;
    case 'strn': w.attr(f.attr, Buffer.from(v as string)); break;
    case 'value': case 'data': encodeData(w, f.attr, v as Data); break;
    case 'expr': { const t = w.nest(f.attr); encodeExprBody(w, v as Expr); w.end(t); break; }
    case 'exprs': {
      const t = w.nest(f.attr);
      for (const x of v as Expr[]) encodeExpr(w, x);
      w.end(t);
      break;
    }
  }
}

/** Writes NFTA_EXPR_NAME and NFTA_EXPR_DATA (the inside of one expression). */
export function encodeExprBody(w: Writer, e: Expr): void {
  if (e.type === 'raw') {
    const r = e as unknown as RawExpr;
    w.strz(U.NFTA_EXPR_NAME, r.name);
    w.attr(U.NFTA_EXPR_DATA | 0x8000, r.data);
    return;
  }
  const spec = specs.get(e.type);
  if (spec === undefined) throw new ExpressionError(`unknown expression type ${show(e.type)}`);
  w.strz(U.NFTA_EXPR_NAME, spec.name);
  // libnftnl sends NFTA_EXPR_DATA even for expressions without attributes, but not for the ones it has no builder for.
  if (spec.noData === true) return;
  const t = w.nest(U.NFTA_EXPR_DATA);
  for (const f of spec.fields) {
    const v = e[f.key];
    if (v !== undefined) encodeField(w, f, v);
  }
  w.end(t);
}

/** Writes one NFTA_LIST_ELEM holding an expression. */
export function encodeExpr(w: Writer, e: Expr): void {
  const t = w.nest(U.NFTA_LIST_ELEM);
  encodeExprBody(w, e);
  w.end(t);
}

class Unknown extends Error {}

function decodeField(f: Field, buf: Buffer, at: number, len: number): unknown {
  switch (f.kind) {
    case 'reg': case 'be32': {
      if (len !== 4) throw new Unknown();
      const n = readBe32(buf, at);
      return f.enum ? f.enum.name(n) : n;
    }
    case 'be16': {
      if (len !== 2) throw new Unknown();
      const n = (buf[at]! << 8) | buf[at + 1]!;
      return f.enum ? f.enum.name(n) : n;
    }
    case 'u8':
      if (len !== 1) throw new Unknown();
      return f.enum ? f.enum.name(buf[at]!) : buf[at];
    case 'be64':
      if (len !== 8) throw new Unknown();
      return readBe32(buf, at) * 0x100000000 + readBe32(buf, at + 4);
    case 'str': case 'strn':
      return buf.toString('utf8', at, len > 0 && buf[at + len - 1] === 0 ? at + len - 1 : at + len);
    case 'value': {
      const d = decodeDataAt(buf, at, len);
      if (!(d instanceof Uint8Array)) throw new Unknown();
      return d;
    }
    case 'data':
      return decodeDataAt(buf, at, len);
    case 'expr':
      return decodeExprBodyAt(buf, at, len);
    case 'exprs': {
      const out: Expr[] = [];
      const end = at + len;
      for (let p = at; end - p >= 4;) {
        const n = attrLen(buf, p, end);
        if (attrType(buf, p) !== U.NFTA_LIST_ELEM) throw new Unknown();
        out.push(decodeExprBodyAt(buf, p + 4, n - 4));
        p = nextAttr(p, n);
      }
      return out;
    }
  }
}

/** Decodes the inside of one expression (NFTA_EXPR_NAME + NFTA_EXPR_DATA). */
export function decodeExprBody(buf: Buffer): Expr {
  return decodeExprBodyAt(buf, 0, buf.length);
}

function exprName(buf: Buffer, at: number, len: number): NameEntry {
  let h = len;
  for (let i = 0; i < len; i++) h = (h * 31 + buf[at + i]!) & 0xffff;
  const slot = h & (NAME_SLOTS - 1);
  const e = nameSlots[slot];
  if (e !== undefined && e.bytes.length === len) {
    let i = 0;
    while (i < len && e.bytes[i] === buf[at + i]) i++;
    if (i === len) return e;
  }
  const name = buf.toString('utf8', at, at + len);
  const entry: NameEntry = { bytes: copyBytes(buf, at, len), name, spec: specs.get(name) };
  // Only names of known expressions are kept: the set of those is small and fixed.
  if (entry.spec !== undefined) nameSlots[slot] = entry;
  return entry;
}

/** Decodes the expression whose attributes are buf[off, off + len). */
export function decodeExprBodyAt(buf: Buffer, off: number, len: number): Expr {
  let nameAt = -1, nameLen = 0, dataAt = -1, dataLen = 0;
  const end = off + len;
  for (let p = off; end - p >= 4;) {
    const n = attrLen(buf, p, end);
    const type = attrType(buf, p);
    if (type === U.NFTA_EXPR_NAME) { nameAt = p + 4; nameLen = n - 4; }
    else if (type === U.NFTA_EXPR_DATA) { dataAt = p + 4; dataLen = n - 4; }
    p = nextAttr(p, n);
  }
  if (nameAt < 0) throw new DecodeError('expression without a name');
  let nameEnd = nameAt;
  while (nameEnd < nameAt + nameLen && buf[nameEnd] !== 0) nameEnd++;
  const { name, spec } = exprName(buf, nameAt, nameEnd - nameAt);
  if (spec === undefined) return raw(name, buf, dataAt, dataLen);
  // No NFTA_EXPR_DATA reads like an empty one: both encode the same way (an empty nest).
  if (dataAt < 0) return { type: name };
  try {
    const e: Expr = { type: name };
    let seen = 0;
    const dataEnd = dataAt + dataLen;
    for (let p = dataAt; dataEnd - p >= 4;) {
      const n = attrLen(buf, p, dataEnd);
      const type = attrType(buf, p);
      const f = spec.byAttr?.[type] ?? spec.fields.find((x) => x.attr === type);
      if (f === undefined || type >= 31 || seen & (1 << type)) throw new Unknown();
      seen |= 1 << type;
      e[f.key] = decodeField(f, buf, p + 4, n - 4);
      p = nextAttr(p, n);
    }
    return e;
  } catch (err) {
    if (err instanceof Unknown || err instanceof DecodeError) return raw(name, buf, dataAt, dataLen);
    throw err;
  }
}

function raw(name: string, buf: Buffer, dataAt: number, dataLen: number): Expr {
  return { type: 'raw', name, data: copyBytes(buf, Math.max(dataAt, 0), dataLen) } satisfies RawExpr as unknown as Expr;
}

export type { Data, Verdict };
