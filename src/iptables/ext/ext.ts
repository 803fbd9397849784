// What every x_tables extension (a match or a target) provides, one file per
// extension under src/iptables/ext/: its typed options, the kernel struct it
// encodes to (name, revision and size as iptables 1.8.9 sends them), a
// decoder for the revisions it reads, its iptables-save text, and the
// iptables options that parse into it.
import type { Family } from '../wire.js';

/** Thrown for iptables syntax that does not parse (a rule line, an option). */
export class IptablesParseError extends Error {
  /** 1-based line of the input, when parsing a whole file. */
  line?: number;
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'IptablesParseError';
    if (line !== undefined) this.line = line;
  }
}

export interface DecodeContext {
  family: Family;
  /** ipset names by index (the set match), resolved before decoding. */
  setName(index: number): string | undefined;
  /** And back (a decoded set match is re-encoded to check it is exact). */
  setIndex(name: string): number;
}

export interface EncodeContext {
  family: Family;
  /** The kernel's index of an ipset (the set match), resolved before encoding. */
  setIndex(name: string): number;
}

export interface SaveContext {
  family: Family;
  /** The rule's layer-4 protocol number (0: any). */
  protocol: number;
}

export interface ParseContext {
  family: Family;
  /** The rule's layer-4 protocol number so far (0: any). */
  protocol: number;
}

/** One iptables option of an extension: `--name [ARG [ARG]]`, maybe after `!`. */
export interface OptionSpec<T> {
  args: 0 | 1 | 2;
  /** Whether `! --name` is allowed. */
  invert?: boolean;
  apply(state: T, args: string[], invert: boolean, ctx: ParseContext): void;
}

export interface Parser<T> {
  options: Record<string, OptionSpec<T>>;
  /** A fresh object with iptables' defaults (its `init`). */
  init(ctx: ParseContext): T;
  /** Final checks once every option was seen (its `final_check`). */
  finish?(state: T, ctx: ParseContext, seen: Set<string>): void;
}

/** The kernel struct an object encodes to. */
export interface Wire {
  /** The extension's kernel name (xt_entry_match/target name). */
  kernel: string;
  revision: number;
  /** Bytes of data after the 32-byte header, before XT_ALIGN. */
  size: number;
}

export interface Codec<T extends { name: string }> {
  kind: 'match' | 'target';
  /** The typed object's `name`. */
  name: T['name'];
  /** Throws TypeError/RangeError for options the kernel would not take. */
  check(v: T, family: Family, what: string): void;
  wire(v: T, family: Family): Wire;
  /** Writes the data part into zeroed bytes at `at`. */
  encode(v: T, b: Uint8Array, at: number, ctx: EncodeContext): void;
  /** The name after `-m`/`-j` in iptables-save output (default: the kernel name). */
  printName?(v: T): string;
  /** The options iptables-save prints after `-m NAME` / `-j NAME`, each with a leading space. */
  save(v: T, ctx: SaveContext): string;
  parser: Parser<T>;
}

export interface Decoder {
  kind: 'match' | 'target';
  /** The kernel name it reads. */
  kernel: string;
  /** Returns undefined for a revision or layout it does not know (the caller keeps the bytes raw). */
  decode(b: Uint8Array, at: number, len: number, revision: number, ctx: DecodeContext): { name: string } | undefined;
}

/** Parses an unsigned integer as strtoul with base 0 does (decimal, 0x hex, 0 octal), within [min, max]. */
export function parseUint(s: string, what: string, min = 0, max = 0xffffffff): number {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) v = parseInt(s.slice(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(s)) v = Number(s);
  else throw new IptablesParseError(`${what}: not a number: ${JSON.stringify(s)}`);
  if (v < min || v > max) throw new IptablesParseError(`${what}: ${s} is outside ${min}..${max}`);
  return v;
}

/** `VALUE[/MASK]` (xtables_parse_mark_mask); the mask defaults to all ones. */
export function parseMarkMask(s: string, what: string): { value: number; mask: number } {
  const slash = s.indexOf('/');
  if (slash < 0) return { value: parseUint(s, what), mask: 0xffffffff };
  return { value: parseUint(s.slice(0, slash), what), mask: parseUint(s.slice(slash + 1), what) };
}

export const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** xtables_print_mark_mask: `0xV` or `0xV/0xM`. */
export const markMask = (value: number, mask: number): string =>
  mask === 0xffffffff ? ` ${hex(value)}` : ` ${hex(value)}/${hex(mask)}`;

/** xtables_save_string: bare when it is only [_-0-9A-Za-z], else quoted with " \ ' escaped. */
export function saveString(s: string): string {
  if (/^[_\-0-9a-zA-Z]+$/.test(s)) return ` ${s}`;
  return ` "${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/**
 * A word iptables-save prints bare (`printf(" %s")`): bare as it does while
 * restore would read it back as it is, quoted as saveString quotes (so that
 * it still reads back) when it is empty or has whitespace, a quote or a
 * backslash, which iptables-save would print in a form that does not.
 */
export function saveWord(s: string): string {
  return s !== '' && !/[\s"'\\]/.test(s) ? ` ${s}` : saveString(s);
}

/** Checks an unsigned integer field. */
export function checkUint(v: unknown, what: string, max: number, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${what} must be an integer`);
  if (v < min || v > max) throw new RangeError(`${what} must be ${min}..${max}`);
  return v;
}

/** Checks a string that goes into a fixed-size, NUL-terminated field of `size` bytes. */
export function checkFixedString(v: unknown, what: string, size: number, allowEmpty = true): string {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  if (!allowEmpty && v === '') throw new RangeError(`${what} must not be empty`);
  if (v.includes('\0')) throw new RangeError(`${what} must not contain NUL`);
  if (Buffer.byteLength(v, 'utf8') > size - 1) throw new RangeError(`${what} is longer than ${size - 1} bytes`);
  return v;
}

/** Checks that `v` is a plain object whose keys are all in `allowed`. */
export function checkKeys(v: object, allowed: readonly string[], what: string): void {
  // for-in, not Object.keys: no array made per object (half a million rules are checked at a time).
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (!allowed.includes(k) && (v as Record<string, unknown>)[k] !== undefined) {
      throw new TypeError(`${what}: unknown option ${JSON.stringify(k)}`);
    }
  }
}

export function checkBool(v: unknown, what: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${what} must be a boolean`);
}
