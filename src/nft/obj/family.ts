// The l3proto nft prints in ct objects: a family by its NFPROTO number.
const FAMILY_NAMES: Record<number, string> = { 1: 'inet', 2: 'ip', 3: 'arp', 5: 'netdev', 7: 'bridge', 10: 'ip6' };

export function l3protoText(n: number | undefined): string {
  return FAMILY_NAMES[n ?? 0] ?? 'unknown';
}
