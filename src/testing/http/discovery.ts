// Discovery documents: /version, the legacy /api, /api/v1, /apis and
// /apis/<group>/<version> lists, and aggregated discovery (apidiscovery.k8s.io/v2)
// for clients that ask for it in Accept, as kubectl does.

import { createHash } from 'node:crypto';

import { apiVersionOf, groupVersions, RESOURCES, verbsOf, type ResourceType } from '../resources.js';

/** The Kubernetes version the test cluster speaks. */
export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4+dataplane' };

/** The media type of aggregated discovery, as the client asks for it and the server answers. */
export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** `/version` (`kubectl version`). */
export function versionInfo(): object {
  return {
    ...SERVER_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-04-22T00:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64').slice(0, 11);
}

function inGroup(group: string, version: string): ResourceType[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

/** APIResourceList of a group version (legacy discovery). */
export function resourceList(group: string, version: string): object | undefined {
  const rs = inGroup(group, version);
  if (rs.length === 0) return undefined;
  const resources: object[] = [];
  for (const r of rs) {
    const entry: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r) };
    if (r.shortNames.length > 0) entry.shortNames = r.shortNames;
    if (r.categories.length > 0) entry.categories = r.categories;
    entry.storageVersionHash = hash(`${apiVersionOf(r)}/${r.kind}`);
    resources.push(entry);
    if (r.status) resources.push({ name: `${r.resource}/status`, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** APIVersions for /api. */
export function coreVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(group: string): object {
  const versions = groupVersions().filter((gv) => gv.group === group).map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** APIGroupList for /apis. */
export function groupList(): object {
  const groups = [...new Set(groupVersions().map((gv) => gv.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupEntry) };
}

/** APIGroup for /apis/<group>. */
export function apiGroup(group: string): object | undefined {
  if (group === '' || !groupVersions().some((gv) => gv.group === group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) };
}

function aggregatedResource(r: ResourceType): object {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: verbsOf(r),
  };
  if (r.shortNames.length > 0) out.shortNames = r.shortNames;
  if (r.categories.length > 0) out.categories = r.categories;
  if (r.status) out.subresources = [{ subresource: 'status', responseKind: { group: r.group, version: r.version, kind: r.kind }, verbs: ['get', 'patch', 'update'] }];
  return out;
}

/** APIGroupDiscoveryList for /api (core only) or /apis (every named group). */
export function aggregatedDiscovery(core: boolean): object {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => (g === '') === core);
  const items = groups.map((group) => ({
    metadata: core ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
    versions: groupVersions().filter((gv) => gv.group === group).map((gv) => ({
      version: gv.version,
      resources: inGroup(group, gv.version).map(aggregatedResource),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

/** True when an Accept header asks for aggregated discovery v2. */
export function wantsAggregated(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((part) => {
    const p = part.split(';').map((s) => s.trim());
    return p[0] === 'application/json' && p.includes('g=apidiscovery.k8s.io') && p.includes('v=v2') && p.includes('as=APIGroupDiscoveryList');
  });
}
