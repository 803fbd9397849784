// What a transaction keeps of a queued operation: a frozen deep copy of the
// caller's objects, made before validation, so what was validated is what
// commit() encodes (a caller changing its object afterwards changes nothing).
import { show } from '../check.js';
import { NftValidationError } from './names.js';

const MAX_DEPTH = 64;

/**
 * A frozen deep copy of plain data: primitives, plain objects, arrays
 * without holes, and bytes (copied; a Buffer stays a Buffer). Anything
 * else (a function, a symbol, a Date, a Map, a class instance, a cycle)
 * is an NftValidationError naming where it was.
 */
export function frozenCopy<T>(v: T, where: string): T {
  return copy(v, { where, path: [] }, 0) as T;
}

// Where the value being copied is: the caller's name and the keys and
// indexes below it, joined into text only for an error (a commit copies
// hundreds of thousands of values; their paths as strings were most of the
// copy's cost and garbage).
interface Path {
  readonly where: string;
  readonly path: (string | number)[];
}

const at = (p: Path): string => p.where + p.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

function copy(v: unknown, p: Path, depth: number): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'function' || typeof v === 'symbol') throw new NftValidationError(`${at(p)}: a ${typeof v} is not a value`);
    return v;
  }
  if (depth > MAX_DEPTH) throw new NftValidationError(`${at(p)}: nested more than ${MAX_DEPTH} deep (a cycle?)`);
  if (v instanceof Uint8Array) {
    if (Object.getPrototypeOf(v) !== Uint8Array.prototype && !Buffer.isBuffer(v)) throw new NftValidationError(`${at(p)}: expected bytes, got ${show(v)}`);
    return Buffer.isBuffer(v) ? Buffer.from(v) : v.slice();
  }
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      p.path.push(i);
      if (!(i in v)) throw new NftValidationError(`${at(p)}: missing (a hole in the array)`);
      out[i] = copy(v[i], p, depth + 1);
      p.path.pop();
    }
    return Object.freeze(out);
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new NftValidationError(`${at(p)}: expected a plain object, got ${show(v)}`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    // Reading a property runs a getter the caller wrote; it runs once, here.
    const x = (v as Record<string, unknown>)[k];
    if (k === '__proto__') throw new NftValidationError(`${at(p)}: a key named __proto__`);
    p.path.push(k);
    out[k] = copy(x, p, depth + 1);
    p.path.pop();
  }
  return Object.freeze(out);
}
