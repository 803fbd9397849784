// The nftables backend of dataplane-proxy.
export { NftablesBackend, type NftablesBackendDeps } from './backend.js';
export { DEFAULT_SHARDS, MAX_SHARDS, TABLE, parseTableName, shardOf, shardTable } from './names.js';
