/**
 * Errors raised by dataplane. Kernel refusals are {@link NetlinkError}s;
 * bad arguments are TypeError or RangeError, thrown before anything is sent.
 */

/** What the native layer reports for one failed request. */
export interface NativeErrorInfo {
  errno: number;
  code: string;
  message: string;
  extack?: string;
  extackOffset?: number;
  detail?: string;
}

/**
 * The kernel (or a netlink syscall) refused an operation.
 *
 * `operation` names the call that failed (`'rtnl.addAddress'`), `code` is the
 * errno name (`'EEXIST'`), and `extack` carries the kernel's own explanation
 * when it sent one (`'Unknown device type'`).
 */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly operation: string;
  readonly extack?: string;
  /** Byte offset of the offending attribute in the request, when the kernel gave it. */
  readonly extackOffset?: number;
  /** The syscall that failed, for socket-level errors (`'setns'`, `'sendmsg'`). */
  readonly syscall?: string;

  constructor(operation: string, info: NativeErrorInfo & { syscall?: string }) {
    const why = info.extack ? `: ${info.extack}` : info.detail ? ` (${info.detail})` : '';
    super(`${operation} failed: ${info.message} [${info.code}]${why}`);
    this.name = 'NetlinkError';
    this.errno = info.errno;
    this.code = info.code;
    this.operation = operation;
    if (info.extack !== undefined) this.extack = info.extack;
    if (info.extackOffset !== undefined) this.extackOffset = info.extackOffset;
    if (info.syscall !== undefined) this.syscall = info.syscall;
  }
}

const NOT_FOUND = new Set(['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL']);

/** True for a NetlinkError meaning "no such object" (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL). */
export function isNotFound(e: unknown): e is NetlinkError {
  return e instanceof NetlinkError && NOT_FOUND.has(e.code);
}

/** True for a NetlinkError meaning "already exists" (EEXIST). */
export function isExists(e: unknown): e is NetlinkError {
  return e instanceof NetlinkError && e.code === 'EEXIST';
}

/** Wraps an error thrown by the native layer (a system error) as a NetlinkError. */
export function fromSystemError(operation: string, e: unknown): unknown {
  if (e instanceof NetlinkError) return e; // already says which operation failed
  if (e instanceof Error && typeof (e as { errno?: unknown }).errno === 'number') {
    const se = e as Error & { errno: number; code: string; syscall?: string };
    return new NetlinkError(operation, {
      errno: se.errno,
      code: se.code,
      message: se.message,
      ...(se.syscall !== undefined ? { syscall: se.syscall } : {}),
    });
  }
  return e;
}
