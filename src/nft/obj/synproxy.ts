// synproxy NAME { mss 1460; wscale 7; timestamp sack-perm }
import * as U from '../uapi.js';
import { registerObject } from './spec.js';

export const synproxyObject = registerObject({
  type: U.NFT_OBJECT_SYNPROXY,
  name: 'synproxy',
  fields: [
    { key: 'mss', attr: U.NFTA_SYNPROXY_MSS, kind: 'be16' },
    { key: 'wscale', attr: U.NFTA_SYNPROXY_WSCALE, kind: 'u8' },
    { key: 'flags', attr: U.NFTA_SYNPROXY_FLAGS, kind: 'be32' },
  ],
  print: (f, t) => {
    const flags = (f.flags as number | undefined) ?? 0;
    const lines: string[] = [];
    if (flags & U.NF_SYNPROXY_OPT_MSS) lines.push(`${t}mss ${(f.mss as number | undefined) ?? 0}`);
    if (flags & U.NF_SYNPROXY_OPT_WSCALE) lines.push(`${t}wscale ${(f.wscale as number | undefined) ?? 0}`);
    // nft prints both words with a space between, empty or not.
    if (flags & (U.NF_SYNPROXY_OPT_TIMESTAMP | U.NF_SYNPROXY_OPT_SACK_PERM)) {
      lines.push(`${t}${flags & U.NF_SYNPROXY_OPT_TIMESTAMP ? 'timestamp' : ''} ${flags & U.NF_SYNPROXY_OPT_SACK_PERM ? 'sack-perm' : ''}`);
    }
    return lines;
  },
});
