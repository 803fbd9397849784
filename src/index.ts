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
export * from './nft/index.js';
