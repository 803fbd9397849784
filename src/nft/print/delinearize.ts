// A rule's expressions back into nft's statements (netlink_delinearize.c,
// the parse half): each expression kind's `delinearize` hook (in its file
// under expr/) reads registers and either loads a new value into one or
// emits a statement. What each register holds is tracked by Registers.
import type { Family } from '../enums.js';
import type { Expression } from '../expr/index.js';
import type { RecreateHint } from '../expr/spec.js';
import { bytesToBig } from './value.js';
import { clone, INVALID, value, VERDICT, type ConcatNode, type Node, type Out, type SetInfo, type Stmt, type ValueNode } from './ast.js';

/** A rule the printer cannot rebuild (a register read before anything was loaded into it, ...). */
export class DelinearizeError extends Error {}

/** The 32-bit register slots nft tracks (1..16); NFT_REG_1..4 are slots 1, 5, 9, 13. */
export const MAX_REGS = 16;

/** netlink_parse_register: a register number as a 32-bit slot. */
export function slotOf(reg: number): number {
  if (reg >= 1 && reg <= 4) return 1 + (reg - 1) * 4;
  if (reg >= 8) return 1 + reg - 8;
  return reg;
}

/** Bits of registers a value of `len` bits takes (netlink_padded_len). */
export const paddedLen = (len: number): number => Math.ceil(len / 32) * 32;
/** 32-bit registers a value of `len` bits takes (netlink_register_space). */
export const registerSpace = (len: number): number => Math.ceil(len / 32);

/** What each register holds while a rule is read. */
export class Registers {
  readonly #slots: (Node | undefined)[] = new Array<Node | undefined>(MAX_REGS + 1);
  // Which slots were loaded and not read since (nft reads every load it makes, so these are parts still to come).
  readonly #unread: boolean[] = new Array<boolean>(MAX_REGS + 1).fill(false);

  /** netlink_set_register: `reg` is a register number as the kernel has it. */
  set(reg: number, e: Node): void {
    const s = slotOf(reg);
    if (!Number.isInteger(s) || s <= 0 || s > MAX_REGS) throw new DelinearizeError(`invalid destination register ${reg}`);
    // What runs past the last register is no load nft makes (nor the kernel takes).
    if (e.len > (MAX_REGS + 1 - s) * 32) throw new DelinearizeError(`a load of ${e.len} bits does not fit from register ${reg}`);
    this.#slots[s] = e;
    this.#unread[s] = true;
  }

  /** A copy of what `reg` holds (netlink_get_register), or undefined. */
  get(reg: number): Node | undefined {
    return this.getSlot(slotOf(reg));
  }

  getSlot(s: number): Node | undefined {
    if (!Number.isInteger(s) || s <= 0 || s > MAX_REGS) throw new DelinearizeError(`invalid source register slot ${s}`);
    const e = this.#slots[s];
    this.#unread[s] = false;
    return e === undefined ? undefined : clone(e);
  }

  /** What slot `s` holds if nothing read it since it was loaded, without reading it. */
  peekUnread(s: number): Node | undefined {
    return s >= 1 && s <= MAX_REGS && this.#unread[s] === true ? this.#slots[s] : undefined;
  }
}

/**
 * What a rule shows of a set it names: the key it looks up (from register
 * `reg`, when given), and what kind of value it gets back.
 */
export interface SetGuess { key: Node; reg?: number; data?: 'verdict' | 'value' | 'object' }

const NFT_SET_MAP = 0x8, NFT_SET_OBJECT = 0x40;

function guessedSet(name: string, g: SetGuess): SetInfo {
  const key = value(0n, g.key.len, g.key.dtype, g.key.order);
  const flags = g.data === 'object' ? NFT_SET_OBJECT : g.data !== undefined ? NFT_SET_MAP : 0;
  return {
    name, flags, key, typeofKey: false, guessed: true,
    ...(g.data === 'verdict' ? { data: value(0n, 128, VERDICT) } : g.data === 'value' ? { data: value(0n, 0, INVALID) } : {}),
    init: { k: 'set', elems: [], anonymous: false, len: 0, dtype: key.dtype, order: 'big', flags: 0 },
  };
}

/** netlink_parse_ctx: the state of one rule being read. */
export class RuleParser {
  readonly regs = new Registers();
  readonly stmts: Stmt[] = [];
  /** The index in the rule of the expression being read. */
  index = -1;
  /** What the printer learns of each expression's statement that changes what nft sends for it (see RecreateHint). */
  readonly hints = new Map<number, RecreateHint>();
  /** The statement the current expression made (emitted after it). */
  stmt: Stmt | undefined;

  constructor(readonly family: Family, readonly sets: (ref: string | object) => SetInfo | undefined,
    readonly out: Out, readonly chainBinding: (name: string) => string[] | undefined = () => undefined) {}

  /** The set a rule names (or gives inline, in a transaction), or an error as nft reports it. */
  setOf(ref: string | object, what: string, guess?: SetGuess): SetInfo {
    const s = this.sets(ref);
    if (s !== undefined) return s;
    // A set the caller did not give (printRule without the sets): nft would
    // stop here; we print `@name` with what the rule shows of it.
    if (typeof ref === 'string' && guess !== undefined) return guessedSet(ref, guess.reg === undefined ? guess : { ...guess, key: this.#withUnread(guess.reg, guess.key) });
    throw new DelinearizeError(`Unknown set '${typeof ref === 'string' ? ref : '{ }'}' in ${what}`);
  }

  // A key looked up from `reg`, with the loads in the registers after it that
  // nothing has read yet: the other parts of a concatenated key (nft loads
  // them into consecutive registers just before the lookup).
  #withUnread(reg: number, key: Node): Node {
    const parts = [key];
    for (let slot = slotOf(reg) + registerSpace(key.len), e = this.regs.peekUnread(slot); e !== undefined && e.len > 0; e = this.regs.peekUnread(slot)) {
      parts.push(e);
      slot += registerSpace(e.len);
    }
    return parts.length === 1 ? key : concat(parts);
  }

  /** The register's value, or an error naming what needed it. */
  need(reg: number, what: string): Node {
    const e = this.regs.get(reg);
    if (e === undefined) throw new DelinearizeError(`${what} has no expression`);
    return e;
  }

  /** Notes a hint for expression `index` (see RecreateHint). */
  hint(index: number | undefined, h: RecreateHint): void {
    if (index === undefined || index < 0) return;
    this.hints.set(index, { ...this.hints.get(index), ...h });
  }

  emit(s: Stmt): void {
    this.stmt = s;
  }

  /** How an expression is read (the caller's dispatch over the expression kinds). */
  parse: (e: Expression) => void = () => { throw new DelinearizeError('no expression reader'); };

  /** A statement nested in another (a dynset's or an element's expressions): read apart from the rule's statements. */
  nested(e: Expression): Stmt {
    const saved = this.stmt;
    this.stmt = undefined;
    this.parse(e);
    const s = this.stmt as Stmt | undefined;
    this.stmt = saved;
    if (s === undefined) throw new DelinearizeError('Could not parse dynset stmt');
    return s;
  }

  /** netlink_parse_concat_key: a concatenated key, each part typed as the set's key says. */
  concatKey(reg: number, key: Node): ConcatNode {
    const types = key.k === 'concat' ? key.parts.map((x) => x.dtype) : key.dtype.parts ?? [];
    const parts: Node[] = [];
    let slot = slotOf(reg);
    let len = key.len;
    let n = 0;
    while (len > 0) {
      const e = this.regs.getSlot(slot);
      if (e === undefined || e.len <= 0) throw new DelinearizeError('Concat expression size mismatch');
      const t = types[n++];
      if (t !== undefined) { e.dtype = t; e.order = t.order; }
      parts.push(e);
      len -= paddedLen(e.len);
      slot += registerSpace(e.len);
    }
    return concat(parts);
  }

  /** netlink_parse_concat_expr: the loads in consecutive registers from `reg`, `len` bits in all. */
  concatExpr(reg: number, len: number): ConcatNode {
    const parts: Node[] = [];
    let slot = slotOf(reg);
    while (len > 0) {
      const e = this.regs.getSlot(slot);
      if (e === undefined || e.len <= 0) throw new DelinearizeError('Relational expression size mismatch');
      parts.push(e);
      len -= paddedLen(e.len);
      slot += registerSpace(e.len);
    }
    return concat(parts);
  }

  /** netlink_parse_concat_data: `data` cut into the parts a concatenation from `reg` loads. */
  concatData(reg: number, len: number, data: ValueNode): ConcatNode {
    const parts: Node[] = [];
    let slot = slotOf(reg);
    while (len > 0) {
      const e = this.regs.getSlot(slot);
      if (e === undefined || e.len <= 0) throw new DelinearizeError('Relational expression size mismatch');
      const rest = data.len - e.len;
      parts.push(value((data.v >> BigInt(rest)) & ((1n << BigInt(e.len)) - 1n), e.len));
      data.len = rest - (paddedLen(e.len) - e.len);
      data.v &= (1n << BigInt(Math.max(data.len, 0))) - 1n;
      len -= paddedLen(e.len);
      slot += registerSpace(e.len);
    }
    return concat(parts);
  }
}

export function concat(parts: Node[]): ConcatNode {
  return { k: 'concat', parts, len: parts.reduce((n, p) => n + paddedLen(p.len), 0), dtype: INVALID, order: 'big', flags: 0 };
}

/** netlink_alloc_value: register bytes as nft's constant (big-endian, of no type yet). */
export function dataValue(b: Uint8Array): ValueNode {
  return value(bytesToBig(b), b.length * 8);
}

/** How one kind of expression reads back into nft's statements. */
export type Delinearize = (e: Expression & Record<string, unknown>, p: RuleParser) => void;
