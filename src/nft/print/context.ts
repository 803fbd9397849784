// What the printer knows about the packet while it reads a rule (nft's
// proto_ctx): the header in effect at each base, learned from the table's
// family and from the protocol matches seen so far; and the matches that a
// later field may make implicit (payload_dep_ctx), so that `meta l4proto
// tcp` before `tcp dport 22` is left out as nft leaves it out.
import { BASE_IH, BASE_TH, hookProto, type ProtoDesc } from '../proto.js';
import type { Node, RelNode, Stmt } from './ast.js';

export class ProtoCtx {
  readonly desc: (ProtoDesc | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  /** The transport headers seen (nft keeps up to 16). */
  readonly transports: ProtoDesc[] = [];
  /** Link layer headers stacked on the first (vlan in ether). */
  readonly stackedLl: ProtoDesc[] = [];
  /** The icmp type a match fixed (th_dep.icmp.type). */
  icmpType = 0;

  constructor(readonly family: string) {
    const h = hookProto(family);
    if (h !== undefined) this.desc[h.base] = h.desc;
  }

  /** proto_ctx_update. */
  update(base: number, d: ProtoDesc): void {
    if (base === BASE_TH && this.transports.length < 16 && !this.transports.includes(d)) this.transports.push(d);
    this.desc[base] = d;
  }
}

/** A match statement a later one may make implicit. */
export interface DepStmt extends Stmt { expr: Node }

export class DepCtx {
  readonly deps: (DepStmt | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  icmpType = 0;
  /** The statement before the current one (for range merging). */
  prev: Stmt | undefined;

  constructor(private readonly remove: (s: Stmt) => void) {}

  /** payload_dependency_exists. */
  exists(base: number): boolean {
    return this.deps[base] !== undefined || (base === BASE_TH && this.deps[BASE_IH] !== undefined);
  }

  /** payload_dependency_get: the dependency's relational expression. */
  get(base: number): RelNode | undefined {
    const s = this.deps[base] ?? (base === BASE_TH ? this.deps[BASE_IH] : undefined);
    return s?.expr as RelNode | undefined;
  }

  /** payload_dependency_release: the dependency is left out of the rule. */
  release(base: number): void {
    const b = this.deps[base] !== undefined ? base : base === BASE_TH && this.deps[BASE_IH] !== undefined ? BASE_IH : -1;
    if (b < 0) return;
    const s = this.deps[b]!;
    this.remove(s);
    if (s === this.prev) this.prev = undefined;
    this.deps[b] = undefined;
  }

  /** payload_dependency_store (with payload_dependency_store_icmp_type). */
  store(s: DepStmt, base: number): void {
    if (this.#icmpEcho(s)) return;
    this.deps[base + 1] = s;
  }

  // An echo request/reply type match is never a dependency (it restricts the match).
  #icmpEcho(s: DepStmt): boolean {
    const dep = s.expr as RelNode;
    if (dep.left.k !== 'leaf' || dep.left.kind !== 'payload' || dep.right.k !== 'value' || dep.right.len !== 8) return false;
    const name = (dep.left.desc as ProtoDesc | undefined)?.name;
    let type = Number(dep.right.v);
    if (name === 'icmp') {
      if (type === 0) type = 8;
      this.icmpType = type;
      return type === 8;
    }
    if (name === 'icmpv6') {
      this.icmpType = type;
      return type === 128 || type === 129;
    }
    return false;
  }

  reset(): void {
    this.deps.fill(undefined);
    this.icmpType = 0;
    this.prev = undefined;
  }
}
