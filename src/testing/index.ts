/**
 * dataplane/testing: an in-memory Kubernetes API server with the controllers
 * a proxy depends on, for tests and demos (think envtest, for Node). kubectl
 * and @kubernetes/client-node talk to it as to a real cluster. It has no
 * authentication and listens on 127.0.0.1 unless told otherwise.
 *
 * The library's root import (`dataplane`) does not load this module.
 */
export { startTestCluster, TestCluster, type TestClusterOptions } from './cluster.js';
export { ClusterHelpers, type NodeSpec, type PodSpec } from './helpers.js';
export { Api, type DeleteOptions, type FieldValidation, type ListOptions, type ListResult, type PatchType, type WriteOptions, type WriteResult } from './api.js';
export { StatusError, type Status, type StatusCause, type StatusDetails } from './errors.js';
export { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
export { RESOURCES, lookupKind, lookupResource, type ResourceType } from './resources.js';
export type { ClusterState } from './state.js';
export type { KubeObject } from './store.js';
export { MANAGED_BY as ENDPOINTSLICE_MANAGED_BY } from './controllers/endpointslice.js';
