// -m udp (xt_udp, revision 0): source and destination ports.
import { u16, type Family } from '../wire.js';
import { checkKeys, type Codec, type Decoder, type Wire } from './ext.js';
import { checkPortSpec, type PortSpec } from './ports.js';
import { portOptions, putPortPair, readPortPair, savePorts } from './tcp.js';

/** `-p udp -m udp [--sport P[:P]] [--dport P[:P]]`. */
export interface UdpMatch {
  name: 'udp';
  sourcePort?: PortSpec;
  destinationPort?: PortSpec;
  invert?: { sourcePort?: boolean; destinationPort?: boolean };
}

const WIRE: Wire = { kernel: 'udp', revision: 0, size: 9 };

export const udp: Codec<UdpMatch> = {
  kind: 'match',
  name: 'udp',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'sourcePort', 'destinationPort', 'invert'], what);
    if (v.sourcePort !== undefined) checkPortSpec(v.sourcePort, `${what}.sourcePort`);
    if (v.destinationPort !== undefined) checkPortSpec(v.destinationPort, `${what}.destinationPort`);
    if (v.invert !== undefined) checkKeys(v.invert, ['sourcePort', 'destinationPort'], `${what}.invert`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    putPortPair(b, at, v.sourcePort);
    putPortPair(b, at + 4, v.destinationPort);
    b[at + 8] = (v.invert?.sourcePort ? 1 : 0) | (v.invert?.destinationPort ? 2 : 0);
  },
  save: (v) => savePorts(v.sourcePort, v.destinationPort, v.invert?.sourcePort === true, v.invert?.destinationPort === true),
  parser: { init: () => ({ name: 'udp' }), options: portOptions<UdpMatch>('udp') },
};

// Shared by every option-less -m udp of a decoded table (frozen).
const UDP_ANY: UdpMatch = Object.freeze({ name: 'udp' });

export const udpDecoder: Decoder = {
  kind: 'match',
  kernel: 'udp',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 9 || b[at + 8]! & ~3) return undefined;
    const inv = b[at + 8]!;
    if (inv === 0 && u16(b, at) === 0 && u16(b, at + 2) === 0xffff && u16(b, at + 4) === 0 && u16(b, at + 6) === 0xffff) return UDP_ANY;
    const m: UdpMatch = { name: 'udp' };
    const sp = readPortPair(b, at, (inv & 1) !== 0);
    const dp = readPortPair(b, at + 4, (inv & 2) !== 0);
    if (sp !== undefined) m.sourcePort = sp;
    if (dp !== undefined) m.destinationPort = dp;
    if (inv !== 0) m.invert = { ...(inv & 1 ? { sourcePort: true } : {}), ...(inv & 2 ? { destinationPort: true } : {}) };
    return m;
  },
};
