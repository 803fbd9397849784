// Decoding the binding's IPVS output (native/napi/ipvs_render.h, which must
// stay in step): services and real servers as rows of u32 in two
// Uint32Arrays, their counters in one BigUint64Array, their texts in one
// NUL-joined string; the rest, and each op's row ranges, as JSON.
import { destOf } from './dest.js';
import { serviceOf } from './service.js';
import { statsAt } from './stats.js';
import type { DaemonOut, IpvsResultWire } from './wire.js';
import type { ServiceWithDests } from './client.js';
import type { NativeErrorInfo } from '../errors.js';

export const SERVICE_STRIDE = 13;
export const DEST_STRIDE = 14;
export const STATS_STRIDE = 11;
const NO_TEXT = 0xffffffff;

/** What the binding's ipvs() call resolves to. */
export interface IpvsOutputWire {
  json: string;
  services: Uint32Array;
  dests: Uint32Array;
  stats: BigUint64Array;
  texts: string;
}

interface ResultJson {
  error?: NativeErrorInfo;
  services?: [first: number, count: number];
  streamed?: [zero: number, chunks: number];
  dests?: [first: number, count: number];
  daemons?: DaemonOut[];
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  info?: { version: number; connTabSize: number };
}

function dests(out: IpvsOutputWire, texts: string[], first: number, count: number): ReturnType<typeof destOf>[] {
  const d = out.dests;
  const list = new Array<ReturnType<typeof destOf>>(count);
  for (let i = 0; i < count; i++) {
    const r = (first + i) * DEST_STRIDE;
    list[i] = destOf(d[r]!, texts[d[r + 1]!]!, d[r + 2]!, d[r + 3]!, d[r + 4]!, d[r + 5]!, d[r + 6]!, d[r + 7]!,
      d[r + 8]!, d[r + 9]!, d[r + 10]!, d[r + 11]!, d[r + 12]!, statsAt(out.stats, d[r + 13]! * STATS_STRIDE));
  }
  return list;
}

function services(out: IpvsOutputWire, texts: string[], first: number, count: number, withDests: boolean): ServiceWithDests[] {
  const s = out.services;
  const list = new Array<ServiceWithDests>(count);
  for (let i = 0; i < count; i++) {
    const r = (first + i) * SERVICE_STRIDE;
    const addr = s[r + 7] === NO_TEXT ? null : texts[s[r + 7]!]!;
    const svc = serviceOf(s[r]!, s[r + 1]!, addr, s[r + 2]!, s[r + 3]!, texts[s[r + 8]!]!, texts[s[r + 9]!]!,
      s[r + 4]!, s[r + 5]!, s[r + 6]!, statsAt(out.stats, s[r + 12]! * STATS_STRIDE)) as ServiceWithDests;
    if (withDests) svc.dests = dests(out, texts, s[r + 10]!, s[r + 11]!);
    list[i] = svc;
  }
  return list;
}

/** Every service row of a listAll chunk (see ipvs_render_services), with its real servers. */
export function decodeChunk(out: IpvsOutputWire): ServiceWithDests[] {
  return services(out, out.texts.split('\0'), 0, out.services.length / SERVICE_STRIDE, true);
}

/**
 * The binding's output as one result per op, services and dests as public
 * objects. A listAll whose services came in chunks has `streamed` (how many)
 * instead of `services`.
 */
export function decodeOutput(out: IpvsOutputWire, listAll: boolean[]): (IpvsResultWire & { streamed?: number })[] {
  const texts = out.texts.split('\0');
  return (JSON.parse(out.json) as (ResultJson | null)[]).map((r, i) => {
    if (r === null) return {};
    const { services: sr, dests: dr, streamed, ...rest } = r;
    const res: IpvsResultWire & { streamed?: number } = rest;
    if (streamed !== undefined) res.streamed = streamed[1];
    if (sr !== undefined) res.services = services(out, texts, sr[0], sr[1], listAll[i]!);
    if (dr !== undefined) res.dests = dests(out, texts, dr[0], dr[1]);
    return res;
  });
}
