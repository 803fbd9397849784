// k8s.io/apimachinery/pkg/apis/meta/v1: the metadata every object carries.

import { always, any, bool, i64, listOf, mapOf, ptr, str, struct, time, type FieldInput, type ObjectSchema } from './types.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const OwnerReference = struct(META, 'OwnerReference', {
  apiVersion: always(str),
  kind: always(str),
  name: always(str),
  uid: always(str),
  controller: ptr(bool),
  blockOwnerDeletion: ptr(bool),
}, { required: ['apiVersion', 'kind', 'name', 'uid'] });

const ManagedFieldsEntry = struct(META, 'ManagedFieldsEntry', {
  manager: str,
  operation: str,
  apiVersion: str,
  time: ptr(time),
  fieldsType: str,
  fieldsV1: ptr(any),
  subresource: str,
});

/** metav1.ObjectMeta. */
export const ObjectMeta = struct(META, 'ObjectMeta', {
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: i64,
  creationTimestamp: time,
  deletionTimestamp: ptr(time),
  deletionGracePeriodSeconds: ptr(i64),
  labels: mapOf(str),
  annotations: mapOf(str),
  ownerReferences: listOf(OwnerReference, { mergeKey: 'uid', strategy: 'merge', listType: 'map', listMapKeys: ['uid'] }),
  finalizers: listOf(str, { strategy: 'merge', listType: 'set' }),
  managedFields: listOf(ManagedFieldsEntry, { listType: 'atomic' }),
});

/** metav1.ListMeta. */
export const ListMeta = struct(META, 'ListMeta', {
  selfLink: str,
  resourceVersion: str,
  continue: str,
  remainingItemCount: ptr(i64),
});

/** The `kind`/`apiVersion`/`metadata` head of a top-level kind, followed by its own fields. */
export function kindSchema(pkg: string, group: string, version: string, kind: string, fields: Record<string, FieldInput>): ObjectSchema {
  return struct(pkg, kind, { kind: str, apiVersion: str, metadata: ObjectMeta, ...fields }, { gvk: { group, version, kind } });
}

/** metav1.Condition (used by Service status). */
export const Condition = struct(META, 'Condition', {
  type: always(str),
  status: always(str),
  observedGeneration: i64,
  lastTransitionTime: time,
  reason: always(str),
  message: always(str),
}, { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] });
