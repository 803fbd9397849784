// Argument checks shared by the public entry points: lookups that only see
// a table's own names (never Object.prototype's `toString`, `constructor`,
// ...), and the shapes every call takes, each failing with a TypeError or
// RangeError that names the argument.

/** A table's value for `key` when `key` is one of its own names; undefined otherwise (prototype names included). */
export function own<V>(table: Readonly<Record<string, V>>, key: unknown): V | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A short, safe description of a value for an error message (never throws, never huge). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (typeof v !== 'object' || v === null) return String(v);
  if (Array.isArray(v)) return 'an array';
  const proto = Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
  const name = proto === null ? 'null-prototype' : typeof proto.constructor?.name === 'string' ? proto.constructor.name : 'an';
  return name === 'Object' ? 'an object' : `${name} object`;
}

/** True for `{...}` literals and Object.create(null): not a Date, Map, array, class instance or boxed value. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Throws TypeError naming `what` unless v is a plain object. */
export function plainObject(v: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw new TypeError(`${what}: expected a plain object, got ${show(v)}`);
  return v;
}

/** Throws TypeError naming `what` unless v is an array without holes. */
export function denseArray<T = unknown>(v: unknown, what: string): T[] {
  if (!Array.isArray(v)) throw new TypeError(`${what}: expected an array, got ${show(v)}`);
  for (let i = 0; i < v.length; i++) if (!(i in v)) throw new TypeError(`${what}[${i}]: missing (a hole in the array)`);
  return v as T[];
}

/** An integer in [min, max]: TypeError for a non-number, RangeError for a number outside (NaN, fractions, too big). */
export function integer(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number') throw new TypeError(`${what}: expected an integer ${min}..${max}, got ${show(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what}: expected an integer ${min}..${max}, got ${show(v)}`);
  return v;
}

/** Throws TypeError naming `what` unless v is a boolean. */
export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what}: expected true or false, got ${show(v)}`);
  return v;
}
