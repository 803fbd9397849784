// dataplane-proxy's iptables mode (kube-proxy's iptables layout in legacy x_tables, chains named DP-*).
export { IptablesBackend, type IptablesBackendDeps } from './backend.js';
export { CHAIN, PREFIX, endpointChain, serviceChains } from './names.js';
