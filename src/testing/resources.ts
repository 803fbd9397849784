// The resources the test cluster serves, with what discovery says about them.

import * as core from './schema/core.js';
import { EndpointSlice } from './schema/discovery.js';
import type { ObjectSchema } from './schema/types.js';

/** One REST resource (`services`, `endpointslices.discovery.k8s.io`). */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name used in paths. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  schema: ObjectSchema;
  /** Has a `status` subresource (the main resource then ignores status changes). */
  status: boolean;
  /** What bumps metadata.generation on update: the spec, everything but metadata, or nothing. */
  generation: 'spec' | 'content' | 'none';
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The verbs discovery lists for every resource here. */
export function verbsOf(r: ResourceType): string[] {
  // Namespaces cannot be deleted as a collection.
  return r.resource === 'namespaces' ? VERBS.filter((v) => v !== 'deletecollection') : VERBS;
}

function resource(r: Omit<ResourceType, 'version' | 'categories' | 'shortNames'> & Partial<ResourceType>): ResourceType {
  return { version: 'v1', categories: [], shortNames: [], ...r };
}

/** Every resource served, in discovery order. */
export const RESOURCES: readonly ResourceType[] = [
  resource({ group: '', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], schema: core.ConfigMap, status: false, generation: 'none' }),
  resource({ group: '', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], schema: core.Event, status: false, generation: 'none' }),
  resource({ group: '', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], schema: core.Namespace, status: true, generation: 'none' }),
  resource({ group: '', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], schema: core.Node, status: true, generation: 'none' }),
  resource({ group: '', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], schema: core.Pod, status: true, generation: 'none' }),
  resource({ group: '', resource: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], schema: core.Service, status: true, generation: 'spec' }),
  resource({ group: 'discovery.k8s.io', resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, schema: EndpointSlice, status: false, generation: 'content' }),
];

/** `v1` or `discovery.k8s.io/v1`. */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

const byPath = new Map(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

/** The resource served at /api/v1/<resource> (group '') or /apis/<group>/<version>/<resource>. */
export function lookupResource(group: string, version: string, resource: string): ResourceType | undefined {
  return byPath.get(`${group}/${version}/${resource}`);
}

/** The resource of an apiVersion and kind (`v1`, `Service`). */
export function lookupKind(apiVersion: string, kind: string): ResourceType | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** The group/version pairs served, core first. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}
