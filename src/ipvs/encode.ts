// Packing validated wire ops for the binding: numbers in one Uint32Array
// (STRIDE slots per op) and strings joined by NUL in one string, so a bulk
// call of any size crosses into C++ with two values. Layout: see
// native/napi/ipvs_ops.cc (parse_ipvs_ops), which must stay in step.
import type { IpvsOpWire } from './wire.js';

export const STRIDE = 28;
export const STRINGS = 6;

const KIND: Record<IpvsOpWire['op'], number> = {
  addService: 0, editService: 1, deleteService: 2, getService: 3, listServices: 4, listAll: 5,
  addDest: 6, editDest: 7, deleteDest: 8, listDests: 9, flush: 10, zero: 11, getTimeouts: 12,
  setTimeouts: 13, getInfo: 14, addDaemon: 15, deleteDaemon: 16, listDaemons: 17,
};

export function encodeOps(ops: IpvsOpWire[]): { nums: Uint32Array; strs: string } {
  const nums = new Uint32Array(ops.length * STRIDE);
  const strs: string[] = new Array<string>(ops.length * STRINGS).fill('');
  ops.forEach((op, i) => {
    const n = i * STRIDE;
    const t = i * STRINGS;
    nums[n] = KIND[op.op];
    if ('service' in op && op.service !== undefined) {
      const s = op.service;
      nums[n + 1] = 1;
      nums[n + 2] = s.af;
      nums[n + 3] = s.protocol;
      nums[n + 4] = s.port;
      nums[n + 5] = s.fwmark;
      nums[n + 6] = s.flags ?? 0;
      nums[n + 7] = s.timeout ?? 0;
      nums[n + 8] = s.netmask ?? 0;
      strs[t] = s.addr ?? '';
      strs[t + 1] = s.scheduler ?? '';
      strs[t + 2] = s.pe ?? '';
    }
    if ('dest' in op) {
      const d = op.dest;
      nums[n + 9] = d.af;
      nums[n + 10] = d.port;
      nums[n + 11] = d.fwd ?? 0;
      nums[n + 12] = d.weight ?? 0;
      nums[n + 13] = d.uThresh ?? 0;
      nums[n + 14] = d.lThresh ?? 0;
      nums[n + 15] = d.tunType ?? 0;
      nums[n + 16] = d.tunPort ?? 0;
      nums[n + 17] = d.tunFlags ?? 0;
      strs[t + 3] = d.addr;
    }
    if ('daemon' in op) {
      const d = op.daemon;
      nums[n + 18] = d.state;
      nums[n + 19] = d.syncid ?? 0;
      nums[n + 20] = d.maxlen ?? 0;
      nums[n + 21] = d.groupAf ?? 0;
      nums[n + 22] = d.port ?? 0;
      nums[n + 23] = d.ttl ?? 0;
      strs[t + 4] = d.ifname ?? '';
      strs[t + 5] = d.group ?? '';
    }
    if (op.op === 'setTimeouts') {
      nums[n + 24] = op.tcp;
      nums[n + 25] = op.tcpFin;
      nums[n + 26] = op.udp;
    }
  });
  return { nums, strs: strs.join('\0') };
}
