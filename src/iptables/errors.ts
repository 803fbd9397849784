// Kernel refusals of x_tables operations: NetlinkErrors (errno, code, the
// operation) that also name the table.
import { NetlinkError, type NativeErrorInfo } from '../errors.js';

/** The kernel refused an x_tables operation (`iptables.get`, `iptables.replace`, ...). */
export class IptablesError extends NetlinkError {
  /** The table the operation was on. */
  readonly table: string;
  /** For replace: which step failed ('lock', 'read', 'check', 'replace', 'counters'). */
  readonly step?: string;

  constructor(operation: string, table: string, info: NativeErrorInfo, step?: string) {
    super(operation, { ...info, detail: [`table ${table}`, step !== undefined ? `step ${step}` : undefined, info.detail].filter(Boolean).join('; ') });
    this.name = 'IptablesError';
    this.table = table;
    if (step !== undefined) this.step = step;
  }
}

/**
 * A generation-checked replace found the table changed since it was read
 * (another writer came in between); nothing was changed. code EAGAIN.
 */
export class IptablesConflictError extends IptablesError {
  constructor(operation: string, table: string) {
    super(operation, table, { errno: 11, code: 'EAGAIN', message: 'the table changed since it was read' });
    this.name = 'IptablesConflictError';
  }
}

/** True for the error a generation-checked commit throws when another writer came first. */
export function isConflict(e: unknown): e is IptablesConflictError {
  return e instanceof IptablesConflictError;
}
