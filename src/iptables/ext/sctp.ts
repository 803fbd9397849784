// -m sctp (xt_sctp, revision 0): ports and chunk types with chunk flags.
import { put16, put32, u16, u32, type Family } from '../wire.js';
import { checkKeys, IptablesParseError, type Codec, type Decoder, type Wire } from './ext.js';
import { checkPortSpec, portSpec, type PortSpec } from './ports.js';
import { portOptions, savePorts } from './tcp.js';

/**
 * `-p sctp -m sctp [--sport P[:P]] [--dport P[:P]] [--chunk-types any|all|only CHUNKS]`.
 * Chunks are written as iptables writes them: `['INIT', 'DATA:Be']` (a flag
 * letter upper case: set, lower case: clear), or `['ALL']`, `['NONE']`.
 */
export interface SctpMatch {
  name: 'sctp';
  sourcePort?: PortSpec;
  destinationPort?: PortSpec;
  chunkTypes?: { match: 'any' | 'all' | 'only'; chunks: string[] };
  invert?: { sourcePort?: boolean; destinationPort?: boolean; chunkTypes?: boolean };
}

// sctp_chunk_names: name, type, the flag letters from bit 7 down to bit 0.
const CHUNKS: readonly [string, number, string][] = [
  ['DATA', 0, '----IUBE'], ['INIT', 1, '--------'], ['INIT_ACK', 2, '--------'], ['SACK', 3, '--------'],
  ['HEARTBEAT', 4, '--------'], ['HEARTBEAT_ACK', 5, '--------'], ['ABORT', 6, '-------T'],
  ['SHUTDOWN', 7, '--------'], ['SHUTDOWN_ACK', 8, '--------'], ['ERROR', 9, '--------'],
  ['COOKIE_ECHO', 10, '--------'], ['COOKIE_ACK', 11, '--------'], ['ECN_ECNE', 12, '--------'],
  ['ECN_CWR', 13, '--------'], ['SHUTDOWN_COMPLETE', 14, '-------T'], ['I_DATA', 64, '----IUBE'],
  ['RE_CONFIG', 130, '--------'], ['PAD', 132, '--------'], ['ASCONF', 193, '--------'],
  ['ASCONF_ACK', 128, '--------'], ['FORWARD_TSN', 192, '--------'], ['I_FORWARD_TSN', 194, '--------'],
];
const MATCH_TYPES = { any: 1, all: 2, only: 4 } as const;
const SRC_PORTS = 1;
const DEST_PORTS = 2;
const CHUNK_TYPES = 4;
const CHUNKMAP = 8; // offset of chunkmap[64]
const MATCH_TYPE = 264;
const FLAG_INFO = 268;
const FLAG_COUNT = 280;
const FLAGS = 284;
const INVFLAGS = 288;

interface Encoded {
  map: Uint32Array;
  flagInfo: [number, number, number][]; // chunk table index, flag, mask
}

/** parse_sctp_chunk: names (any case) with optional `:FLAGS`. */
function encodeChunks(chunks: readonly string[], what: string): Encoded {
  const map = new Uint32Array(64);
  const flagInfo: [number, number, number][] = [];
  if (chunks.length === 1 && chunks[0]!.toUpperCase() === 'ALL') return { map: map.fill(0xffffffff), flagInfo };
  if (chunks.length === 1 && chunks[0]!.toUpperCase() === 'NONE') return { map, flagInfo };
  for (const chunk of chunks) {
    const [name, flags] = chunk.split(':', 2) as [string, string | undefined];
    const i = CHUNKS.findIndex(([n]) => n === name.toUpperCase());
    if (i < 0) throw new RangeError(`${what}: unknown sctp chunk ${JSON.stringify(name)}`);
    const [, type, valid] = CHUNKS[i]!;
    map[type >>> 5]! |= 1 << (type & 31);
    for (const letter of flags ?? '') {
      const pos = valid.indexOf(letter.toUpperCase());
      if (pos < 0 || letter === '-') throw new RangeError(`${what}: invalid flags for chunk type ${i}`);
      const bit = 7 - pos;
      let info = flagInfo.find((f) => f[0] === i);
      if (info === undefined) {
        if (flagInfo.length === 4) throw new RangeError(`${what}: at most 4 chunk types can have flags`);
        info = [i, 0, 0];
        flagInfo.push(info);
      }
      info[2] |= 1 << bit;
      if (letter === letter.toUpperCase()) info[1] |= 1 << bit;
    }
  }
  return { map, flagInfo };
}

/** print_chunks (without the match type). */
function readChunks(b: Uint8Array, at: number): string[] | undefined {
  const words: number[] = [];
  for (let i = 0; i < 64; i++) words.push(u32(b, at + CHUNKMAP + 4 * i));
  if (words.every((w) => w === 0)) return ['NONE'];
  if (words.every((w) => w === 0xffffffff)) return ['ALL'];
  const count = u32(b, at + FLAG_COUNT) | 0;
  const out: string[] = [];
  for (let type = 0; type < 256; type++) {
    if ((words[type >>> 5]! & (1 << (type & 31))) === 0) continue;
    const entry = CHUNKS.find(([, t]) => t === type);
    if (entry === undefined) return undefined; // a type iptables has no name for
    let text = entry[0];
    for (let j = 0; j < count && j < 4; j++) {
      if (b[at + FLAG_INFO + 3 * j] !== type) continue;
      const flag = b[at + FLAG_INFO + 3 * j + 1]!;
      const mask = b[at + FLAG_INFO + 3 * j + 2]!;
      if (mask !== 0) text += ':';
      const valid = CHUNKS[type]?.[2];
      for (let bit = 7; bit >= 0; bit--) {
        if ((mask & (1 << bit)) === 0) continue;
        if (valid === undefined) return undefined;
        const letter = valid[7 - bit]!;
        text += flag & (1 << bit) ? letter : letter.toLowerCase();
      }
    }
    out.push(text);
  }
  return out;
}

const WIRE: Wire = { kernel: 'sctp', revision: 0, size: 292 };

export const sctp: Codec<SctpMatch> = {
  kind: 'match',
  name: 'sctp',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'sourcePort', 'destinationPort', 'chunkTypes', 'invert'], what);
    if (v.sourcePort !== undefined) checkPortSpec(v.sourcePort, `${what}.sourcePort`);
    if (v.destinationPort !== undefined) checkPortSpec(v.destinationPort, `${what}.destinationPort`);
    if (v.chunkTypes !== undefined) {
      if (!(v.chunkTypes.match in MATCH_TYPES)) throw new TypeError(`${what}.chunkTypes.match must be any, all or only`);
      if (!Array.isArray(v.chunkTypes.chunks) || v.chunkTypes.chunks.some((c) => typeof c !== 'string')) {
        throw new TypeError(`${what}.chunkTypes.chunks must be an array of strings`);
      }
      encodeChunks(v.chunkTypes.chunks, `${what}.chunkTypes`);
    }
    if (v.invert !== undefined) checkKeys(v.invert, ['sourcePort', 'destinationPort', 'chunkTypes'], `${what}.invert`);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    let flags = 0;
    let inv = 0;
    if (v.destinationPort !== undefined) {
      const [min, max] = checkPortSpec(v.destinationPort, 'port');
      put16(b, at, min);
      put16(b, at + 2, max);
      flags |= DEST_PORTS;
      if (v.invert?.destinationPort) inv |= DEST_PORTS;
    }
    if (v.sourcePort !== undefined) {
      const [min, max] = checkPortSpec(v.sourcePort, 'port');
      put16(b, at + 4, min);
      put16(b, at + 6, max);
      flags |= SRC_PORTS;
      if (v.invert?.sourcePort) inv |= SRC_PORTS;
    }
    for (let j = 0; j < 4; j++) b[at + FLAG_INFO + 3 * j] = 0xff;
    if (v.chunkTypes !== undefined) {
      const { map, flagInfo } = encodeChunks(v.chunkTypes.chunks, 'chunkTypes');
      for (let i = 0; i < 64; i++) put32(b, at + CHUNKMAP + 4 * i, map[i]!);
      put32(b, at + MATCH_TYPE, MATCH_TYPES[v.chunkTypes.match]);
      flagInfo.forEach(([index, flag, mask], j) => {
        b[at + FLAG_INFO + 3 * j] = index;
        b[at + FLAG_INFO + 3 * j + 1] = flag;
        b[at + FLAG_INFO + 3 * j + 2] = mask;
      });
      put32(b, at + FLAG_COUNT, flagInfo.length);
      flags |= CHUNK_TYPES;
      if (v.invert?.chunkTypes) inv |= CHUNK_TYPES;
    }
    put32(b, at + FLAGS, flags);
    put32(b, at + INVFLAGS, inv);
  },
  save(v) {
    let out = savePorts(v.sourcePort, v.destinationPort, v.invert?.sourcePort === true, v.invert?.destinationPort === true);
    if (v.chunkTypes !== undefined) {
      // print_chunks: by chunk type, whatever the order given.
      const type = (c: string): number => CHUNKS.find(([n]) => n === c.split(':')[0]!.toUpperCase())?.[1] ?? -1;
      const chunks = [...v.chunkTypes.chunks].sort((x, y) => type(x) - type(y));
      out += `${v.invert?.chunkTypes ? ' !' : ''} --chunk-types ${v.chunkTypes.match} ${chunks.join(',')}`;
    }
    return out;
  },
  parser: {
    init: () => ({ name: 'sctp' }),
    options: {
      ...portOptions<SctpMatch>('sctp'),
      'chunk-types': {
        args: 2, invert: true, apply(s, [type, chunks], inv) {
          if (s.chunkTypes !== undefined) throw new IptablesParseError("Only one `--chunk-types' allowed");
          const match = type!.toLowerCase();
          if (!(match in MATCH_TYPES)) throw new IptablesParseError(`Match type \`${type}' is not valid (any, all or only)`);
          const list = chunks!.split(',');
          encodeChunks(list, '--chunk-types');
          const upper = chunks!.toUpperCase();
          s.chunkTypes = {
            match: match as 'any',
            chunks: upper === 'ALL' || upper === 'NONE' ? [upper] : list.map((c) => {
              const [n, f] = c.split(':', 2);
              return f === undefined ? n!.toUpperCase() : `${n!.toUpperCase()}:${f}`;
            }),
          };
          if (inv) s.invert = { ...s.invert, chunkTypes: true };
        },
      },
    },
  },
};

export const sctpDecoder: Decoder = {
  kind: 'match',
  kernel: 'sctp',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < 292) return undefined;
    const flags = u32(b, at + FLAGS);
    const inv = u32(b, at + INVFLAGS);
    if ((flags | inv) & ~7) return undefined;
    const m: SctpMatch = { name: 'sctp' };
    if (flags & DEST_PORTS) m.destinationPort = portSpec(u16(b, at), u16(b, at + 2));
    if (flags & SRC_PORTS) m.sourcePort = portSpec(u16(b, at + 4), u16(b, at + 6));
    if (flags & CHUNK_TYPES) {
      const type = Object.entries(MATCH_TYPES).find(([, n]) => n === u32(b, at + MATCH_TYPE));
      const chunks = readChunks(b, at);
      if (type === undefined || chunks === undefined) return undefined;
      m.chunkTypes = { match: type[0] as 'any', chunks };
    }
    const i = (inv & SRC_PORTS ? { sourcePort: true } : {}) as NonNullable<SctpMatch['invert']>;
    if (inv & DEST_PORTS) i.destinationPort = true;
    if (inv & CHUNK_TYPES) i.chunkTypes = true;
    if (inv !== 0) m.invert = i;
    return m;
  },
};
