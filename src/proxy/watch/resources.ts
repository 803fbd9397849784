// The API resources the proxy reads, with the verbs it uses on them: the
// informers' paths come from here, and so does the ClusterRole in
// deploy/dataplane-proxy.yaml (a unit test holds them equal).

export interface WatchedResource {
  /** API group ('' for core). */
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** The list+watch path (cluster-wide). */
  readonly path: string;
  readonly verbs: readonly ('list' | 'watch')[];
}

const LIST_WATCH = ['list', 'watch'] as const;

export const SERVICES: WatchedResource = { group: '', version: 'v1', resource: 'services', path: '/api/v1/services', verbs: LIST_WATCH };
export const ENDPOINT_SLICES: WatchedResource = {
  group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', path: '/apis/discovery.k8s.io/v1/endpointslices', verbs: LIST_WATCH,
};
/** Only this node's Node (fieldSelector metadata.name=NODE). */
export const NODES: WatchedResource = { group: '', version: 'v1', resource: 'nodes', path: '/api/v1/nodes', verbs: LIST_WATCH };

/** Everything the proxy reads. */
export const WATCHED_RESOURCES: readonly WatchedResource[] = [SERVICES, ENDPOINT_SLICES, NODES];
