// IPVS mode of dataplane-proxy: the backend and what it is configured with.
import type { BackendOptions } from '../backend.js';
import { IpvsBackend } from './backend.js';

export { IpvsBackend, type IpvsBackendDeps } from './backend.js';
export { DEFAULT_IPVS_OPTIONS, resolveIpvsOptions, type IpvsOptions } from './options.js';
export { DUMMY_DEVICE, type AddressHandle, type ConntrackHandle, type IpvsHandle } from './kernel.js';
export { TABLE as IPVS_TABLE } from './nft-table.js';
export { planServicePort, type PlanContext, type PlannedVirtualServer, type ServicePortPlan } from './plan.js';
export { ipvsSysctls } from './sysctl.js';
export { procSys, type SysctlAccess, type SysctlSetting } from '../sysctl.js';

/** The mode's factory (what the proxy's backend registry loads for --proxy-mode=ipvs): settings from `options.ipvs`. */
export function createBackend(options: BackendOptions): IpvsBackend {
  return new IpvsBackend(options);
}
