// The typed model of an x_tables table: chains of rules, each rule an IP
// header part, matches and a target, as `iptables-save` shows them.
import type { ExtensionTarget, Match, RawExtension } from './ext/index.js';

export type { ExtensionTarget, Match, RawExtension } from './ext/index.js';

/** ip_tables / ip6_tables. */
export type IptablesFamily = 4 | 6;

/** The tables of x_tables, each with its built-in chains. */
export type TableName = 'filter' | 'nat' | 'mangle' | 'raw' | 'security';

export type BuiltinChain = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** The built-in chains of each table, in hook order (the kernel's valid_hooks). */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly BuiltinChain[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const TABLE_NAMES = Object.keys(BUILTIN_CHAINS) as TableName[];

/** Packet and byte counters (exact below 2^53). */
export interface Counters {
  packets: number;
  bytes: number;
}

/** A standard verdict: the rule's packet leaves the chain with it. */
export interface VerdictTarget {
  name: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE';
}

/** `-j CHAIN` (come back after it) or `-g CHAIN` (do not come back), to a user chain. */
export interface JumpTarget {
  name: 'jump' | 'goto';
  chain: string;
}

/** What a rule does with a matching packet. A rule without a target only counts. */
export type Target = VerdictTarget | JumpTarget | ExtensionTarget | RawExtension;

/** Invertible parts of the IP header match (`! -s`, `! -i`, ...). */
export interface RuleInvert {
  source?: boolean;
  destination?: boolean;
  inInterface?: boolean;
  outInterface?: boolean;
  protocol?: boolean;
  fragment?: boolean;
}

/**
 * One rule (`-A CHAIN ...`). Addresses are 'ADDR/PLEN' (a bare address is a
 * host; IPv4 also 'ADDR/MASK' for a non-contiguous mask); interfaces may end
 * in + to match a prefix; the protocol is a name ('tcp', 'udp', 'icmp',
 * 'icmpv6', 'sctp', ...) or a number.
 */
export interface Rule {
  source?: string;
  destination?: string;
  inInterface?: string;
  outInterface?: string;
  protocol?: string | number;
  /** IPv4 `-f`: second and later fragments. */
  fragment?: boolean;
  invert?: RuleInvert;
  matches?: Match[];
  target?: Target;
  counters?: Counters;
}

/** A chain: built-in ones have a policy (and its counters), user chains have none. */
export interface Chain {
  name: string;
  policy?: 'ACCEPT' | 'DROP';
  counters?: Counters;
  rules: Rule[];
}

/** A whole table's content. */
export interface TableData {
  name: TableName;
  family: IptablesFamily;
  chains: Chain[];
}
