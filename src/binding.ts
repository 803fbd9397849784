// The native addon, loaded once with node-gyp-build (a prebuild when one
// matches, else the build from `npm install`). Wire-shaped types only.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeErrorInfo } from './errors.js';
import type { IpvsOutputWire } from './ipvs/table.js';

export interface NetnsWire {
  path?: string;
  pid?: number;
}

export interface NativeGenlFamily {
  error?: NativeErrorInfo;
  name: string;
  id: number;
  version: number;
  hdrsize: number;
  maxattr: number;
  groups: { name: string; id: number }[];
}

export interface NativeLink {
  index: number;
  name: string;
  kind: string;
  type: number;
  flags: number;
  mtu: number;
  address: Uint8Array;
  operstate: number;
  master: number;
  parent: number;
  linkNetnsid: number;
}

export interface NativeAddress {
  index: number;
  family: number;
  prefixLength: number;
  scope: number;
  flags: number;
  address: Uint8Array;
  local: Uint8Array;
  label: string;
  validLifetime: number;
  preferredLifetime: number;
}

export type RtnlOpWire =
  | { op: 'getLink'; index?: number; name?: string }
  | { op: 'listLinks' }
  | { op: 'addLink'; name: string; kind: 'dummy' | 'veth'; mtu?: number; up?: boolean; peerName?: string; peerNetns?: NetnsWire }
  | { op: 'deleteLink'; index?: number; name?: string }
  | { op: 'setLink'; index?: number; name?: string; up?: boolean; mtu?: number }
  | { op: 'listAddresses'; family?: number }
  | {
      op: 'addAddress' | 'replaceAddress' | 'deleteAddress';
      index: number;
      family: number;
      prefixLength: number;
      address: Uint8Array;
      peer?: Uint8Array;
      scope?: number;
      flags?: number;
      label?: string;
      validLifetime?: number;
      preferredLifetime?: number;
    };

export interface RtnlResultWire {
  error?: NativeErrorInfo;
  links?: NativeLink[];
  addresses?: NativeAddress[];
}

/** One direction of a conntrack entry, as ctnetlink carries it. */
export interface NativeCtTuple {
  source: Uint8Array;
  destination: Uint8Array;
  protocol: number;
  sourcePort?: number;
  destinationPort?: number;
  icmpId?: number;
  icmpType?: number;
  icmpCode?: number;
}

export interface NativeCtCounters {
  packets: number;
  bytes: number;
}

export interface NativeCtEntry {
  family: number;
  original: NativeCtTuple;
  reply: NativeCtTuple;
  status: number;
  timeout: number;
  mark: number;
  id: number;
  use: number;
  zone: number;
  tcpState?: number;
  sctpState?: number;
  countersOriginal?: NativeCtCounters;
  countersReply?: NativeCtCounters;
}

/** A partial tuple the kernel filters a dump by (Linux >= 5.8; ignored before). */
export interface CtTupleMatchWire {
  source?: Uint8Array;
  destination?: Uint8Array;
  protocol?: number;
  sourcePort?: number;
  destinationPort?: number;
}

export type ConntrackOpWire =
  | { op: 'list'; family: number; mark?: number; markMask?: number; zone?: number; original?: CtTupleMatchWire; reply?: CtTupleMatchWire }
  | { op: 'delete'; family: number; original: NativeCtTuple; zone?: number; id?: number };

export interface ConntrackResultWire {
  error?: NativeErrorInfo;
  entries?: NativeCtEntry[];
}

export interface NativeHandle {
  open(where: NetnsWire, options: { rcvbuf?: number; sndbuf?: number }): Promise<void>;
  close(): void;
  info(): { protocol: number; portid: number; rcvbuf: number; sndbuf: number };
  rtnl(ops: RtnlOpWire[]): Promise<RtnlResultWire[]>;
  genlFamily(name: string): Promise<NativeGenlFamily>;
  /**
   * IPVS ops packed by src/ipvs/encode.ts; resolves to tables decoded by
   * src/ipvs/table.ts. With onChunk, a large listAll hands its services over
   * in chunks (rows of services[first...]) while the rest are being dumped;
   * its result then says how many chunks were sent (`streamed`).
   */
  ipvs(nums: Uint32Array, strs: string, onChunk?: (first: number, rows: IpvsOutputWire) => void): Promise<IpvsOutputWire>;
  /** One nfnetlink batch (messages back to back) in one sendmsg; errors matched to message indexes. */
  nfnlBatch(messages: Uint8Array, subsys: number, genid?: number): Promise<NfnlBatchResultWire>;
  /** Requests (dumps where dumps[i] != 0) in one exchange; each reply's messages concatenated. */
  nfnl(messages: Uint8Array, dumps: Uint8Array): Promise<{ error?: NativeErrorInfo; data: Buffer }[]>;
  /** nfnl with every reply in one buffer: reply i is data[ends[i - 1] (0 for the first), ends[i]). */
  nfnlConcat(messages: Uint8Array, dumps: Uint8Array): Promise<{ data: Buffer; ends: Uint32Array; errors: { index: number; error: NativeErrorInfo }[] }>;
  /** Joins a netlink multicast group. */
  subscribe(group: number): void;
  /** open() done on the calling thread (opening a namespace file never blocks); throws a system error. */
  openSync(where: NetnsWire, options: { rcvbuf?: number; sndbuf?: number }): void;
  /**
   * Reads multicast datagrams on the JS thread's event loop as they arrive
   * (no pool thread; the watch does not keep the loop alive until
   * watchRef(true)). errno > 0: the socket failed and the watch stopped.
   */
  watch(onData: (data: Buffer, lost: boolean, errno: number) => void): void;
  watchRef(on: boolean): void;
  /** Stops watch() (close() does too). */
  unwatch(): void;
  conntrack(ops: ConntrackOpWire[]): Promise<ConntrackResultWire[]>;
}

export interface NfnlBatchResultWire {
  /** index: the message's position in the batch; -1 the batch begin, N the batch end. */
  errors: { index: number; error: NativeErrorInfo }[];
  lost: boolean;
}

/** The x_tables handle (native/napi/iptables_ops.h): a raw socket's sockopts. */
export interface NativeXtHandle {
  open(where: NetnsWire): Promise<void>;
  close(): void;
  /** IPT_SO_GET_INFO + IPT_SO_GET_ENTRIES (EAGAIN retried); entries is the kernel's blob. */
  get(table: string): Promise<{ error?: NativeErrorInfo; info: XtInfoWire; entries: Buffer; generation: bigint }>;
  /** IPT_SO_SET_REPLACE (+ IPT_SO_SET_ADD_COUNTERS); blob starts with 96 bytes of room for struct ipt_replace. */
  replace(params: XtReplaceWire, blob: Uint8Array): Promise<{ error?: NativeErrorInfo; step?: string; conflict: boolean; attempts: number }>;
  /** /proc/net/ip_tables_names (ip6_tables_names) of the socket's namespace. */
  tables(): Promise<string[]>;
  /** ipset name -> index (negative errno when missing), index -> name (negative errno when missing). */
  ipset(query: { names?: string[]; indexes?: number[] }): Promise<{ indexes: number[]; names: (string | number)[] }>;
  /**
   * Takes the xtables lock (flock, waiting up to waitMs) until unlock() or
   * close(); meanwhile replace() does not take it again, and a replace at
   * the generation of a get() made under it does not read the table again.
   */
  lock(params: { path: string; waitMs: number }): Promise<{ error?: NativeErrorInfo }>;
  /** Releases the lock lock() took (nothing when not held). */
  unlock(): void;
}

export interface XtInfoWire {
  validHooks: number;
  hookEntry: number[];
  underflow: number[];
  numEntries: number;
  size: number;
}

export interface XtReplaceWire extends XtInfoWire {
  table: string;
  /** 0 zero, 1 set (from `set`), 2 keep. */
  counters: 0 | 1 | 2;
  set?: BigUint64Array;
  generation?: bigint;
  /** Keep mode: entry i of the new table was entry map[i] (-1: none) of the table read at mapGeneration. */
  map?: Int32Array;
  mapGeneration?: bigint;
  lockPath?: string;
  lockWaitMs?: number;
  attempts?: number;
}

export interface Binding {
  Handle: new (protocol: number) => NativeHandle;
  XtHandle: new (family: 4 | 6) => NativeXtHandle;
  protocols: { route: number; generic: number; netfilter: number };
}

let loaded: Binding | undefined;

/**
 * Why the addon could not be loaded, with the fix: node-gyp-build found
 * neither a prebuild for this platform nor a build from `npm install`
 * (`code: 'ERR_DATAPLANE_ADDON_MISSING'`, the loader's own error as `cause`).
 */
export function addonMissingError(packageDir: string, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause);
  const e = new Error(
    `dataplane: the native addon is not built (${why}; looked in ${join(packageDir, 'prebuilds')} ` +
      `and ${join(packageDir, 'build', 'Release')}). The package ships a prebuild for linux-x64 only; ` +
      'elsewhere its install script builds it with node-gyp, which did not run or failed. ' +
      'npm skips install scripts under --ignore-scripts, and npm 11 may skip those of packages ' +
      'not approved in package.json "allowScripts": run `npm install-scripts approve dataplane` ' +
      '(or `npm install -g --allow-scripts=dataplane` for a global install), then `npm rebuild dataplane`, ' +
      'with a C++17 compiler, make and python3 installed.',
    { cause },
  );
  (e as Error & { code: string }).code = 'ERR_DATAPLANE_ADDON_MISSING';
  return e;
}

/** The addon, loaded on first use (so importing the package has no side effect). */
export function binding(): Binding {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => Binding;
    const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    try {
      loaded = load(packageDir);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('No native build was found')) throw addonMissingError(packageDir, e);
      throw e;
    }
  }
  return loaded;
}
