// The nftables backend of dataplane-proxy.
export { NftablesBackend, type NftablesBackendDeps } from './backend.js';
/** Table names and shard placement, for tools and tests that look at the ruleset. */
export { DEFAULT_SHARDS, MAX_SHARDS, TABLE, parseTableName, shardOf, shardTable } from './names.js';
