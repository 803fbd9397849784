// payload: load bytes from a packet header into a register, or write a
// register into the packet (with checksum fix-up).
//   `ip saddr`        -> { base: 'network', offset: 12, len: 4, dreg }
//   `tcp dport set 8080` -> { base: 'transport', offset: 2, len: 2, sreg, csumType: 1, csumOffset: 16 }
import { fromPrefix } from '../enums.js';
import * as U from '../uapi.js';
import { register } from './spec.js';

export type PayloadBase = 'll_header' | 'network_header' | 'transport_header' | 'inner_header';
export const PAYLOAD_BASES = fromPrefix<PayloadBase>('payload base', 'NFT_PAYLOAD_', ['csum_none', 'csum_inet', 'csum_sctp', 'l4csum_pseudohdr']);

export interface PayloadExpr {
  type: 'payload';
  base: PayloadBase | number;
  offset: number;
  len: number;
  /** Load: the destination register. */
  dreg?: number;
  /** Set: the register holding the new bytes. */
  sreg?: number;
  /** Set: NFT_PAYLOAD_CSUM_* (0 none, 1 inet, 2 sctp). */
  csumType?: number;
  csumOffset?: number;
  /** Set: NFT_PAYLOAD_L4CSUM_PSEUDOHDR (1) to fix the L4 checksum too. */
  csumFlags?: number;
}

export const payload = register({
  name: 'payload',
  fields: [
    { key: 'sreg', attr: U.NFTA_PAYLOAD_SREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'dreg', attr: U.NFTA_PAYLOAD_DREG, kind: 'reg', regLen: (e) => e.len as number },
    { key: 'base', attr: U.NFTA_PAYLOAD_BASE, kind: 'be32', enum: PAYLOAD_BASES },
    { key: 'offset', attr: U.NFTA_PAYLOAD_OFFSET, kind: 'be32' },
    { key: 'len', attr: U.NFTA_PAYLOAD_LEN, kind: 'be32' },
    { key: 'csumType', attr: U.NFTA_PAYLOAD_CSUM_TYPE, kind: 'be32' },
    { key: 'csumOffset', attr: U.NFTA_PAYLOAD_CSUM_OFFSET, kind: 'be32' },
    { key: 'csumFlags', attr: U.NFTA_PAYLOAD_CSUM_FLAGS, kind: 'be32' },
  ],
});
