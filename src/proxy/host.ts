// Facts about the host the proxy runs on, read before any backend exists.
import { existsSync } from 'node:fs';
import type { IpFamily } from '../addr.js';

/** IPv4 always; IPv6 when this network namespace has it (/proc/net/if_inet6). */
export function detectFamilies(): IpFamily[] {
  return existsSync('/proc/net/if_inet6') ? [4, 6] : [4];
}
