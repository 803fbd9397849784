// Types for scripts/capture-iptables.mjs (used by the tests).
export function replaceCalls(log: string): {
  table: string; validHooks: number; numEntries: number; size: number; hookEntry: number[]; underflow: number[]; entries: string;
}[];
