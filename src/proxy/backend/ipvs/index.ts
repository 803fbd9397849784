// IPVS mode of dataplane-proxy: the backend and what it is configured with.
export { IpvsBackend, type IpvsBackendDeps } from './backend.js';
export { DEFAULT_IPVS_OPTIONS, resolveIpvsOptions, type IpvsOptions } from './options.js';
export { DUMMY_DEVICE, type AddressHandle, type ConntrackHandle, type IpvsHandle } from './kernel.js';
export { TABLE as IPVS_TABLE } from './nft-table.js';
export { planServicePort, type PlanContext, type PlannedVirtualServer, type ServicePortPlan } from './plan.js';
export { ipvsSysctls, procSys, type SysctlAccess, type SysctlSetting } from './sysctl.js';
