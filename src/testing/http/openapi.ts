// OpenAPI v3 documents generated from the same type descriptions the server
// decodes with: /openapi/v3 lists one document per group version, each with
// the paths (whose PATCH operations carry the fieldValidation parameter that
// tells kubectl the server validates fields itself) and component schemas
// with the patch merge keys and strategies.

import { createHash } from 'node:crypto';

import { groupVersions, RESOURCES, type ResourceType } from '../resources.js';
import type { ListSchema, ObjectSchema, Schema } from '../schema/types.js';
import { SERVER_VERSION } from './discovery.js';

const REF = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

type Doc = Record<string, any>;

function gvPath(gv: { group: string; version: string }): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

const docs = new Map<string, { doc: Doc; hash: string }>();

function built(gvp: string): { doc: Doc; hash: string } | undefined {
  if (!docs.has(gvp)) {
    const gv = groupVersions().find((x) => gvPath(x) === gvp);
    if (gv === undefined) return undefined;
    const doc = buildDocument(gv.group, gv.version);
    docs.set(gvp, { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase() });
  }
  return docs.get(gvp);
}

/** The /openapi/v3 index. */
export function openApiRoot(): Doc {
  const paths: Doc = {};
  for (const gv of groupVersions()) {
    const p = gvPath(gv);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${built(p)!.hash}` };
  }
  return { paths };
}

/** The document of one group version path (`api/v1`, `apis/discovery.k8s.io/v1`). */
export function openApiDocument(gvp: string): Doc | undefined {
  return built(gvp)?.doc;
}

// -- schemas ----------------------------------------------------------------------

const SHARED: Record<string, Doc> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  [`${META}.Patch`]: { type: 'object' },
  [`${META}.Status`]: { type: 'object', 'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }] },
};

function scalar(s: Schema): Doc | undefined {
  switch (s.kind) {
    case 'string': return { type: 'string', default: '' };
    case 'int32': return { type: 'integer', format: 'int32', default: 0 };
    case 'int64': return { type: 'integer', format: 'int64', default: 0 };
    case 'double': return { type: 'number', format: 'double', default: 0 };
    case 'bool': return { type: 'boolean', default: false };
    case 'intOrString': return { $ref: `${REF}io.k8s.apimachinery.pkg.util.intstr.IntOrString` };
    case 'time': return { $ref: `${REF}${META}.Time` };
    case 'microTime': return { $ref: `${REF}${META}.MicroTime` };
    case 'quantity': return { $ref: `${REF}io.k8s.apimachinery.pkg.api.resource.Quantity` };
    case 'any': return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default: return undefined;
  }
}

function listDoc(s: ListSchema, out: Record<string, Doc>): Doc {
  const d: Doc = { type: 'array', items: schemaDoc(s.items, out, true) };
  if (s.listType !== undefined) d['x-kubernetes-list-type'] = s.listType;
  if (s.listMapKeys !== undefined) d['x-kubernetes-list-map-keys'] = s.listMapKeys;
  if (s.mergeKey !== undefined) d['x-kubernetes-patch-merge-key'] = s.mergeKey;
  if (s.strategy !== undefined) d['x-kubernetes-patch-strategy'] = s.strategy;
  return d;
}

function schemaDoc(s: Schema, out: Record<string, Doc>, pointer: boolean): Doc {
  if (s.kind === 'object') {
    const name = `${s.pkg}.${s.go}`;
    if (!(name in out)) {
      out[name] = {}; // reserve against recursion
      out[name] = objectDoc(s, out);
    }
    return pointer ? { $ref: `${REF}${name}` } : { allOf: [{ $ref: `${REF}${name}` }], default: {} };
  }
  if (s.kind === 'map') return { type: 'object', additionalProperties: schemaDoc(s.values, out, true) };
  if (s.kind === 'list') return listDoc(s, out);
  return scalar(s)!;
}

function objectDoc(s: ObjectSchema, out: Record<string, Doc>): Doc {
  const properties: Doc = {};
  for (const [name, f] of Object.entries(s.fields)) properties[name] = schemaDoc(f.schema, out, f.presence === 'pointer');
  const d: Doc = { type: 'object', properties };
  if (s.required !== undefined) d.required = s.required;
  if (s.retainKeys) d['x-kubernetes-patch-strategy'] = 'retainKeys';
  if (s.gvk !== undefined) d['x-kubernetes-group-version-kind'] = [{ group: s.gvk.group, kind: s.gvk.kind, version: s.gvk.version }];
  return d;
}

// -- paths -------------------------------------------------------------------------

const query = (name: string, description: string, schema: Doc = { type: 'string', uniqueItems: true }): Doc => ({ name, in: 'query', description, schema });
const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = query('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict');
const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch']
  .map((n) => query(n, n, n === 'limit' || n === 'timeoutSeconds' ? { type: 'integer', uniqueItems: true } : n === 'watch' || n === 'allowWatchBookmarks' || n === 'sendInitialEvents' ? { type: 'boolean', uniqueItems: true } : { type: 'string', uniqueItems: true }));
const PATH_NAME = { name: 'name', in: 'path', description: 'name of the resource', required: true, schema: { type: 'string', uniqueItems: true } };
const PATH_NAMESPACE = { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } };

function op(r: ResourceType, action: string, verb: string, opId: string, schemaName: string, extra: Doc = {}): Doc {
  const json = { schema: { $ref: `${REF}${schemaName}` } };
  return {
    tags: [`${r.group === '' ? 'core' : r.group.split('.')[0]}_${r.version}`],
    description: `${verb} ${r.kind}`,
    operationId: opId,
    responses: { 200: { description: 'OK', content: { 'application/json': json } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: r.group, kind: r.kind, version: r.version },
    ...extra,
  };
}

function resourcePaths(r: ResourceType, paths: Doc): void {
  const base = `/${gvPath(r)}`;
  const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const scope = r.namespaced ? [PATH_NAMESPACE] : [];
  const name = `${r.schema.pkg}.${r.kind}`;
  const list = `${r.schema.pkg}.${r.kind}List`;
  const id = `${r.group === '' ? 'Core' : r.group.split('.')[0]![0]!.toUpperCase() + r.group.split('.')[0]!.slice(1)}${r.version.toUpperCase()}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const body = { requestBody: { content: { '*/*': { schema: { $ref: `${REF}${name}` } } }, required: true } };
  const patchBody = {
    requestBody: {
      content: Object.fromEntries(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']
        .map((t) => [t, { schema: { $ref: `${REF}${META}.Patch` } }])),
      required: true,
    },
  };
  const write = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  paths[coll] = {
    get: op(r, 'list', 'list or watch objects of kind', `list${id}`, list, { parameters: LIST_PARAMS }),
    post: op(r, 'post', 'create a', `create${id}`, name, { parameters: write, ...body }),
    delete: op(r, 'deletecollection', 'delete collection of', `deleteCollection${id}`, `${META}.Status`, { parameters: LIST_PARAMS }),
    parameters: scope,
  };
  paths[`${coll}/{name}`] = {
    get: op(r, 'get', 'read the specified', `read${id}`, name),
    put: op(r, 'put', 'replace the specified', `replace${id}`, name, { parameters: write, ...body }),
    patch: op(r, 'patch', 'partially update the specified', `patch${id}`, name, { parameters: [...write, query('force', 'Force is going to "force" Apply requests.', { type: 'boolean', uniqueItems: true })], ...patchBody }),
    delete: op(r, 'delete', 'delete a', `delete${id}`, `${META}.Status`, { parameters: [DRY_RUN, query('gracePeriodSeconds', 'gracePeriodSeconds', { type: 'integer', uniqueItems: true }), query('propagationPolicy', 'propagationPolicy')] }),
    parameters: [PATH_NAME, ...scope],
  };
  if (r.status) {
    paths[`${coll}/{name}/status`] = {
      get: op(r, 'get', 'read status of the specified', `read${id}Status`, name),
      put: op(r, 'put', 'replace status of the specified', `replace${id}Status`, name, { parameters: write, ...body }),
      patch: op(r, 'patch', 'partially update status of the specified', `patch${id}Status`, name, { parameters: write, ...patchBody }),
      parameters: [PATH_NAME, ...scope],
    };
  }
  if (r.namespaced) paths[`${base}/${r.resource}`] = { get: op(r, 'list', 'list or watch objects of kind', `list${r.kind}ForAllNamespaces`, list, { parameters: LIST_PARAMS }) };
}

function listSchema(r: ResourceType, out: Record<string, Doc>): void {
  out[`${r.schema.pkg}.${r.kind}List`] = {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      items: { type: 'array', items: { allOf: [{ $ref: `${REF}${r.schema.pkg}.${r.kind}` }], default: {} } },
      kind: { type: 'string' },
      metadata: { allOf: [{ $ref: `${REF}${META}.ListMeta` }], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: `${r.kind}List`, version: r.version }],
  };
}

function buildDocument(group: string, version: string): Doc {
  const paths: Doc = {};
  const schemas: Record<string, Doc> = { ...SHARED };
  schemas[`${META}.ListMeta`] = { type: 'object', properties: { continue: { type: 'string' }, remainingItemCount: { type: 'integer', format: 'int64' }, resourceVersion: { type: 'string' }, selfLink: { type: 'string' } } };
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    resourcePaths(r, paths);
    schemaDoc(r.schema, schemas, true);
    listSchema(r, schemas);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

