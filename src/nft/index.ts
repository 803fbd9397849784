// nftables over nfnetlink: the public surface.
export { Nftables, NftCommitError, type CommitOptions, type ListFilter, type NftablesInterface } from './nftables.js';
export { FakeNftables } from './fake.js';
export { Transaction, type AnonymousSet, type InlineLookup, type Operation, type SetRef, type Verb } from './transaction.js';
export { Ruleset, type RulesetData } from './ruleset.js';
export type { Table } from './table.js';
export { PRIORITIES, type Chain, type ChainType, type Policy } from './chain.js';
export type { Rule } from './rule.js';
export type { ElementValue, NftSet, SetElement, SetFlag } from './set.js';
export type { NamedObject } from './object.js';
export type { Flowtable, FlowtableFlag, FlowtableRef } from './flowtable.js';
export type { NftEvent } from './monitor.js';
export type { Family, Hook } from './enums.js';
export { NftValidationError } from './names.js';
export { DecodeError } from './wire.js';
export { ExpressionError, knownExpressions, type Data, type Expression, type Verdict, type VerdictKind } from './expr/index.js';
export type * from './expr/index.js';
export { printExpressions, printRule, printRuleset, printTable, type PrintOptions } from './print.js';
export * as nft from './builders.js';
