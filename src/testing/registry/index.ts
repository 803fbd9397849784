// One strategy per kind: what the API server does to an object of that kind
// around create, update and delete (its REST strategy, in apiserver terms).

import type { FieldError } from '../errors.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../store.js';
import { defaultEndpointSlice, defaultNamespace, prepareNamespace, validateConfigMap, validateEndpointSlice, validateEvent, validateNamespace, validateNode } from './kinds.js';
import { defaultPod, initialPodStatus, syncPodIPs, validatePod, validatePodStatus, validatePodUpdate } from './pod.js';
import { defaultService, keepAllocatedValues, normalizeClusterIPs, validateService, validateServiceStatus, validateServiceUpdate } from './service.js';
import { dropTypeDependentFields } from './service-alloc.js';

/** What the API server does around writes of one kind. */
export interface Strategy {
  /** SetDefaults_<Kind>: runs on every decoded object. */
  defaults?(obj: KubeObject): void;
  /** PrepareForCreate: server-set fields of a new object (its status, mostly). */
  prepareForCreate?(obj: KubeObject): void;
  /** PrepareForUpdate of the main resource (the status is already the old one). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Validation on create (old undefined) and update. */
  validate(obj: KubeObject, old?: KubeObject): FieldError[];
  /** Validation of a status subresource write. */
  validateStatus?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Whether an immediate DELETE answers with the object (true) or a Success Status. */
  returnDeletedObject: boolean;
}

const strategies: Record<string, Strategy> = {
  services: {
    defaults: defaultService,
    prepareForCreate: (svc) => {
      svc.status = {};
      normalizeClusterIPs(svc.spec, undefined);
    },
    prepareForUpdate: (svc, old) => {
      normalizeClusterIPs(svc.spec, old.spec);
      keepAllocatedValues(svc.spec, old.spec);
      dropTypeDependentFields(svc.spec, old.spec);
    },
    validate: (svc, old) => (old === undefined ? validateService(svc) : validateServiceUpdate(svc, old)),
    validateStatus: (svc) => validateServiceStatus(svc),
    returnDeletedObject: true,
  },
  pods: {
    defaults: defaultPod,
    prepareForCreate: (pod) => {
      pod.status = initialPodStatus(pod);
    },
    validate: (pod, old) => (old === undefined ? validatePod(pod) : validatePodUpdate(pod, old)),
    validateStatus: (pod, old) => {
      syncPodIPs(pod);
      return validatePodStatus(pod, old);
    },
    returnDeletedObject: true,
  },
  nodes: { validate: validateNode, validateStatus: validateNode, returnDeletedObject: false },
  namespaces: {
    defaults: defaultNamespace,
    prepareForCreate: prepareNamespace,
    // spec.finalizers changes only through the finalize subresource
    prepareForUpdate: (ns, old) => { ns.spec = { ...ns.spec, finalizers: old.spec?.finalizers }; },
    validate: validateNamespace,
    validateStatus: (ns, old) => validateNamespace(ns, old),
    returnDeletedObject: true,
  },
  endpointslices: { defaults: defaultEndpointSlice, validate: validateEndpointSlice, returnDeletedObject: false },
  events: { validate: validateEvent, returnDeletedObject: false },
  configmaps: { validate: validateConfigMap, returnDeletedObject: false },
};

/** The strategy of a resource. */
export function strategyOf(r: ResourceType): Strategy {
  return strategies[r.resource]!;
}
