// Service IP and node port allocators, as the API server's ipallocator and
// portallocator: addresses from the service CIDR (network and, for IPv4,
// broadcast address excluded), node ports from 30000-32767, no collisions.

import { formatIp, parseCidr, tryParseIp } from '../../addr.js';

/** Allocates addresses of one service CIDR. */
export class IpAllocator {
  readonly family: 4 | 6;
  private readonly base: bigint;
  private readonly size: number;
  private readonly used = new Set<number>();
  private next = 0;

  constructor(readonly cidr: string) {
    const c = parseCidr(cidr, 'service CIDR');
    this.family = c.family;
    const bits = c.family === 4 ? 32 : 128;
    const hostBits = bits - c.prefixLength;
    if (hostBits < 2 || hostBits > 30) throw new RangeError(`service CIDR ${cidr}: the range must hold between 4 and 2^30 addresses`);
    let v = 0n;
    for (const b of c.bytes) v = (v << 8n) | BigInt(b);
    this.base = (v >> BigInt(hostBits)) << BigInt(hostBits);
    // offsets 1 .. size: the network address is never handed out, nor IPv4's broadcast address
    this.size = 2 ** hostBits - (c.family === 4 ? 2 : 1);
  }

  private offsetOf(ip: string): number | undefined {
    const a = tryParseIp(ip);
    if (a === undefined || a.family !== this.family) return undefined;
    let v = 0n;
    for (const b of a.bytes) v = (v << 8n) | BigInt(b);
    const off = v - this.base;
    return off >= 1n && off <= BigInt(this.size) ? Number(off) : undefined;
  }

  private ipAt(offset: number): string {
    let v = this.base + BigInt(offset);
    const bytes = new Uint8Array(this.family === 4 ? 4 : 16);
    for (let i = bytes.length - 1; i >= 0; i--) { bytes[i] = Number(v & 0xffn); v >>= 8n; }
    return formatIp(bytes);
  }

  /** Reserves a given address; the error text is the allocator's. */
  allocate(ip: string): string | undefined {
    const off = this.offsetOf(ip);
    if (off === undefined) return `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`;
    if (this.used.has(off)) return 'provided IP is already allocated';
    this.used.add(off);
    return undefined;
  }

  /** Takes the next free address (the first one is kept for the `kubernetes` service). */
  allocateNext(): string | undefined {
    if (this.used.size >= this.size) return undefined;
    for (let i = 0; i < this.size; i++) {
      const off = 1 + ((this.next + i) % this.size);
      if (off === 1 && !this.used.has(1)) continue;
      if (!this.used.has(off)) {
        this.used.add(off);
        this.next = off % this.size;
        return this.ipAt(off);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    const off = this.offsetOf(ip);
    if (off !== undefined) this.used.delete(off);
  }

  has(ip: string): boolean {
    const off = this.offsetOf(ip);
    return off !== undefined && this.used.has(off);
  }

  /** The n-th address of the range (1 = the `kubernetes` service's). */
  address(n: number): string {
    return this.ipAt(n);
  }
}

/** Allocates node ports from an inclusive range. */
export class PortAllocator {
  private readonly used = new Set<number>();
  private next: number;

  constructor(readonly first = 30000, readonly last = 32767) {
    this.next = first;
  }

  allocate(port: number): string | undefined {
    if (port < this.first || port > this.last) {
      return `provided port is not in the valid range. The range of valid ports is ${this.first}-${this.last}`;
    }
    if (this.used.has(port)) return 'provided port is already allocated';
    this.used.add(port);
    return undefined;
  }

  allocateNext(): number | undefined {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const p = this.first + ((this.next - this.first + i) % size);
      if (!this.used.has(p)) {
        this.used.add(p);
        this.next = p + 1 > this.last ? this.first : p + 1;
        return p;
      }
    }
    return undefined;
  }

  release(port: number): void {
    this.used.delete(port);
  }

  has(port: number): boolean {
    return this.used.has(port);
  }
}
