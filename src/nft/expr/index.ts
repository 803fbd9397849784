// Every expression the codec knows, one file each; importing this module
// registers them all. An expression of any other kind decodes as 'raw'.
import type { BitwiseExpr } from './bitwise.js';
import type { ByteorderExpr } from './byteorder.js';
import type { CmpExpr } from './cmp.js';
import type { ConnlimitExpr } from './connlimit.js';
import type { CounterExpr } from './counter.js';
import type { CtExpr } from './ct.js';
import type { DynsetExpr } from './dynset.js';
import type { FibExpr } from './fib.js';
import type { FlowOffloadExpr } from './flow_offload.js';
import type { HashExpr } from './hash.js';
import type { ImmediateExpr } from './immediate.js';
import type { LimitExpr } from './limit.js';
import type { LogExpr } from './log.js';
import type { LookupExpr } from './lookup.js';
import type { MasqExpr } from './masq.js';
import type { MetaExpr } from './meta.js';
import type { NatExpr } from './nat.js';
import type { NotrackExpr } from './notrack.js';
import type { NumgenExpr } from './numgen.js';
import type { ObjrefExpr } from './objref.js';
import type { PayloadExpr } from './payload.js';
import type { QueueExpr } from './queue.js';
import type { QuotaExpr } from './quota.js';
import type { RangeExpr } from './range.js';
import type { RedirExpr } from './redir.js';
import type { RejectExpr } from './reject.js';
import type { DupExpr } from './dup.js';
import type { ExthdrExpr } from './exthdr.js';
import type { FwdExpr } from './fwd.js';
import type { OsfExpr } from './osf.js';
import type { RtExpr } from './rt.js';
import type { SocketExpr } from './socket.js';
import type { SynproxyExpr } from './synproxy.js';
import type { TproxyExpr } from './tproxy.js';
import type { XfrmExpr } from './xfrm.js';
import type { RawExpr } from './spec.js';

import './dup.js';
import './exthdr.js';
import './fwd.js';
import './osf.js';
import './rt.js';
import './socket.js';
import './synproxy.js';
import './tproxy.js';
import './xfrm.js';
import './bitwise.js';
import './byteorder.js';
import './cmp.js';
import './connlimit.js';
import './counter.js';
import './ct.js';
import './dynset.js';
import './fib.js';
import './flow_offload.js';
import './hash.js';
import './immediate.js';
import './limit.js';
import './log.js';
import './lookup.js';
import './masq.js';
import './meta.js';
import './nat.js';
import './notrack.js';
import './numgen.js';
import './objref.js';
import './payload.js';
import './queue.js';
import './quota.js';
import './range.js';
import './redir.js';
import './reject.js';

/** One nf_tables expression, as the kernel stores it. */
export type Expression =
  | PayloadExpr | MetaExpr | CmpExpr | BitwiseExpr | ByteorderExpr | RangeExpr | LookupExpr | DynsetExpr
  | ImmediateExpr | CounterExpr | CtExpr | NatExpr | MasqExpr | RedirExpr | NumgenExpr | HashExpr | FibExpr
  | RejectExpr | LimitExpr | LogExpr | NotrackExpr | ObjrefExpr | QuotaExpr | ConnlimitExpr | QueueExpr | FlowOffloadExpr
  | ExthdrExpr | RtExpr | SocketExpr | OsfExpr | XfrmExpr | TproxyExpr | DupExpr | FwdExpr | SynproxyExpr | RawExpr;

export type {
  BitwiseExpr, ByteorderExpr, CmpExpr, ConnlimitExpr, CounterExpr, CtExpr, DynsetExpr, FibExpr, FlowOffloadExpr, HashExpr,
  ImmediateExpr, LimitExpr, LogExpr, LookupExpr, MasqExpr, MetaExpr, NatExpr, NotrackExpr, NumgenExpr, ObjrefExpr,
  PayloadExpr, QueueExpr, QuotaExpr, RangeExpr, RawExpr, RedirExpr, RejectExpr,
  ExthdrExpr, RtExpr, SocketExpr, OsfExpr, XfrmExpr, TproxyExpr, DupExpr, FwdExpr, SynproxyExpr,
};
export { decodeExprBody, encodeExpr, encodeExprBody, ExpressionError, knownExpressions, validateExpr } from './spec.js';
export { decodeData, encodeData, isVerdict, type Data, type Verdict, type VerdictKind } from './data.js';
