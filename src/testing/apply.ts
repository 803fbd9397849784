// Server-side apply, in part: the field set a manager applies (FieldsV1, as
// managedFields records it), merging an applied configuration into the live
// object (maps and structs field by field, `listType: map` lists item by
// item on their keys, sets as sets, atomic lists whole), and removing what
// the same manager applied before and no longer does. Ownership by other
// managers is not tracked, so there are no conflicts: every apply behaves
// as `--force-conflicts`.

import type { ListSchema, Schema } from './schema/types.js';

type Json = any;
/** A FieldsV1 set: `f:<field>`, `k:<list item keys>`, `v:<set value>` and `.` keys. */
export type FieldSet = Record<string, any>;

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Fields that name an object rather than describe it; never owned. */
const IDENTITY = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink']);

function childSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (s?.kind === 'object') return s.fields[key]?.schema;
  if (s?.kind === 'map') return s.values;
  return undefined;
}

/** Key fields the API server defaults before it computes an applied field set (ports' protocol). */
const KEY_DEFAULTS: Record<string, Json> = { protocol: 'TCP' };

function itemKey(item: Json, keys: readonly string[]): string {
  const k: Record<string, Json> = {};
  for (const name of [...keys].sort()) {
    const v = isObject(item) ? item[name] ?? KEY_DEFAULTS[name] : undefined;
    if (v !== undefined) k[name] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

function listFields(v: Json[], s: ListSchema): FieldSet {
  const out: FieldSet = {};
  if (s.listType === 'map' && s.listMapKeys !== undefined) {
    for (const item of v) out[itemKey(item, s.listMapKeys)] = { '.': {}, ...fieldSetOf(item, s.items) };
  } else if (s.listType === 'set') {
    for (const item of v) out[`v:${JSON.stringify(item)}`] = {};
  }
  return out;
}

/** The FieldsV1 set of a configuration: `{"f:spec":{"f:ports":{"k:{\"port\":80}":{".":{},"f:port":{}}}}}`. */
export function fieldSetOf(v: Json, s: Schema | undefined, top = false): FieldSet {
  const out: FieldSet = {};
  if (!isObject(v)) return out;
  for (const [key, child] of Object.entries(v)) {
    if (top && (key === 'apiVersion' || key === 'kind')) continue;
    const cs = childSchema(s, key);
    if (s === undefined || (s.kind === 'object' && cs === undefined)) continue;
    if (top && key === 'metadata' && isObject(child)) {
      const meta = fieldSetOf(Object.fromEntries(Object.entries(child).filter(([k]) => !IDENTITY.has(k))), cs);
      if (Object.keys(meta).length > 0) out['f:metadata'] = meta;
      continue;
    }
    if (cs?.kind === 'list' && Array.isArray(child)) out[`f:${key}`] = listFields(child, cs);
    else if ((cs?.kind === 'object' || cs?.kind === 'map') && isObject(child)) out[`f:${key}`] = fieldSetOf(child, cs);
    else out[`f:${key}`] = {};
  }
  return out;
}

function mergeList(live: Json[], config: Json[], s: ListSchema): Json[] {
  if (s.listType === 'map' && s.listMapKeys !== undefined) {
    const keys = s.listMapKeys;
    const out = [...live];
    for (const item of config) {
      // a configured item matches a live one on the key fields it sets (a defaulted key, such as protocol, may be left out)
      const at = out.findIndex((l) => isObject(l) && isObject(item) && keys.every((k) => item[k] === undefined || l[k] === item[k]));
      if (at >= 0) out[at] = mergeApplied(out[at], item, s.items); else out.push(item);
    }
    return out;
  }
  if (s.listType === 'set') {
    const out = [...live];
    for (const v of config) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return out;
  }
  return config;
}

/** The live object with the configuration applied over it. */
export function mergeApplied(live: Json, config: Json, s: Schema | undefined): Json {
  if (isObject(config) && (s === undefined || s.kind === 'object' || s.kind === 'map')) {
    const out: Record<string, Json> = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) { delete out[k]; continue; }
      out[k] = mergeApplied(out[k], v, childSchema(s, k));
    }
    return out;
  }
  if (Array.isArray(config) && s?.kind === 'list' && Array.isArray(live)) return mergeList(live, config, s);
  return config;
}

function removeItem(list: Json[], key: string, s: ListSchema): Json[] {
  if (key.startsWith('v:')) return list.filter((x) => `v:${JSON.stringify(x)}` !== key);
  return list.filter((x) => itemKey(x, s.listMapKeys ?? []) !== key);
}

/** Removes from `obj` what `before` (the manager's last applied set) has and `now` (its new set) does not. */
export function removeUnapplied(obj: Json, before: FieldSet, now: FieldSet, s: Schema | undefined): Json {
  if (!isObject(before)) return obj;
  let out = obj;
  for (const [k, sub] of Object.entries(before)) {
    if (k === '.') continue;
    const kept = now[k];
    if (k.startsWith('f:')) {
      const name = k.slice(2);
      if (!isObject(out) || out[name] === undefined) continue;
      const cs = childSchema(s, name);
      if (kept === undefined) { out = { ...out }; delete out[name]; continue; }
      const next = Array.isArray(out[name]) && cs?.kind === 'list' ? removeFromList(out[name], sub, kept, cs) : removeUnapplied(out[name], sub, kept, cs);
      if (next !== out[name]) out = { ...out, [name]: next };
    }
  }
  return out;
}

function removeFromList(list: Json[], before: FieldSet, now: FieldSet, s: ListSchema): Json[] {
  let out = list;
  for (const [k, sub] of Object.entries(before)) {
    if (now[k] === undefined) { out = removeItem(out, k, s); continue; }
    if (!k.startsWith('k:')) continue;
    out = out.map((item) => (itemKey(item, s.listMapKeys ?? []) === k ? removeUnapplied(item, sub, now[k], s.items) : item));
  }
  return out;
}

/** A managedFields entry for an Apply by `manager`. */
export function applyEntry(manager: string, apiVersion: string, time: string, fields: FieldSet): Record<string, Json> {
  return { manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: fields };
}

