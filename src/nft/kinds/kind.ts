// One home per kind of operation (table, chain, rule, set, elements,
// object, flowtable, ruleset): each file here says, for its kind, which
// message a verb sends, how it is encoded, described in errors, printed as
// nft syntax, what it touches (for commit()'s reordering, plan.ts) and what
// it does to a FakeNftables' state. transaction.ts, plan.ts and fake.ts
// loop over this registry.
import { show } from '../../check.js';
import type { Keys, Access } from '../plan-keys.js';
import type { Rule } from '../rule.js';
import type { RulesetData } from '../ruleset.js';
import type { NftSet, SetElement, SetShape } from '../set.js';
import type { Table } from '../table.js';
import type { Operation, Verb } from '../transaction.js';
import type { Verdict } from '../expr/data.js';
import type { Chain } from '../chain.js';
import * as U from '../uapi.js';
import type { Writer } from '../wire.js';

export type OperationOf<K extends Operation['kind']> = Extract<Operation, { kind: K }>;

export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

/** An nf_tables message type as nfnetlink numbers it. */
export const MSG = (m: number): number => (U.NFNL_SUBSYS_NFTABLES << 8) | m;

/** The flags of an add (NLM_F_CREATE) or create (NLM_F_CREATE | NLM_F_EXCL); 0 otherwise. */
export function createFlags(verb: Verb): number {
  return verb === 'create' ? NLM_F_CREATE | NLM_F_EXCL : verb === 'add' ? NLM_F_CREATE : 0;
}

/** A set's (or any named thing's) key in maps: family, table, name. */
export function setKey(s: { family: string; table: string; name: string }): string {
  return `${s.family}\0${s.table}\0${s.name}`;
}

// Sets added in a batch get NFTA_SET_ID numbers; rules and elements that
// name them carry the id too, as nft does (anonymous sets are found only by it).
export interface SetIds {
  next: number;
  byName: Map<string, number>;
  /** EncodeOptions.anonymousId, and how many anonymous sets it named. */
  anonymousId?: (() => number) | undefined;
  named: number;
  kinds: Map<string, unknown>;
  /** Chains bound to a rule (NFT_CHAIN_BINDING), made in this batch: their NFTA_CHAIN_ID. */
  chains: Map<string, number>;
}

/** What encoding one operation needs from the whole transaction. */
export interface EncodeContext {
  /** The shapes of the sets the transaction knows (its own, and those it was told of). */
  shapes: Map<string, SetShape>;
  ids: SetIds;
}

/** What printing one operation needs from the whole transaction. */
export interface PrintContext {
  shapes: Map<string, SetShape>;
  /** The sets the transaction adds, by setKey: rules print their lookups with them. */
  sets: Map<string, NftSet>;
}

/** The state of a FakeNftables. */
export type FakeState = Required<Omit<RulesetData, 'interfaces'>>;

/** The errors a FakeNftables answers with, as the kernel would. */
export type FakeErrno = 'ENOENT' | 'EEXIST' | 'EBUSY' | 'EINVAL' | 'EOPNOTSUPP';

/** What the fake gives an operation to apply itself with. */
export interface FakeContext {
  /** A new handle (tables, chains, rules, sets, objects, flowtables share the counter, as in the kernel). */
  handle(): number;
  /** The handle handle() will give next. */
  nextHandle(): number;
  /** Refuses the operation as the kernel would. */
  refuse(code: FakeErrno, why: string): never;
  table(s: FakeState, family: string, name: string): Table | undefined;
  needTable(s: FakeState, family: string, name: string): void;
  needChain(s: FakeState, where: { family: string; table: string }, v: Verdict): void;
  chainReferenced(s: FakeState, c: Chain): boolean;
  /** A set as the kernel would hold it (flag bits, key length, userdata, typed elements). */
  newSet(x: NftSet): NftSet;
  /** Elements as a listing returns them. */
  typed(set: NftSet, els: SetElement[]): SetElement[];
  /** Notes that the operation being applied added this rule (for the reference check after the batch). */
  added(rule: Rule): void;
}

export interface OperationKind<K extends Operation['kind']> {
  kind: K;
  /** The NFT_MSG_* a verb sends. */
  messageType(verb: Verb): number;
  /** Appends the operation's messages. */
  encode(w: Writer, op: OperationOf<K>, ctx: EncodeContext): void;
  /** For errors: `add rule ip kube-proxy svc1`. */
  describe(op: OperationOf<K>): string;
  /** As an nft command (`nft -f` input). */
  print(op: OperationOf<K>, ctx: PrintContext): string;
  /** Fills a with the keys it reads and writes (plan.ts); false when reordering around it is not known to be safe. */
  access(k: Keys, op: OperationOf<K>, a: Access): boolean;
  /** Applies it to a FakeNftables' state. */
  apply(s: FakeState, op: OperationOf<K>, fake: FakeContext): void;
}

const kinds: Partial<Record<Operation['kind'], OperationKind<Operation['kind']>>> = {};

export function registerKind<K extends Operation['kind']>(k: OperationKind<K>): OperationKind<K> {
  kinds[k.kind] = k as unknown as OperationKind<Operation['kind']>;
  return k;
}

/** The kind of an operation (its methods take the operation as it is). */
export function kindOf<O extends Operation>(op: O): OperationKind<O['kind']> {
  const k = kinds[op.kind];
  if (k === undefined) throw new TypeError(`unknown operation kind ${show(op.kind)}`);
  return k as never;
}

/** True for a verb that makes or changes the thing (add, create, insert, replace). */
export function adding(verb: Verb): boolean {
  return verb === 'add' || verb === 'create' || verb === 'insert' || verb === 'replace';
}

export const clone = <T>(x: T): T => structuredClone(x);
