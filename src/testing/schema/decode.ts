// Decoding a JSON value against a schema the way the API server's decoder
// (encoding/json semantics, sigs.k8s.io/json strictness) treats it: type
// mismatches fail the whole request, unknown fields are collected so the
// caller can reject (fieldValidation=Strict), warn (Warn) or drop them
// (Ignore), and the result is the canonical object the server would store
// and serialize: fields in Go struct order, omitempty zero values dropped,
// map keys sorted.

import { goTypeName, type ListSchema, type MapSchema, type ObjectSchema, type Presence, type Schema } from './types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** A value did not fit its Go type; the message is encoding/json's. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export interface DecodeResult<T> {
  value: T;
  /** Paths of fields the schema does not know, e.g. `spec.ports[0].foo`. */
  unknown: string[];
}

interface Ctx {
  unknown: string[];
  /** The innermost struct and the dotted field path for encoding/json's errors. */
  struct: string;
  goPath: string;
}

function jsonTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return `number`;
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function typeError(v: unknown, s: Schema, ctx: Ctx, shown?: string): DecodeError {
  const what = shown ?? jsonTypeOf(v);
  if (ctx.goPath === '') return new DecodeError(`json: cannot unmarshal ${what} into Go value of type ${goTypeName(s)}`);
  return new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${ctx.struct}.${ctx.goPath} of type ${goTypeName(s)}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** metav1.Time in its wire form (seconds, UTC); `micro` for metav1.MicroTime. */
export function formatTime(ms: number, micro = false): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return micro ? `${iso.slice(0, 19)}.${iso.slice(20, 23)}000Z` : `${iso.slice(0, 19)}Z`;
}

function decodeTime(v: unknown, s: Schema, ctx: Ctx, micro: boolean): string {
  if (typeof v !== 'string') throw typeError(v, { kind: 'string' }, ctx);
  const m = RFC3339.exec(v);
  const ms = m === null ? NaN : Date.parse(v);
  if (Number.isNaN(ms)) {
    const layout = micro ? '2006-01-02T15:04:05.000000Z07:00' : '2006-01-02T15:04:05Z07:00';
    throw new DecodeError(`parsing time ${JSON.stringify(v)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(v)} as "2006"`);
  }
  void s;
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
      if (typeof v === 'number') return decodeInt(v, { kind: 'int32' }, { ...ctx, goPath: '' }, 32);
      throw new DecodeError(`json: cannot unmarshal ${jsonTypeOf(v)} into Go value of type int32`);
    case 'time': return decodeTime(v, s, ctx, false);
    case 'microTime': return decodeTime(v, s, ctx, true);
    case 'quantity':
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string') throw new DecodeError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
      return v;
    default:
      return structuredClone(v);
  }
}

function isEmpty(v: Json): boolean {
  if (v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
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

function decodeObject(v: Json, s: ObjectSchema, path: string, ctx: Ctx): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(v, s, ctx);
  // unknown fields are reported in document order, as the decoder meets them
  const decoded = new Map<string, Json>();
  for (const key of Object.keys(v)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const f = s.fields[key];
    if (f === undefined) { ctx.unknown.push(childPath); continue; }
    const child = v[key];
    if (child === undefined || child === null) continue;
    const goPath = ctx.goPath === '' ? key : `${ctx.goPath}.${key}`;
    decoded.set(key, decodeValue(child, f.schema, childPath, { ...ctx, struct: s.go, goPath }));
  }
  const out: JsonObject = {};
  for (const [name, f] of Object.entries(s.fields)) {
    const childPath = path === '' ? name : `${path}.${name}`;
    const goPath = ctx.goPath === '' ? name : `${ctx.goPath}.${name}`;
    const kept = keep(decoded.get(name), f.schema, f.presence, childPath, { ...ctx, struct: s.go, goPath });
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

function keep(decoded: Json | undefined, s: Schema, presence: Presence, path: string, ctx: Ctx): Json | undefined {
  if (presence === 'pointer') return decoded;
  if (presence === 'omitempty') {
    if (s.kind === 'object') return decoded ?? decodeObject({}, s, path, ctx);
    return decoded === undefined || isEmpty(decoded) ? undefined : decoded;
  }
  if (decoded !== undefined) return decoded;
  return s.kind === 'object' ? decodeObject({}, s, path, ctx) : zeroFor(s);
}

function decodeMap(v: Json, s: MapSchema, path: string, ctx: Ctx): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(v, s, ctx);
  const out: JsonObject = {};
  for (const key of Object.keys(v).sort()) {
    const item = v[key]!;
    out[key] = item === null ? zeroFor(s.values) : decodeValue(item, s.values, `${path}.${key}`, ctx);
  }
  return out;
}

function decodeList(v: Json, s: ListSchema, path: string, ctx: Ctx): Json[] {
  if (!Array.isArray(v)) throw typeError(v, s, ctx);
  return v.map((item, i) => {
    if (item === null) return s.items.kind === 'object' ? decodeObject({}, s.items, `${path}[${i}]`, ctx) : zeroFor(s.items);
    return decodeValue(item, s.items, `${path}[${i}]`, ctx);
  });
}

function decodeValue(v: Json, s: Schema, path: string, ctx: Ctx): Json {
  switch (s.kind) {
    case 'object': return decodeObject(v, s, path, ctx);
    case 'map': return decodeMap(v, s, path, ctx);
    case 'list': return decodeList(v, s, path, ctx);
    default: return decodeScalar(v, s, ctx);
  }
}

/**
 * Decodes `value` (parsed JSON) as the top-level type `schema`. Throws
 * {@link DecodeError} on a type mismatch; returns the canonical object and
 * the unknown field paths.
 */
export function decode<T = Record<string, unknown>>(value: unknown, schema: ObjectSchema): DecodeResult<T> {
  const ctx: Ctx = { unknown: [], struct: schema.go, goPath: '' };
  const out = decodeObject(value as Json, schema, '', ctx);
  return { value: out as T, unknown: ctx.unknown };
}
