// The API verbs over the store: create, get, list, update (PUT), patch and
// delete, with what the API server does around them — decoding and field
// validation, defaulting, admission of namespaces, allocation, validation,
// optimistic concurrency, generation, graceful deletion and finalizers.
// The HTTP layer, the controllers and the test helpers all write through it.

import { randomUUID } from 'node:crypto';

import {
  alreadyExists, badRequest, conflict, expired, forbidden, invalid, notFound, StatusError, type Status,
} from './errors.js';
import { applyEntry, fieldSetOf, mergeApplied, removeUnapplied } from './apply.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { strategyOf } from './registry/index.js';
import { podGracePeriod } from './registry/pod.js';
import { ServiceAllocator, type Allocation } from './registry/service-alloc.js';
import { jsonEqual } from './json.js';
import { apiVersionOf, lookupResource, RESOURCES, type ResourceType } from './resources.js';
import { decode, DecodeError, formatTime } from './schema/decode.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { objectKey, Store, type Entry, type KubeObject } from './store.js';

/** The `fieldValidation` query parameter: what to do with unknown fields. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Options of a write (the `dryRun`, `fieldValidation` query parameters; the subresource). */
export interface WriteOptions {
  dryRun?: boolean;
  /** Unknown fields: reject (Strict), answer with warnings (Warn, the default) or drop silently (Ignore). */
  fieldValidation?: FieldValidation;
  /** Write the status subresource (or a namespace's finalize subresource) instead of the main resource. */
  subresource?: 'status' | 'finalize';
  /** metadata.managedFields to store (set by apply; other writes keep what was stored). */
  managedFields?: Record<string, unknown>[];
}

/** Options of a server-side apply. */
export interface ApplyOptions extends WriteOptions {
  /** The applying manager (`kubectl` for `kubectl apply --server-side`). */
  fieldManager: string;
}

/** What a write answers: the stored object and its warnings. */
export interface WriteResult {
  object: KubeObject;
  /** Warning texts (`unknown field "spec.foo"`), sent as `Warning: 299 - "..."` headers. */
  warnings: string[];
}

/** The list query parameters (`labelSelector`, `fieldSelector`, `limit`, `continue`) and the namespace. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

/** A list page: entries, the list's resourceVersion and the continue token. */
export interface ListResult {
  items: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** DeleteOptions: grace period, preconditions, dry run. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** The three PATCH body types (`application/json-patch+json`, `merge-patch+json`, `strategic-merge-patch+json`). */
export type PatchType = 'json' | 'merge' | 'strategic';

/** What api.delete answers: the object (graceful or by the kind's choice) or a Success Status. */
export type DeleteResult = { object: KubeObject } | { status: Status };

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function generateSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

function now(): string {
  return formatTime(Date.now());
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }, { ...b, metadata: { ...b.metadata, resourceVersion: undefined } });
}

/** Equal apart from metadata and status (what bumps an EndpointSlice's generation). */
function sameContentButMeta(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual({ ...a, metadata: undefined, status: undefined }, { ...b, metadata: undefined, status: undefined });
}

/** Hooks the cluster sets: the emulated kubelet's timer for graceful pod deletion. */
export interface ApiHooks {
  podTerminating?(pod: KubeObject): void;
}

/** The API verbs over one store; the HTTP server, the controllers and the helpers all write through it (equivalent to kube-apiserver's REST storage). */
export class Api {
  readonly store: Store;
  readonly allocator: ServiceAllocator;
  hooks: ApiHooks = {};

  constructor(opts: { serviceCidrs: readonly string[]; nodePortRange: [number, number]; eventWindow: number }) {
    this.store = new Store(RESOURCES, opts.eventWindow);
    this.allocator = new ServiceAllocator(opts.serviceCidrs, opts.nodePortRange);
  }

  private gr(r: ResourceType) {
    return { group: r.group, resource: r.resource };
  }

  /** The stored object, or a 404 StatusError. */
  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const e = this.store.table(r).get(objectKey(r.namespaced ? namespace : undefined, name));
    if (e === undefined) throw notFound(this.gr(r), name);
    return e.obj;
  }

  /** The stored object or undefined. */
  find(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.table(r).get(objectKey(r.namespaced ? namespace : undefined, name))?.obj;
  }

  /** A list, filtered and paginated like the API server's (a continue token pins the list's revision). */
  list(r: ResourceType, opts: ListOptions = {}): ListResult {
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '', r.resource);
    const table = this.store.table(r);
    let entries: Entry[];
    let rv = this.store.rv;
    let start = 0;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      const snap = table.snapshotAt(token.rv);
      if (snap === undefined) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      entries = snap;
      rv = token.rv;
      start = lowerBoundKey(entries, token.start);
    } else {
      entries = opts.limit ? table.snapshot(rv) : table.entries(r.namespaced ? opts.namespace : undefined);
    }
    const ns = r.namespaced ? opts.namespace : undefined;
    const out: Entry[] = [];
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    let i = start;
    for (; i < entries.length && out.length < limit; i++) {
      const e = entries[i]!;
      if (ns !== undefined && e.obj.metadata.namespace !== ns) continue;
      if (labels.length > 0 && !matchesLabels(labels, e.obj.metadata.labels)) continue;
      if (fields.length > 0 && !matchesFields(fields, r.resource, e.obj)) continue;
      out.push(e);
    }
    const result: ListResult = { items: out, resourceVersion: String(rv) };
    if (out.length >= limit && i < entries.length) {
      let remaining = 0;
      const filtered = labels.length > 0 || fields.length > 0;
      for (let j = i; j < entries.length && !filtered; j++) if (ns === undefined || entries[j]!.obj.metadata.namespace === ns) remaining++;
      result.continue = encodeContinue(rv, entries[i]!.key);
      if (!filtered && remaining > 0) result.remainingItemCount = remaining;
    }
    return result;
  }

  /** Decodes a request body as the resource's kind; the errors are the server's. */
  private decodeBody(r: ResourceType, body: unknown, validation: FieldValidation, forPatch: boolean, stored?: KubeObject): { obj: KubeObject; warnings: string[] } {
    const kind = r.kind, version = apiVersionOf(r);
    const handled = (why: string) => badRequest(forPatch ? why : `${kind} in version "${r.version}" cannot be handled as a ${kind}: ${why}`);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
    }
    const b = body as Record<string, unknown>;
    if (b.apiVersion !== undefined && b.apiVersion !== version) {
      throw badRequest(`the API version in the data (${String(b.apiVersion)}) does not match the expected API version (${version})`);
    }
    if (b.kind !== undefined && b.kind !== kind && !forPatch) {
      throw badRequest(`the object provided is unrecognized (must be of type ${kind}): object *v1.${String(b.kind)} does not implement the protobuf marshalling interface and cannot be encoded to a protobuf message (${kind})`);
    }
    let decoded;
    try {
      decoded = decode<KubeObject>(body, r.schema, stored);
    } catch (e) {
      if (e instanceof DecodeError) throw handled(e.message);
      throw e;
    }
    const unknown = decoded.unknown.map((p) => `unknown field ${JSON.stringify(p)}`);
    if (unknown.length > 0 && validation === 'Strict') throw handled(`strict decoding error: ${unknown.join(', ')}`);
    const obj = decoded.value;
    delete obj.kind;
    delete obj.apiVersion;
    delete obj.metadata.managedFields;
    return { obj, warnings: validation === 'Warn' ? unknown : [] };
  }

  /** Puts an object in canonical field order (sharing what it has in common with the stored version). */
  private canonical(r: ResourceType, obj: KubeObject, stored?: KubeObject): KubeObject {
    const out = decode<KubeObject>(obj, r.schema, stored).value;
    delete out.kind;
    delete out.apiVersion;
    return out;
  }

  private admitNamespace(r: ResourceType, namespace: string, name: string): void {
    if (!r.namespaced) return;
    const ns = this.find(NAMESPACES, undefined, namespace);
    if (ns === undefined) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating') {
      throw forbidden(this.gr(r), name, `unable to create new content in namespace ${namespace} because it is being terminated`,
        [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }]);
    }
  }

  /** POST: creates an object in `namespace` (ignored for cluster-scoped kinds). */
  create(r: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    const { obj, warnings } = this.decodeBody(r, body, opts.fieldValidation ?? 'Warn', false);
    const m = obj.metadata;
    if (r.namespaced) {
      if (m.namespace && namespace !== undefined && m.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = namespace ?? m.namespace;
    } else {
      delete m.namespace;
    }
    if (m.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!m.name && m.generateName) m.name = `${m.generateName}${generateSuffix()}`;
    const strategy = strategyOf(r);
    strategy.defaults?.(obj);
    this.admitNamespace(r, m.namespace, m.name ?? '');
    m.uid = randomUUID();
    m.creationTimestamp = now();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (r.generation !== 'none') m.generation = 1; else delete m.generation;
    if (opts.managedFields !== undefined) m.managedFields = opts.managedFields;
    strategy.prepareForCreate?.(obj);
    const alloc = r.resource === 'services' ? this.allocator.allocate(obj, undefined) : undefined;
    if (alloc !== undefined && alloc.errors.length > 0) throw invalid(r.kind, r.group, m.name ?? '', alloc.errors);
    try {
      const errs = strategy.validate(obj);
      if (errs.length > 0) throw invalid(r.kind, r.group, m.name ?? '', errs);
      const key = objectKey(m.namespace, m.name);
      if (this.store.table(r).get(key) !== undefined) throw alreadyExists(this.gr(r), m.name);
      const canonical = this.canonical(r, obj);
      if (opts.dryRun) { alloc?.rollback(); return { object: canonical, warnings }; }
      const change = this.store.write(r, 'ADDED', key, canonical);
      alloc?.commit();
      return { object: change.entry.obj, warnings };
    } catch (e) {
      alloc?.rollback();
      throw e;
    }
  }

  /** PUT: replaces an object (its status only with `subresource: 'status'`). */
  update(r: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}, forPatch = false): WriteResult {
    const old = this.get(r, namespace, name);
    const { obj, warnings } = this.decodeBody(r, body, opts.fieldValidation ?? 'Warn', forPatch, old);
    const m = obj.metadata;
    if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    if (r.namespaced && m.namespace && m.namespace !== old.metadata.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (m.resourceVersion && m.resourceVersion !== old.metadata.resourceVersion) throw conflict(this.gr(r), name);
    if (m.uid && m.uid !== old.metadata.uid) {
      throw conflict(this.gr(r), name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const strategy = strategyOf(r);
    strategy.defaults?.(obj);
    return this.commitUpdate(r, old, obj, strategy, opts, warnings);
  }

  private commitUpdate(r: ResourceType, old: KubeObject, obj: KubeObject, strategy: ReturnType<typeof strategyOf>, opts: WriteOptions, warnings: string[]): WriteResult {
    const m = obj.metadata, om = old.metadata;
    m.name = om.name;
    if (r.namespaced) m.namespace = om.namespace; else delete m.namespace;
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    m.deletionTimestamp = om.deletionTimestamp;
    m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    m.generation = om.generation;
    m.managedFields = opts.managedFields ?? om.managedFields;
    delete m.selfLink;
    let next = obj;
    // stored objects are never mutated, and canonical() below copies what it keeps: sharing old parts is safe
    if (opts.subresource === 'finalize') {
      next = { ...old, metadata: m, spec: { ...old.spec, finalizers: obj.spec?.finalizers ?? [] } };
    } else if (opts.subresource === 'status') {
      next = { ...old, metadata: m, status: obj.status };
    } else if (r.status) {
      next.status = old.status;
      strategy.prepareForUpdate?.(next, old);
    }
    if (r.generation === 'spec' && !jsonEqual(next.spec, old.spec)) m.generation = (om.generation ?? 0) + 1;
    if (r.generation === 'content' && !sameContentButMeta(next, old)) m.generation = (om.generation ?? 0) + 1;
    let alloc: Allocation | undefined;
    if (r.resource === 'services' && opts.subresource === undefined) {
      alloc = this.allocator.allocate(next, old);
      if (alloc.errors.length > 0) throw invalid(r.kind, r.group, om.name, alloc.errors);
    }
    try {
      const errs = opts.subresource === 'status' && strategy.validateStatus ? strategy.validateStatus(next, old) : strategy.validate(next, old);
      if (errs.length > 0) throw invalid(r.kind, r.group, om.name, errs);
      const canonical = this.canonical(r, next, old);
      canonical.metadata.resourceVersion = om.resourceVersion;
      if (sameContent(canonical, old) || opts.dryRun) { alloc?.rollback(); return { object: opts.dryRun ? canonical : old, warnings }; }
      const key = objectKey(om.namespace, om.name);
      if (om.deletionTimestamp !== undefined && (canonical.metadata.finalizers ?? []).length === 0 && this.finalizable(r, canonical)) {
        const gone = this.store.write(r, 'DELETED', key, canonical);
        alloc?.commit();
        this.afterDelete(r, gone.entry.obj);
        return { object: gone.entry.obj, warnings };
      }
      const change = this.store.write(r, 'MODIFIED', key, canonical);
      alloc?.commit();
      return { object: change.entry.obj, warnings };
    } catch (e) {
      alloc?.rollback();
      throw e;
    }
  }

  /** An object being deleted whose last finalizer went away is removed, unless a grace period still runs (pods) or its contents still exist (namespaces). */
  private finalizable(r: ResourceType, obj: KubeObject): boolean {
    if (r.resource === 'pods') return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
    if (r.resource === 'namespaces') return (obj.spec?.finalizers ?? []).length === 0;
    return true;
  }

  /** PATCH with a JSON patch, merge patch or strategic merge patch body. */
  patch(r: ResourceType, namespace: string | undefined, name: string, type: PatchType, patchBody: unknown, opts: WriteOptions = {}): WriteResult {
    const old = this.get(r, namespace, name);
    const base = { kind: r.kind, apiVersion: apiVersionOf(r), ...structuredClone(old) };
    let patched: unknown;
    if (type === 'json') patched = jsonPatch(base, patchBody);
    else if (type === 'merge') {
      if (patchBody === null || typeof patchBody !== 'object' || Array.isArray(patchBody)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      patched = mergePatch(base, patchBody);
    } else patched = strategicMergePatch(base, patchBody, r.schema);
    return this.update(r, namespace, name, patched, opts, true);
  }

  /**
   * PATCH with an apply configuration (`application/apply-patch+yaml`, server-side apply):
   * creates the object when it does not exist, else merges the configuration into it and
   * removes what this manager applied before and no longer does. `created` tells which.
   */
  apply(r: ResourceType, namespace: string | undefined, name: string, config: unknown, opts: ApplyOptions): WriteResult & { created: boolean } {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw badRequest('error decoding YAML: the apply configuration must be an object');
    const c = config as Record<string, any>;
    const ns = r.namespaced ? namespace : undefined;
    const where = `${ns === undefined ? '' : `${ns}/`}${name}; ${apiVersionOf(r) === 'v1' ? '/v1' : apiVersionOf(r)}, Kind=${r.kind}`;
    const { unknown } = decodeChecked(r, c);
    if (unknown.length > 0) throw badRequest(`failed to create typed patch object (${where}): ${unknown.map((u) => `.${u}: field not declared in schema`).join(', ')}`);
    if (c.metadata?.name !== undefined && c.metadata.name !== name) throw badRequest(`the name of the object (${String(c.metadata.name)}) does not match the name on the URL (${name})`);
    const fields = fieldSetOf(c, r.schema, true);
    const live = this.find(r, ns, name);
    const entry = applyEntry(opts.fieldManager, apiVersionOf(r), now(), fields);
    if (live === undefined) {
      const body = { ...c, metadata: { ...(c.metadata ?? {}), name } };
      return { ...this.create(r, ns, body, { ...opts, managedFields: [entry] }), created: true };
    }
    const before = (live.metadata.managedFields ?? []).find((e: any) => e.manager === opts.fieldManager && e.operation === 'Apply');
    let merged = mergeApplied({ kind: r.kind, apiVersion: apiVersionOf(r), ...live }, c, r.schema);
    if (before?.fieldsV1 !== undefined) merged = removeUnapplied(merged, before.fieldsV1, fields, r.schema);
    const others = (live.metadata.managedFields ?? []).filter((e: any) => !(e.manager === opts.fieldManager && e.operation === 'Apply'));
    const out = this.update(r, ns, name, merged, { ...opts, fieldValidation: 'Ignore', managedFields: [...others, entry] }, true);
    return { ...out, created: false };
  }

  /** DELETE: immediate, or graceful (pods), or pending finalizers. */
  delete(r: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const old = this.get(r, namespace, name);
    const om = old.metadata;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== om.uid) throw conflict(this.gr(r), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${om.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== om.resourceVersion) {
      throw conflict(this.gr(r), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${om.resourceVersion}`);
    }
    if (r.resource === 'namespaces' && PROTECTED_NAMESPACES.has(name)) throw forbidden(this.gr(r), name, 'this namespace may not be deleted');
    const key = objectKey(om.namespace, om.name);
    const pending = (patch: Record<string, unknown>, status?: Record<string, unknown>): DeleteResult => {
      const next: KubeObject = { ...old, metadata: { ...om, ...patch } };
      if (status !== undefined) next.status = { ...old.status, ...status };
      if (opts.dryRun) return { object: next };
      const c = this.store.write(r, 'MODIFIED', key, next);
      if (r.resource === 'pods') this.hooks.podTerminating?.(c.entry.obj);
      return { object: c.entry.obj };
    };
    if (r.resource === 'namespaces') {
      if (om.deletionTimestamp !== undefined) return { object: old };
      return pending({ deletionTimestamp: now(), deletionGracePeriodSeconds: 0 }, { phase: 'Terminating' });
    }
    if (r.resource === 'pods') {
      const grace = podGracePeriod(old, opts.gracePeriodSeconds);
      const current = om.deletionGracePeriodSeconds;
      if (grace > 0 && (current === undefined || grace < current)) {
        return pending({ deletionTimestamp: formatTime(Date.now() + grace * 1000), deletionGracePeriodSeconds: grace });
      }
      if (grace > 0) return { object: old };
    }
    if ((om.finalizers ?? []).length > 0) {
      if (om.deletionTimestamp !== undefined && r.resource !== 'pods') return { object: old };
      return pending({ deletionTimestamp: om.deletionTimestamp ?? now(), deletionGracePeriodSeconds: 0 });
    }
    if (opts.dryRun) return strategyOf(r).returnDeletedObject ? { object: old } : { status: successStatus(r, old) };
    const gone = this.store.write(r, 'DELETED', key, old);
    this.afterDelete(r, gone.entry.obj);
    return strategyOf(r).returnDeletedObject ? { object: gone.entry.obj } : { status: successStatus(r, old) };
  }

  private afterDelete(r: ResourceType, obj: KubeObject): void {
    if (r.resource === 'services') this.allocator.release(obj);
  }

  /** DELETE on a collection: deletes what the list options select. */
  deleteCollection(r: ResourceType, list: ListOptions, opts: DeleteOptions = {}): KubeObject[] {
    const out: KubeObject[] = [];
    for (const e of this.list(r, { ...list, limit: 0 }).items) {
      try {
        const res = this.delete(r, e.obj.metadata.namespace, e.obj.metadata.name, opts);
        out.push('object' in res ? res.object : e.obj);
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    return out;
  }
}

/** The namespaces resource. */
export const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;

function successStatus(r: ResourceType, obj: KubeObject): Status {
  const details = r.group === ''
    ? { name: obj.metadata.name, kind: r.resource, uid: obj.metadata.uid }
    : { name: obj.metadata.name, group: r.group, kind: r.resource, uid: obj.metadata.uid };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details } as Status;
}

/** Decodes an apply configuration to find unknown fields; type errors are 400s, as on create. */
function decodeChecked(r: ResourceType, c: Record<string, unknown>): { unknown: string[] } {
  try {
    return decode(c, r.schema);
  } catch (e) {
    if (e instanceof DecodeError) throw badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${e.message}`);
    throw e;
  }
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (t.v === 'meta.k8s.io/v1' && Number.isInteger(t.rv) && typeof t.start === 'string') return t;
  } catch { /* fall through */ }
  throw badRequest(`invalid continue token: ${token}`);
}

function lowerBoundKey(entries: readonly Entry[], key: string): number {
  let lo = 0, hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.key < key) lo = mid + 1; else hi = mid;
  }
  return lo;
}
