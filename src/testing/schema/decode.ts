// Decoding a JSON value against a schema the way the API server's decoder
// (encoding/json semantics, sigs.k8s.io/json strictness) treats it: type
// mismatches fail the whole request, unknown fields are collected so the
// caller can reject (fieldValidation=Strict), warn (Warn) or drop them
// (Ignore), and the result is the canonical object the server would store
// and serialize: fields in Go struct order, omitempty zero values dropped,
// map keys sorted.

import { goTypeName, type FieldSchema, type ListSchema, type MapSchema, type ObjectSchema, type Schema } from './types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** A value did not fit its Go type; the message is encoding/json's. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** A decoded object and its unknown fields. */
export interface DecodeResult<T> {
  value: T;
  /** Paths of fields the schema does not know, e.g. `spec.ports[0].foo`. */
  unknown: string[];
}

interface Ctx {
  unknown: string[];
  /** The JSON path being decoded (field names and list indices). */
  path: (string | number)[];
  /** The innermost struct and the dotted field path (no indices) for encoding/json's errors. */
  struct: string;
  goPath: string[];
}

function pathString(path: readonly (string | number)[], last?: string): string {
  let s = '';
  for (const p of path) s = typeof p === 'number' ? `${s}[${p}]` : s === '' ? p : `${s}.${p}`;
  if (last !== undefined) s = s === '' ? last : `${s}.${last}`;
  return s;
}

function jsonTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return `number`;
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function typeError(v: unknown, s: Schema, ctx: Ctx, shown?: string): DecodeError {
  const what = shown ?? jsonTypeOf(v);
  if (ctx.goPath.length === 0) return new DecodeError(`json: cannot unmarshal ${what} into Go value of type ${goTypeName(s)}`);
  return new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${ctx.struct}.${ctx.goPath.join('.')} of type ${goTypeName(s)}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** metav1.Time in its wire form (seconds, UTC); `micro` for metav1.MicroTime. */
export function formatTime(ms: number, micro = false): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return micro ? `${iso.slice(0, 19)}.${iso.slice(20, 23)}000Z` : `${iso.slice(0, 19)}Z`;
}

function decodeTime(v: unknown, ctx: Ctx, micro: boolean): string {
  if (typeof v !== 'string') throw typeError(v, { kind: 'string' }, ctx);
  if (!micro && CANONICAL_TIME.test(v)) return v;
  const ms = RFC3339.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    const layout = micro ? '2006-01-02T15:04:05.000000Z07:00' : '2006-01-02T15:04:05Z07:00';
    throw new DecodeError(`parsing time ${JSON.stringify(v)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(v)} as "2006"`);
  }
  return formatTime(ms, micro);
}

function decodeInt(v: unknown, s: Schema, ctx: Ctx, bits: 32 | 64): number {
  if (typeof v !== 'number') throw typeError(v, s, ctx);
  const max = bits === 32 ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(v) || v > max || v < -max - 1) throw typeError(v, s, ctx, `number ${String(v)}`);
  return v;
}

function decodeScalar(v: Json, s: Schema & { kind: string }, ctx: Ctx): Json {
  switch (s.kind) {
    case 'string':
      if (typeof v !== 'string') throw typeError(v, s, ctx);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(v, s, ctx);
      return v;
    case 'int32': return decodeInt(v, s, ctx, 32);
    case 'int64': return decodeInt(v, s, ctx, 64);
    case 'double':
      if (typeof v !== 'number') throw typeError(v, s, ctx);
      return v;
    case 'intOrString':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return decodeInt(v, { kind: 'int32' }, { ...ctx, goPath: [] }, 32);
      throw new DecodeError(`json: cannot unmarshal ${jsonTypeOf(v)} into Go value of type int32`);
    case 'time': return decodeTime(v, ctx, false);
    case 'microTime': return decodeTime(v, ctx, true);
    case 'quantity':
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string') throw new DecodeError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
      return v;
    default:
      return copy(v);
  }
}

function isEmpty(v: Json): boolean {
  if (v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object') return false;
  for (const _ in v) return false;
  return true;
}

function zeroFor(s: Schema): Json {
  switch (s.kind) {
    case 'string': return '';
    case 'int32': case 'int64': case 'double': return 0;
    case 'bool': return false;
    case 'intOrString': return 0;
    default: return null;
  }
}

interface Plan {
  fields: [string, FieldSchema][];
  /** What `{}` decodes to, copied for each use. */
  empty?: JsonObject;
}

const plans = new WeakMap<ObjectSchema, Plan>();

function planOf(s: ObjectSchema): Plan {
  let p = plans.get(s);
  if (p === undefined) plans.set(s, (p = { fields: Object.entries(s.fields) }));
  return p;
}

function copy(v: Json): Json {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy);
  const out: JsonObject = {};
  for (const k in v) out[k] = copy(v[k]!);
  return out;
}

/** The zero value of a struct: its non-pointer struct and non-omitempty fields. */
function emptyObject(s: ObjectSchema): JsonObject {
  const p = planOf(s);
  p.empty ??= decodeObject({}, s, { unknown: [], path: [], struct: s.go, goPath: [] });
  return copy(p.empty) as JsonObject;
}

function decodeObject(v: Json, s: ObjectSchema, ctx: Ctx, prev?: Json): JsonObject {
  if (v === prev) return v as JsonObject;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(v, s, ctx);
  // unknown fields are reported in document order, as the decoder meets them
  const decoded = new Map<string, Json>();
  for (const key in v) {
    const f = Object.hasOwn(s.fields, key) ? s.fields[key]! : undefined;
    if (f === undefined) { ctx.unknown.push(pathString(ctx.path, key)); continue; }
    const child = v[key];
    if (child === undefined || child === null) continue;
    const struct = ctx.struct;
    ctx.path.push(key);
    ctx.goPath.push(key);
    ctx.struct = s.go;
    decoded.set(key, decodeValue(child, f.schema, ctx, (prev as any)?.[key]));
    ctx.path.pop();
    ctx.goPath.pop();
    ctx.struct = struct;
  }
  const out: JsonObject = {};
  for (const [name, f] of planOf(s).fields) {
    const d = decoded.get(name);
    const obj = f.schema.kind === 'object';
    if (f.presence === 'pointer') { if (d !== undefined) out[name] = d; continue; }
    if (d === undefined) {
      if (obj) out[name] = emptyObject(f.schema as ObjectSchema);
      else if (f.presence === 'always') out[name] = zeroFor(f.schema);
      continue;
    }
    if (f.presence === 'always' || obj || !isEmpty(d)) out[name] = d;
  }
  return out;
}

function decodeMap(v: Json, s: MapSchema, ctx: Ctx, prev?: Json): JsonObject {
  if (v === prev) return v as JsonObject;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(v, s, ctx);
  const out: JsonObject = {};
  const keys = Object.keys(v);
  if (keys.length > 1) keys.sort();
  for (const key of keys) {
    const item = v[key]!;
    if (item === null) { out[key] = zeroFor(s.values); continue; }
    ctx.path.push(key);
    out[key] = decodeValue(item, s.values, ctx, (prev as any)?.[key]);
    ctx.path.pop();
  }
  return out;
}

function decodeList(v: Json, s: ListSchema, ctx: Ctx, prev?: Json): Json[] {
  if (v === prev) return v as Json[];
  if (!Array.isArray(v)) throw typeError(v, s, ctx);
  const out: Json[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const item = v[i]!;
    if (item === null) { out[i] = s.items.kind === 'object' ? emptyObject(s.items) : zeroFor(s.items); continue; }
    ctx.path.push(i);
    out[i] = decodeValue(item, s.items, ctx, (prev as any)?.[i]);
    ctx.path.pop();
  }
  return out;
}

function decodeValue(v: Json, s: Schema, ctx: Ctx, prev?: Json): Json {
  switch (s.kind) {
    case 'object': return decodeObject(v, s, ctx, prev);
    case 'map': return decodeMap(v, s, ctx, prev);
    case 'list': return decodeList(v, s, ctx, prev);
    default: return decodeScalar(v, s, ctx);
  }
}

/**
 * Decodes `value` (parsed JSON) as the top-level type `schema`. Throws
 * {@link DecodeError} on a type mismatch; returns the canonical object and
 * the unknown field paths. Parts of `value` that are the very objects of
 * `stored` (a stored, hence canonical, version) are kept as they are: stored
 * objects are never mutated, so versions share what did not change.
 */
export function decode<T = Record<string, unknown>>(value: unknown, schema: ObjectSchema, stored?: unknown): DecodeResult<T> {
  const ctx: Ctx = { unknown: [], path: [], struct: schema.go, goPath: [] };
  const out = decodeObject(value as Json, schema, ctx, stored === value ? undefined : stored as Json);
  return { value: out as T, unknown: ctx.unknown };
}
