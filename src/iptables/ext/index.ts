// The registry of extensions: typed name -> codec, kernel name -> decoders.
import { addrtype, addrtypeDecoder, type AddrtypeMatch } from './addrtype.js';
import { comment, commentDecoder, type CommentMatch } from './comment.js';
import { connmarkTarget, connmarkTargetDecoder, type ConnmarkTarget } from './connmark-target.js';
import { conntrack, conntrackDecoder, state, stateDecoder, type ConntrackMatch, type StateMatch } from './conntrack.js';
import { ct, ctDecoder, notrack, notrackDecoder, type CtTarget, type NotrackTarget } from './ct.js';
import type { Codec, Decoder } from './ext.js';
import { icmp, icmp6, icmp6Decoder, icmpDecoder, type Icmp6Match, type IcmpMatch } from './icmp.js';
import { limit, limitDecoder, type LimitMatch } from './limit.js';
import { log, logDecoder, type LogTarget } from './log.js';
import { mac, macDecoder, type MacMatch } from './mac.js';
import { connmark, connmarkDecoder, mark, markDecoder, type ConnmarkMatch, type MarkMatch } from './mark.js';
import { markTarget, markTargetDecoder, type MarkTarget } from './mark-target.js';
import { multiport, multiportDecoder, type MultiportMatch } from './multiport.js';
import {
  dnat, dnatDecoder, masquerade, masqueradeDecoder, redirect, redirectDecoder, snat, snatDecoder,
  type DnatTarget, type MasqueradeTarget, type RedirectTarget, type SnatTarget,
} from './nat.js';
import { nflog, nflogDecoder, type NflogTarget } from './nflog.js';
import { physdev, physdevDecoder, type PhysdevMatch } from './physdev.js';
import { recent, recentDecoder, type RecentMatch } from './recent.js';
import { reject, rejectDecoder, type RejectTarget } from './reject.js';
import { sctp, sctpDecoder, type SctpMatch } from './sctp.js';
import { set, setDecoder, type SetMatch } from './set.js';
import { statistic, statisticDecoder, type StatisticMatch } from './statistic.js';
import { tcp, tcpDecoder, type TcpMatch } from './tcp.js';
import { tcpmss, tcpmssDecoder, type TcpmssTarget } from './tcpmss.js';
import { udp, udpDecoder, type UdpMatch } from './udp.js';

/**
 * An extension dataplane has no typed form for: its kernel name, revision
 * and data bytes (after the 32-byte header, XT_ALIGNed), re-encoded byte for
 * byte.
 */
export interface RawExtension {
  name: 'raw';
  extension: string;
  revision: number;
  data: Uint8Array;
}

export type Match = TcpMatch | UdpMatch | SctpMatch | IcmpMatch | Icmp6Match | MultiportMatch | CommentMatch | ConntrackMatch |
  StateMatch | MarkMatch | ConnmarkMatch | StatisticMatch | RecentMatch | AddrtypeMatch | LimitMatch | SetMatch | PhysdevMatch |
  MacMatch | RawExtension;

export type ExtensionTarget = DnatTarget | SnatTarget | MasqueradeTarget | RedirectTarget | MarkTarget | ConnmarkTarget |
  RejectTarget | LogTarget | NflogTarget | CtTarget | NotrackTarget | TcpmssTarget;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCodec = Codec<any>;

const MATCHES: readonly AnyCodec[] = [tcp, udp, sctp, icmp, icmp6, multiport, comment, conntrack, state, mark, connmark,
  statistic, recent, addrtype, limit, set, physdev, mac];
const TARGETS: readonly AnyCodec[] = [dnat, snat, masquerade, redirect, markTarget, connmarkTarget, reject, log, nflog, ct,
  notrack, tcpmss];
const DECODERS: readonly Decoder[] = [tcpDecoder, udpDecoder, sctpDecoder, icmpDecoder, icmp6Decoder, multiportDecoder,
  commentDecoder, conntrackDecoder, stateDecoder, markDecoder, connmarkDecoder, statisticDecoder, recentDecoder,
  addrtypeDecoder, limitDecoder, setDecoder, physdevDecoder, macDecoder, dnatDecoder, snatDecoder, masqueradeDecoder,
  redirectDecoder, markTargetDecoder, connmarkTargetDecoder, rejectDecoder, logDecoder, nflogDecoder, ctDecoder,
  notrackDecoder, tcpmssDecoder];

const matchCodecs = new Map(MATCHES.map((c) => [c.name as string, c]));
const targetCodecs = new Map(TARGETS.map((c) => [c.name as string, c]));
const matchDecoders = new Map(DECODERS.filter((d) => d.kind === 'match').map((d) => [d.kernel, d]));
const targetDecoders = new Map(DECODERS.filter((d) => d.kind === 'target').map((d) => [d.kernel, d]));

export const matchCodec = (name: string): AnyCodec | undefined => matchCodecs.get(name);
export const targetCodec = (name: string): AnyCodec | undefined => targetCodecs.get(name);
export const matchDecoder = (kernel: string): Decoder | undefined => matchDecoders.get(kernel);
export const targetDecoder = (kernel: string): Decoder | undefined => targetDecoders.get(kernel);

/** The typed names of every match and target with a typed form. */
export const knownMatches = (): string[] => [...matchCodecs.keys()];
export const knownTargets = (): string[] => [...targetCodecs.keys()];
