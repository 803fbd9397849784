// ip_tables / ip6_tables (legacy x_tables): the public surface.
export {
  Iptables, restoreTables as restoreIptables, type CounterMode as IptablesCounterMode, type GetOptions as IptablesGetOptions,
  type IptablesInterface, type IptablesOpenOptions, type ReplaceOptions as IptablesReplaceOptions,
  type RestoreOptions as IptablesRestoreOptions, type UpdateOptions as IptablesUpdateOptions,
} from './iptables.js';
export { FakeIptables, type FakeIptablesOptions } from './fake.js';
export { IptablesTable } from './table.js';
export { IptablesTransaction, type CommitOptions as IptablesCommitOptions } from './transaction.js';
export { TableEdit as IptablesTableEdit } from './edit.js';
export { IptablesConflictError, IptablesError, isConflict as isIptablesConflict } from './errors.js';
export { IptablesParseError } from './ext/ext.js';
export {
  applyScript as applyIptablesScript, parse as parseIptables, type ApplyOptions as IptablesApplyOptions,
  type ChainLine as IptablesChainLine, type IptablesScript, type ParseOptions as IptablesParseOptions,
  type ScriptTable as IptablesScriptTable,
} from './restore.js';
export { parseCommand as parseIptablesCommand, type Command as IptablesCommand } from './rule-parse.js';
export { splitArgs as splitIptablesArgs } from './args.js';
export { saveRule as saveIptablesRule, saveTable as saveIptablesTable, type SaveOptions as IptablesSaveOptions } from './save.js';
export { knownMatches as knownIptablesMatches, knownTargets as knownIptablesTargets } from './ext/index.js';
export {
  BUILTIN_CHAINS as IPTABLES_BUILTIN_CHAINS, TABLE_NAMES as IPTABLES_TABLE_NAMES,
  type BuiltinChain as IptablesBuiltinChain, type Chain as IptablesChain, type Counters as IptablesCounters,
  type ExtensionTarget as IptablesExtensionTarget, type IptablesFamily, type JumpTarget as IptablesJumpTarget,
  type Match as IptablesMatch, type RawExtension as IptablesRawExtension, type Rule as IptablesRule,
  type RuleInvert as IptablesRuleInvert, type TableData as IptablesTableData, type TableName as IptablesTableName,
  type Target as IptablesTarget, type VerdictTarget as IptablesVerdictTarget,
} from './types.js';
export type { TcpMatch, TcpFlag } from './ext/tcp.js';
export type { UdpMatch } from './ext/udp.js';
export type { SctpMatch } from './ext/sctp.js';
export type { IcmpMatch, Icmp6Match } from './ext/icmp.js';
export type { MultiportMatch } from './ext/multiport.js';
export type { CommentMatch } from './ext/comment.js';
export type { ConntrackMatch, StateMatch, CtState, CtStatus } from './ext/conntrack.js';
export type { MarkMatch, ConnmarkMatch } from './ext/mark.js';
export type { StatisticMatch } from './ext/statistic.js';
export type { RecentMatch } from './ext/recent.js';
export type { AddrtypeMatch, AddrType } from './ext/addrtype.js';
export type { LimitMatch } from './ext/limit.js';
export type { SetMatch, SetCounterOp } from './ext/set.js';
export type { PhysdevMatch } from './ext/physdev.js';
export type { MacMatch } from './ext/mac.js';
export type { PortSpec as IptablesPortSpec } from './ext/ports.js';
export type { DnatTarget, SnatTarget, MasqueradeTarget, RedirectTarget } from './ext/nat.js';
export type { MarkTarget } from './ext/mark-target.js';
export type { ConnmarkTarget } from './ext/connmark-target.js';
export type { RejectTarget, RejectWith4, RejectWith6 } from './ext/reject.js';
export type { LogTarget } from './ext/log.js';
export type { NflogTarget } from './ext/nflog.js';
export type { CtTarget, CtEvent, NotrackTarget } from './ext/ct.js';
export type { TcpmssTarget } from './ext/tcpmss.js';
