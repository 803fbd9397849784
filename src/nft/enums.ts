// Kernel enums as lower-case names, derived from the uapi constants so the
// numbers are never typed twice: NFT_META_L4PROTO <-> 'l4proto'.
import { show } from '../check.js';
import * as uapi from './uapi.js';

/** A two-way map between a kernel enum's names and numbers. */
export class KernelEnum<N extends string = string> {
  readonly byName = new Map<string, number>();
  readonly byNumber = new Map<number, N>();

  constructor(readonly what: string, entries: [N, number][]) {
    for (const [name, n] of entries) {
      this.byName.set(name, n);
      if (!this.byNumber.has(n)) this.byNumber.set(n, name);
    }
  }

  /** The number for a name (or a number passed through); throws TypeError for unknown names. */
  number(v: N | number): number {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    const n = this.byName.get(v as string);
    if (n === undefined) throw new TypeError(`unknown ${this.what} ${show(v)}; known: ${[...this.byName.keys()].join(', ')}`);
    return n;
  }

  /** The name for a number, or the number itself when the kernel has one we don't know. */
  name(n: number): N | number {
    return this.byNumber.get(n) ?? n;
  }

  has(v: unknown): boolean {
    return typeof v === 'string' ? this.byName.has(v) : typeof v === 'number' && Number.isInteger(v) && v >= 0;
  }
}

const table = uapi as unknown as Record<string, number>;

/** Every uapi constant starting with prefix (minus *_MAX and the skipped ones), as a KernelEnum. */
export function fromPrefix<N extends string = string>(what: string, prefix: string, skip: string[] = []): KernelEnum<N> {
  const entries: [N, number][] = [];
  for (const [k, v] of Object.entries(table)) {
    if (!k.startsWith(prefix) || k.endsWith('_MAX') || k === `${prefix}MAX`) continue;
    const name = k.slice(prefix.length).toLowerCase();
    if (skip.includes(name)) continue;
    entries.push([name as N, v]);
  }
  return new KernelEnum<N>(what, entries);
}

export function explicit<N extends string>(what: string, entries: [N, number][]): KernelEnum<N> {
  return new KernelEnum<N>(what, entries);
}

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
/** NFPROTO_* numbers of the table families. */
export const FAMILIES = explicit<Family>('family', [['inet', 1], ['ip', 2], ['arp', 3], ['netdev', 5], ['bridge', 7], ['ip6', 10]]);

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
/** NF_INET_* hook numbers; netdev's ingress/egress share 0/1. */
export const INET_HOOKS = explicit<Hook>('hook', [['prerouting', 0], ['input', 1], ['forward', 2], ['output', 3], ['postrouting', 4], ['ingress', 5]]);
export const NETDEV_HOOKS = explicit<Hook>('hook', [['ingress', 0], ['egress', 1]]);
export const ARP_HOOKS = explicit<Hook>('hook', [['input', 0], ['output', 1]]);

export function hooksOf(family: Family): KernelEnum<Hook> {
  return family === 'netdev' ? NETDEV_HOOKS : family === 'arp' ? ARP_HOOKS : INET_HOOKS;
}
