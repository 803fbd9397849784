// Decoding the nf_tables multicast group (NFNLGRP_NFTABLES): every change
// committed by anyone (us, nft, iptables-nft) arrives as the same NEW/DEL
// messages a listing returns, then one NEWGEN per committed batch.
import { decodeChain, type Chain } from './chain.js';
import { decodeFlowtable, type Flowtable } from './flowtable.js';
import { decodeObject, type NamedObject } from './object.js';
import { decodeRule, type Rule } from './rule.js';
import { decodeElements, decodeSet, type NftSet, type SetElement } from './set.js';
import { decodeTable, type Table } from './table.js';
import * as U from './uapi.js';
import { be32, messageAttrs, messages, type NfMessage } from './wire.js';

export type NftEvent =
  | { type: 'new' | 'delete'; kind: 'table'; table: Table }
  | { type: 'new' | 'delete'; kind: 'chain'; chain: Chain }
  | { type: 'new' | 'delete'; kind: 'rule'; rule: Rule }
  | { type: 'new' | 'delete'; kind: 'set'; set: NftSet }
  | { type: 'new' | 'delete'; kind: 'element'; family: string; table: string; set: string; elements: SetElement[] }
  | { type: 'new' | 'delete'; kind: 'object'; object: NamedObject }
  /**
   * A flowtable added or deleted; when devices were added to (or removed
   * from) a flowtable that stays, `devices` holds only those devices. The
   * kernel may leave the hook out of a deletion.
   */
  | { type: 'new' | 'delete'; kind: 'flowtable'; flowtable: Flowtable }
  /** A batch was committed: the new generation and the process that sent it. */
  | { type: 'generation'; id: number; pid?: number; process?: string }
  /** The receive buffer overflowed: events were dropped; re-list to resync. */
  | { type: 'lost' };

function decodeEvent(m: NfMessage): NftEvent | undefined {
  if (m.type >> 8 !== U.NFNL_SUBSYS_NFTABLES) return undefined;
  const cmd = m.type & 0xff;
  switch (cmd) {
    case U.NFT_MSG_NEWTABLE: case U.NFT_MSG_DELTABLE:
      return { type: cmd === U.NFT_MSG_NEWTABLE ? 'new' : 'delete', kind: 'table', table: decodeTable(m) };
    case U.NFT_MSG_NEWCHAIN: case U.NFT_MSG_DELCHAIN:
      return { type: cmd === U.NFT_MSG_NEWCHAIN ? 'new' : 'delete', kind: 'chain', chain: decodeChain(m) };
    case U.NFT_MSG_NEWRULE: case U.NFT_MSG_DELRULE:
      return { type: cmd === U.NFT_MSG_NEWRULE ? 'new' : 'delete', kind: 'rule', rule: decodeRule(m) };
    case U.NFT_MSG_NEWSET: case U.NFT_MSG_DELSET:
      return { type: cmd === U.NFT_MSG_NEWSET ? 'new' : 'delete', kind: 'set', set: decodeSet(m) };
    case U.NFT_MSG_NEWSETELEM: case U.NFT_MSG_DELSETELEM:
      return { type: cmd === U.NFT_MSG_NEWSETELEM ? 'new' : 'delete', kind: 'element', ...decodeElements(m, () => undefined) };
    case U.NFT_MSG_NEWOBJ: case U.NFT_MSG_DELOBJ:
      return { type: cmd === U.NFT_MSG_NEWOBJ ? 'new' : 'delete', kind: 'object', object: decodeObject(m) };
    case U.NFT_MSG_NEWFLOWTABLE: case U.NFT_MSG_DELFLOWTABLE:
      return { type: cmd === U.NFT_MSG_NEWFLOWTABLE ? 'new' : 'delete', kind: 'flowtable', flowtable: decodeFlowtable(m) };
    case U.NFT_MSG_NEWGEN: {
      const a = messageAttrs(m);
      const e: NftEvent = { type: 'generation', id: a[U.NFTA_GEN_ID] ? be32(a[U.NFTA_GEN_ID], 'generation') : 0 };
      if (a[U.NFTA_GEN_PROC_PID]) e.pid = be32(a[U.NFTA_GEN_PROC_PID], 'pid');
      if (a[U.NFTA_GEN_PROC_NAME]) e.process = a[U.NFTA_GEN_PROC_NAME].toString('utf8').replace(/\0+$/, '');
      return e;
    }
    default:
      return undefined;
  }
}

/** Decodes concatenated multicast messages into events (unknown ones are skipped). */
export function decodeEvents(data: Buffer): NftEvent[] {
  const out: NftEvent[] = [];
  for (const m of messages(data)) {
    const e = decodeEvent(m);
    if (e !== undefined) out.push(e);
  }
  return out;
}
