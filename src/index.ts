/**
 * dataplane: the Linux load-balancing dataplane from Node.js over netlink.
 * Importing this module has no side effects; the native addon loads on the
 * first `open()`.
 */
export { formatIp, parseCidr, parseIp, tryParseIp, type IpAddress, type IpFamily } from './addr.js';
export {
  Conntrack,
  type ConntrackCounters,
  type ConntrackEntry,
  type ConntrackEntryRef,
  type ConntrackFilter,
  type ConntrackProtocol,
  type ConntrackStatus,
  type ConntrackTuple,
  type ConntrackTupleFilter,
  type TcpState,
} from './conntrack.js';
export { isExists, isNotFound, NetlinkError } from './errors.js';
export { Genl, type GenlFamily } from './genl.js';
export type { NetnsOption, OpenOptions } from './handle.js';
export {
  Rtnl,
  type AddAddressOptions,
  type Address,
  type AddressResult,
  type Link,
  type LinkRef,
  type OperState,
  type Scope,
} from './rtnl.js';
export { Ipvs } from './ipvs/ipvs.js';
export { FakeIpvs } from './ipvs/fake.js';
export type { IpvsInfo, IpvsOperation, IpvsOperationResult, ServiceWithDests, Timeouts } from './ipvs/client.js';
export type { AddressKey, FwmarkKey, Protocol, SchedulerFlag, Service, ServiceKey, ServiceOptions, ServiceSpec } from './ipvs/service.js';
export type { Dest, DestKey, DestSpec, ForwardMethod, Tunnel, TunnelChecksum, TunnelType } from './ipvs/dest.js';
export type { Daemon, DaemonRole, DaemonSpec } from './ipvs/daemon.js';
export type { Stats } from './ipvs/stats.js';
export { formatList, type ListFormat } from './ipvs/format.js';
export * from './nft/index.js';
// iptables (legacy x_tables): Iptables, FakeIptables, the typed table model, iptables-save/-restore text.
export * from './iptables/index.js';
