// Snapshots of a test cluster's objects, so a restart (of the process, with
// --state FILE) keeps every object and the resourceVersion counter.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';

import { RESOURCES } from './resources.js';
import { objectKey, type KubeObject, type Store } from './store.js';

/** The JSON a snapshot file holds. */
export interface ClusterState {
  kind: 'DataplaneTestClusterState';
  version: 1;
  resourceVersion: number;
  /** Objects by `<group>/<resource>` (`/services`, `discovery.k8s.io/endpointslices`). */
  objects: Record<string, KubeObject[]>;
}

/** The store's objects and revision. */
export function snapshot(store: Store): ClusterState {
  const objects: Record<string, KubeObject[]> = {};
  for (const r of RESOURCES) objects[`${r.group}/${r.resource}`] = store.table(r).entries().map((e) => e.obj);
  return { kind: 'DataplaneTestClusterState', version: 1, resourceVersion: store.rv, objects };
}

/** Fills an empty store from a snapshot (no watch events: the change window starts at the snapshot's revision). */
export function restore(store: Store, state: ClusterState): void {
  if (state.kind !== 'DataplaneTestClusterState' || state.version !== 1) throw new TypeError('not a dataplane test cluster state file (kind/version)');
  store.rv = state.resourceVersion;
  for (const r of RESOURCES) {
    const table = store.table(r);
    table.compact(state.resourceVersion);
    for (const obj of state.objects[`${r.group}/${r.resource}`] ?? []) {
      table.load(objectKey(r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name), obj);
    }
  }
}

/** Writes a snapshot atomically (temporary file, then rename). */
export function saveState(path: string, store: Store): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(snapshot(store)));
  renameSync(tmp, path);
}

/** Reads a snapshot file. */
export function loadState(path: string): ClusterState {
  return JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
}
