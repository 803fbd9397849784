// The shared base of every handle: one native netlink socket opened inside a
// network namespace, with its operations run one after another.
import { show } from './check.js';
import { binding, type NativeHandle, type NetnsWire } from './binding.js';
import { fromSystemError, NetlinkError, type NativeErrorInfo } from './errors.js';

/**
 * Which network namespace a handle lives in:
 * - omitted: the caller's own;
 * - `'NAME'`: a named namespace, `/run/netns/NAME` (as made by `ip netns add NAME`);
 * - `'/path/to/ns'`: a namespace file (a bind mount or `/proc/PID/ns/net`);
 * - `{ pid }`: the namespace of a process.
 */
export type NetnsOption = string | { path: string } | { pid: number };

export interface OpenOptions {
  netns?: NetnsOption;
  /** Socket receive buffer in bytes (default 8 MiB; beyond net.core.rmem_max needs CAP_NET_ADMIN). */
  receiveBuffer?: number;
  /** Socket send buffer in bytes (default 8 MiB). */
  sendBuffer?: number;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

/** Validates a netns option into the binding's shape. */
export function netnsWire(ns: NetnsOption | undefined, what = 'netns'): NetnsWire {
  if (ns === undefined) return {};
  if (typeof ns === 'string') {
    if (ns.startsWith('/')) return { path: ns };
    if (!NETNS_NAME.test(ns) || ns === '.' || ns === '..') {
      throw new TypeError(`${what}: invalid namespace name ${show(ns)}`);
    }
    return { path: `/run/netns/${ns}` };
  }
  if (typeof ns === 'object' && ns !== null) {
    if ('path' in ns && typeof ns.path === 'string' && ns.path.startsWith('/')) return { path: ns.path };
    if ('pid' in ns && Number.isInteger(ns.pid) && ns.pid > 0 && ns.pid <= 0x3fffffff) return { pid: ns.pid };
  }
  throw new TypeError(`${what}: expected a name, an absolute path, { path } or { pid }`);
}

function bufferSize(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 4096 || v > 0x40000000) {
    throw new RangeError(`${what} must be an integer between 4096 and 1 GiB`);
  }
  return v;
}

/** What a native handle must offer for SerialHandle: release its socket. */
export interface NativeCloseable {
  close(): void;
}

/**
 * Base class of every handle: one native socket, its operations run one
 * after another, close() after the queued ones.
 */
export abstract class SerialHandle<N extends NativeCloseable> {
  readonly #native: N;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  protected constructor(native: N) {
    this.#native = native;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The native handle, for synchronous calls that need no queueing. */
  protected get native(): N {
    return this.#native;
  }

  /**
   * Releases the socket once the operations already queued have finished.
   * Later calls fail. Handles that are garbage-collected are closed too.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    this.#native.close();
  }

  /** Queues fn behind the handle's earlier operations. */
  protected run<T>(operation: string, fn: (native: N) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`${operation}: handle is closed`));
    const result = this.#tail.then(() => fn(this.#native)).catch((e: unknown) => {
      throw fromSystemError(operation, e);
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Base class of Rtnl, Genl and the netlink family handles. */
export abstract class NetlinkHandle extends SerialHandle<NativeHandle> {
  /** Creates the native socket of `protocol` inside the requested namespace. */
  protected static async openNative(protocol: 'route' | 'generic' | 'netfilter', options: OpenOptions = {},
    operation: string): Promise<NativeHandle> {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const where = netnsWire(options.netns);
    const sizes = {
      ...(options.receiveBuffer !== undefined ? { rcvbuf: bufferSize(options.receiveBuffer, 'receiveBuffer') } : {}),
      ...(options.sendBuffer !== undefined ? { sndbuf: bufferSize(options.sendBuffer, 'sendBuffer') } : {}),
    };
    const b = binding();
    const native = new b.Handle(b.protocols[protocol]);
    try {
      await native.open(where, sizes);
    } catch (e) {
      throw fromSystemError(operation, e);
    }
    return native;
  }

  /** The socket's port id and buffer sizes, for diagnostics. */
  socketInfo(): { portid: number; receiveBuffer: number; sendBuffer: number } {
    const i = this.native.info();
    return { portid: i.portid, receiveBuffer: i.rcvbuf, sendBuffer: i.sndbuf };
  }
}

/** Throws a NetlinkError for a per-request failure reported by the binding. */
export function check<T extends { error?: NativeErrorInfo }>(operation: string, result: T): T {
  if (result.error !== undefined) throw new NetlinkError(operation, result.error);
  return result;
}
