// The three PATCH body types the API server takes for built-in kinds:
// JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge
// patch (lists merged by the merge keys the Go types declare, with the
// `$patch`, `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/`
// directives kubectl sends).

import { badRequest, StatusError } from './errors.js';
import type { ListSchema, Schema } from './schema/types.js';

type Json = any;

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

// -- JSON merge patch ---------------------------------------------------------

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// -- JSON patch ---------------------------------------------------------------

function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw unprocessable(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], path: string): { parent: Json; last: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  return { parent: cur, last: parts[parts.length - 1]! };
}

function arrayIndex(arr: Json[], last: string, path: string, forInsert: boolean): number {
  if (forInsert && last === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(last)) throw unprocessable(`invalid array index ${JSON.stringify(last)} in ${JSON.stringify(path)}`);
  const i = Number(last);
  if (i > arr.length || (!forInsert && i === arr.length)) throw unprocessable(`unable to access invalid index: ${i}`);
  return i;
}

function getAt(doc: Json, path: string): Json {
  let cur = doc;
  for (const p of parsePointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : isObject(cur) ? cur[p] : undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  return cur;
}

function removeAt(doc: Json, path: string): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) throw unprocessable('cannot remove the document root');
  const { parent, last } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, path, false), 1)[0];
  if (!isObject(parent) || !(last in parent)) throw unprocessable(`unable to remove nonexistent key: ${last}: missing value`);
  const v = parent[last];
  delete parent[last];
  return v;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, path, !replace);
    if (replace) parent[i] = clone(value); else parent.splice(i, 0, clone(value));
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[last] = clone(value);
  } else {
    throw unprocessable(`doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

/** RFC 6902. Throws a 422 StatusError when an operation does not apply, 400 for a malformed document. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest('invalid JSON patch operation');
    switch (op.op) {
      case 'add': doc = addAt(doc, op.path, op.value, false); break;
      case 'replace': doc = addAt(doc, op.path, op.value, true); break;
      case 'remove': removeAt(doc, op.path); break;
      case 'move': { const v = removeAt(doc, op.from); doc = addAt(doc, op.path, v, false); break; }
      case 'copy': doc = addAt(doc, op.path, getAt(doc, op.from), false); break;
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value)) throw unprocessable(`testing value ${op.path} failed: test failed`);
        break;
      default: throw unprocessable(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

// -- strategic merge patch ----------------------------------------------------

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';

function fieldSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (s === undefined) return undefined;
  if (s.kind === 'object') return s.fields[key]?.schema;
  if (s.kind === 'map') return s.values;
  return undefined;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((i) => !(isObject(i) && i.$patch === 'delete')).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVES)) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function mergeMap(original: Json, patch: Record<string, Json>, s: Schema | undefined): Json {
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch !== undefined && patch.$patch !== 'merge') throw badRequest(`Unknown patch type: ${String(patch.$patch)} in map: ${JSON.stringify(patch)}`);
  const out: Record<string, Json> = isObject(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVES)) {
      const field = k.slice(DELETE_PRIMITIVES.length);
      if (!Array.isArray(v)) throw badRequest(`invalid patch: ${k} must be a list`);
      if (Array.isArray(out[field])) out[field] = out[field].filter((x: Json) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) { delete out[k]; continue; }
    const merged = mergeValue(out[k], v, fieldSchema(s, k));
    if (merged === undefined) delete out[k]; else out[k] = merged;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (k.startsWith(SET_ORDER) && Array.isArray(out[k.slice(SET_ORDER.length)]) && Array.isArray(order)) {
      const field = k.slice(SET_ORDER.length);
      out[field] = applyOrder(out[field], order, fieldSchema(s, field));
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function mergeValue(original: Json, patch: Json, s: Schema | undefined): Json {
  if (isObject(patch)) {
    if (s !== undefined && s.kind !== 'object' && s.kind !== 'map' && s.kind !== 'any') {
      throw badRequest(`unable to find api field in struct for the json field ${JSON.stringify(Object.keys(patch)[0] ?? '')}`);
    }
    return mergeMap(original, patch, s);
  }
  if (Array.isArray(patch) && s?.kind === 'list' && Array.isArray(original) && s.strategy?.startsWith('merge')) {
    return mergeList(original, patch, s);
  }
  return stripDirectives(patch);
}

function mergeList(original: Json[], patch: Json[], s: ListSchema): Json[] {
  if (patch.some((i) => isObject(i) && i.$patch === 'replace')) {
    return patch.filter((i) => !(isObject(i) && i.$patch === 'replace')).map(stripDirectives);
  }
  const key = s.mergeKey;
  if (key === undefined) {
    // a set of primitives: union, keeping the original order
    const out = [...original];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  }
  const out = original.map((x) => x);
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`invalid patch: list item ${JSON.stringify(item)} has no merge key ${key}`);
    const at = out.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (item.$patch === 'delete') { if (at >= 0) out.splice(at, 1); continue; }
    if (item[key] === undefined) throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (at >= 0) out[at] = mergeMap(out[at], item, s.items);
    else out.push(stripDirectives(item));
  }
  return out;
}

function applyOrder(list: Json[], order: Json[], s: Schema | undefined): Json[] {
  const key = s?.kind === 'list' ? s.mergeKey : undefined;
  const id = (v: Json) => (key !== undefined && isObject(v) ? JSON.stringify(v[key]) : JSON.stringify(v));
  const rank = new Map(order.map((o, i) => [id(o), i]));
  const inOrder = list.filter((v) => rank.has(id(v))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  const rest = list.filter((v) => !rank.has(id(v)));
  return [...inOrder, ...rest];
}

/** Applies a strategic merge patch to `original` using the merge keys of `schema`. */
export function strategicMergePatch(original: Json, patch: Json, schema: Schema): Json {
  if (!isObject(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return mergeMap(clone(original), patch, schema) ?? {};
}
