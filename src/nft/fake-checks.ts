// Checks FakeNftables makes as the kernel makes them, beyond references:
// the registers a rule's expressions read and write, and how deep jumps go.
import type { Verdict } from './expr/data.js';
import { specOf } from './expr/spec.js';
import type { FakeState } from './kinds/index.js';
import * as U from './uapi.js';

// What the kernel checks of a rule's expressions as it adds them: a payload
// is a load or a store (DREG or SREG), an immediate carries data, and a
// register is read only after this rule wrote it (ENODATA, nft_validate_register_load).
export function checkRegisters(exprs: Record<string, unknown>[], refuse: (code: 'EINVAL' | 'ENODATA', why: string) => never): void {
  const inited = new Set<number>();
  // The 32-bit slots a register of `len` bytes covers (NFT_REG_1..4 are 16 bytes each, NFT_REG32_00.. 4).
  const slots = (reg: number, len: number): number[] => {
    const first = reg >= U.NFT_REG32_00 ? reg - U.NFT_REG32_00 : (reg - U.NFT_REG_1) * 4;
    return Array.from({ length: Math.max(1, Math.ceil(len / 4)) }, (_, i) => first + i);
  };
  for (const e of exprs) {
    if (e.type === 'payload' && e.dreg === undefined && e.sreg === undefined) refuse('EINVAL', 'payload without a register');
    if (e.type === 'immediate' && e.data === undefined) refuse('EINVAL', 'immediate without data');
    const spec = typeof e.type === 'string' ? specOf(e.type) : undefined;
    if (spec === undefined) continue;
    const used = (f: { key: string }) => typeof e[f.key] === 'number' && e[f.key] !== U.NFT_REG_VERDICT;
    for (const f of spec.fields) {
      if (f.kind !== 'reg' || f.key === 'dreg' || !used(f)) continue;
      if (!slots(e[f.key] as number, f.regLen?.(e) ?? 1).every((x) => inited.has(x))) refuse('ENODATA', `${spec.name}.${f.key} reads a register nothing wrote`);
    }
    // What a load writes: the immediate's data, else the field's length, else (unknown here: a map's data) generously much.
    const written = e.type === 'immediate' && e.data instanceof Uint8Array ? e.data.length : spec.fields.find((f) => f.key === 'dreg')?.regLen?.(e) ?? 64;
    if (used({ key: 'dreg' })) for (const x of slots(e.dreg as number, written)) inited.add(x);
  }
}

// NFT_JUMP_STACK_SIZE: a chain reached through this many jumps (or gotos)
// from a base chain, or a loop, fails the commit with EMLINK (nft_chain_validate).
const JUMP_STACK = 16;

/** Refuses a ruleset in which a base chain reaches a chain through 16 jumps, or a loop. */
export function checkJumpDepth(s: FakeState, refuse: (code: 'EMLINK', why: string) => never): void {
  const key = (family: string, table: string, name: string): string => `${family}\0${table}\0${name}`;
  const sets = new Map(s.sets.map((x) => [key(x.family, x.table, x.name), x]));
  const jumps = new Map<string, string[]>();
  for (const r of s.rules) {
    const from = key(r.family, r.table, r.chain);
    const to = jumps.get(from) ?? [];
    jumps.set(from, to);
    const target = (v: unknown) => {
      const verdict = v as Verdict | undefined;
      if (typeof verdict === 'object' && verdict !== null && (verdict.kind === 'jump' || verdict.kind === 'goto') && verdict.chain !== undefined) {
        to.push(key(r.family, r.table, verdict.chain));
      }
    };
    for (const e of r.expressions as unknown as Record<string, unknown>[]) {
      if (e.type === 'immediate') target(e.data);
      if (e.type === 'lookup' && e.dreg === U.NFT_REG_VERDICT) {
        for (const el of sets.get(key(r.family, r.table, String(e.set)))?.elements ?? []) target(el.verdict);
      }
    }
  }
  // The most jumps below each chain; a chain met again on the way is a loop.
  const depth = new Map<string, number>();
  const longest = (c: string): number => {
    const known = depth.get(c);
    if (known !== undefined) return known;
    depth.set(c, Infinity);
    let most = 0;
    for (const t of jumps.get(c) ?? []) {
      most = Math.max(most, 1 + longest(t));
      if (most >= JUMP_STACK) break;
    }
    depth.set(c, most);
    return most;
  };
  for (const c of s.chains) {
    if (c.hook !== undefined && longest(key(c.family, c.table, c.name)) >= JUMP_STACK) {
      refuse('EMLINK', `chain ${c.name} reaches a loop or more than ${JUMP_STACK - 1} jumps`);
    }
  }
}
