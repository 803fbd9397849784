// A small description language for the Kubernetes types the test cluster
// serves. One description per Go type drives three things: decoding a
// request body the way the API server's JSON decoder does (unknown fields,
// type errors, omitempty), the strategic-merge-patch metadata (merge keys and
// strategies) and the OpenAPI v3 schemas kubectl reads.

/** A leaf value's wire type. `any` keeps whatever JSON it is given. */
export type ScalarKind = 'string' | 'int32' | 'int64' | 'double' | 'bool' | 'intOrString' | 'time' | 'microTime' | 'quantity' | 'any';

/** A leaf value. */
export interface ScalarSchema {
  kind: ScalarKind;
  /** The Go type name used in decode errors (`int32`, `v1.Protocol` prints as `string`). */
  go?: string;
  description?: string;
}

/** How a struct field serializes when it holds its zero value. */
export type Presence = 'omitempty' | 'pointer' | 'always';

/** A struct field: its schema and how it serializes when zero. */
export interface FieldSchema {
  schema: Schema;
  presence: Presence;
}

/** A Go struct. */
export interface ObjectSchema {
  kind: 'object';
  /** Go type name, e.g. `ServicePort`; OpenAPI names it `io.k8s.api.core.v1.ServicePort`. */
  go: string;
  /** OpenAPI definition prefix, e.g. `io.k8s.api.core.v1`. */
  pkg: string;
  fields: Record<string, FieldSchema>;
  /** `x-kubernetes-patch-strategy: retainKeys` on the struct. */
  retainKeys?: boolean;
  /** Group/version/kind for top-level kinds (OpenAPI `x-kubernetes-group-version-kind`). */
  gvk?: { group: string; version: string; kind: string };
  /** Fields the OpenAPI schema lists as required. */
  required?: string[];
}

/** A Go map[string]T. */
export interface MapSchema {
  kind: 'map';
  values: Schema;
}

/** Strategic merge patch behaviour of a list (from the Go struct tags). */
export interface ListSchema {
  kind: 'list';
  items: Schema;
  /** `patchMergeKey`: lists of objects merged element-wise by this key. */
  mergeKey?: string;
  /** `patchStrategy`: merge (by key, or as a set of primitives) or replace. */
  strategy?: 'merge' | 'replace' | 'merge,retainKeys';
  /** `+listType`: atomic, set or map (with `listMapKeys`). */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** Any described type. */
export type Schema = ScalarSchema | ObjectSchema | MapSchema | ListSchema;

// -- builders ---------------------------------------------------------------

export const str: ScalarSchema = { kind: 'string' };
export const i32: ScalarSchema = { kind: 'int32' };
export const i64: ScalarSchema = { kind: 'int64' };
export const double: ScalarSchema = { kind: 'double' };
export const bool: ScalarSchema = { kind: 'bool' };
export const intOrString: ScalarSchema = { kind: 'intOrString' };
export const time: ScalarSchema = { kind: 'time' };
export const microTime: ScalarSchema = { kind: 'microTime' };
export const quantity: ScalarSchema = { kind: 'quantity' };
/** A value the test cluster stores as given and does not check field by field. */
export const any: ScalarSchema = { kind: 'any' };

/** A field given as a bare schema (default presence) or with ptr()/always(). */
export type FieldInput = Schema | FieldSchema;

function isField(f: FieldInput): f is FieldSchema {
  return (f as FieldSchema).presence !== undefined;
}

/** A pointer field: present whenever set, even to a zero value (`*int32`, `*bool`, `*Struct`). */
export function ptr(schema: Schema): FieldSchema {
  return { schema, presence: 'pointer' };
}

/** A field without `omitempty`: always serialized. */
export function always(schema: Schema): FieldSchema {
  return { schema, presence: 'always' };
}

// Go's omitempty has no effect on struct values (metav1.Time included: a zero
// Time marshals as null).
const STRUCT_VALUED = new Set(['object', 'time', 'microTime']);

/** A Go struct. Field order is serialization order. Nested structs default to `always` (Go ignores omitempty on struct values). */
export function struct(pkg: string, go: string, fields: Record<string, FieldInput>, extra: Partial<ObjectSchema> = {}): ObjectSchema {
  const out: Record<string, FieldSchema> = {};
  for (const [name, f] of Object.entries(fields)) {
    out[name] = isField(f) ? f : { schema: f, presence: STRUCT_VALUED.has(f.kind) ? 'always' : 'omitempty' };
  }
  return { kind: 'object', go, pkg, fields: out, ...extra };
}

export function mapOf(values: Schema): MapSchema {
  return { kind: 'map', values };
}

export function listOf(items: Schema, meta: Omit<ListSchema, 'kind' | 'items'> = {}): ListSchema {
  return { kind: 'list', items, ...meta };
}

/** The Go type name of a schema, as encoding/json prints it in errors. */
export function goTypeName(s: Schema): string {
  switch (s.kind) {
    case 'object': return `v1.${s.go}`;
    case 'map': return `map[string]${goTypeName(s.values)}`;
    case 'list': return `[]${goTypeName(s.items)}`;
    case 'string': return s.go ?? 'string';
    case 'int32': return 'int32';
    case 'int64': return 'int64';
    case 'double': return 'float64';
    case 'bool': return 'bool';
    case 'intOrString': return 'intstr.IntOrString';
    case 'time': return 'v1.Time';
    case 'microTime': return 'v1.MicroTime';
    case 'quantity': return 'resource.Quantity';
    case 'any': return 'interface {}';
  }
}
