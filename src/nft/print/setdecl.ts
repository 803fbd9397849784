// A named set or map as `nft list` prints it (set_print_declaration and
// do_set_print): type or typeof, size, flags, set statements, auto-merge,
// timeout, gc-interval, comment and the elements, nft's order and layout.
import type { SetElement, NftSet } from '../set.js';
import { expandIntervals, setShape } from '../set.js';
import * as U from '../uapi.js';
import { OBJECT_TYPE_NAMES } from '../expr/objref.js';
import { exprText, F_INTERVAL, type Node, type Out } from './ast.js';
import { elementStmts as elementStmts0, ruleStatements, type RuleContext } from './rule.js';
import { setInfo } from './sets.js';
import { timeText } from './value.js';
import { decodeExprBody } from '../expr/spec.js';
import { attrList } from '../wire.js';

// set_print_key: a type's name, or (for types of no fixed size) the expression.
function keyText(k: Node, o: Out): string {
  return k.dtype.bits > 0 || k.dtype.name === 'verdict' || k.dtype.parts !== undefined ? k.dtype.name : exprText(k, o);
}

// Elements as the kernel has them: a transaction's ranges and prefixes expanded into start/end pairs.
function kernelElements(s: NftSet): SetElement[] {
  try {
    return expandIntervals(s.elements ?? [], setShape(s));
  } catch {
    return s.elements ?? [];
  }
}

// The set's own statements (`counter`, ...), printed statelessly.
function setStmts(s: NftSet, ctx: RuleContext, o: Out): string[] {
  if (s.counter === true) return ['counter'];
  if (s.exprs === undefined) return [];
  try {
    const list = attrList(Buffer.from(s.exprs.buffer, s.exprs.byteOffset, s.exprs.byteLength)).map((a) => decodeExprBody(a.data));
    return ruleStatements({ family: s.family, table: s.table, chain: '', expressions: list as never }, ctx, o).map((x) => x.print({ ...o, stateless: true }));
  } catch {
    return [];
  }
}

/** The lines of a set block; with elementsOnly, just `{ elements }`. */
export function setDeclaration(s: NftSet, indent: string, o: Out, ctx: RuleContext, elementsOnly = false): string[] {
  const elementStmts = (e: SetElement) => elementStmts0(e, ctx, o);
  const info = setInfo({ ...s, elements: kernelElements(s) }, { elementStmts });
  if (elementsOnly) return [exprText({ ...info.init, anonymous: true }, o)];
  const t = `${indent}\t`;
  const flags = info.flags;
  const lines: string[] = [];
  const kind = (flags & 0x21) === 0x21 ? 'meter' : (flags & (U.NFT_SET_MAP | U.NFT_SET_OBJECT)) !== 0 ? 'map' : 'set';
  lines.push(`${indent}${kind} ${s.name} {`);
  let decl = `${t}${info.typeofKey ? 'typeof' : 'type'} ${info.typeofKey ? exprText(info.key, o) : keyText(info.key, o)}`;
  if ((flags & U.NFT_SET_MAP) !== 0 && info.data !== undefined) {
    decl += ` : ${(info.data.flags & F_INTERVAL) !== 0 ? 'interval ' : ''}${info.typeofKey ? exprText(info.data, o) : keyText(info.data, o)}`;
  } else if ((flags & U.NFT_SET_OBJECT) !== 0) {
    decl += ` : ${OBJECT_TYPE_NAMES[s.objType ?? 0] ?? 'unknown'}`;
  }
  lines.push(decl);
  if ((flags & U.NFT_SET_CONSTANT) === 0) {
    if (s.policy === U.NFT_SET_POL_MEMORY) lines.push(`${t}policy memory`);
    if (s.size !== undefined && s.size > 0) lines.push(`${t}size ${s.size}`);
  }
  // A default timeout makes the timeout flag redundant, so it alone does not
  // make a flags line; but once there is one, nft names every flag.
  const shown = s.timeout ? flags & ~U.NFT_SET_TIMEOUT : flags;
  const names = [[U.NFT_SET_CONSTANT, 'constant'], [U.NFT_SET_EVAL, 'dynamic'], [U.NFT_SET_INTERVAL, 'interval'], [U.NFT_SET_TIMEOUT, 'timeout']]
    .filter(([bit]) => (flags & (bit as number)) !== 0).map(([, n]) => n);
  if ((shown & (U.NFT_SET_CONSTANT | U.NFT_SET_EVAL | U.NFT_SET_INTERVAL | U.NFT_SET_TIMEOUT)) !== 0) lines.push(`${t}flags ${names.join(',')}`);
  const stmts = setStmts(s, ctx, o);
  if (stmts.length > 0) lines.push(`${t}${stmts.join(' ')}`);
  if (info.autoMerge === true) lines.push(`${t}auto-merge`);
  if (s.timeout) lines.push(`${t}timeout ${timeText(s.timeout)}`);
  if (s.gcInterval) lines.push(`${t}gc-interval ${timeText(s.gcInterval)}`);
  if (s.comment !== undefined) lines.push(`${t}comment "${s.comment}"`);
  if (info.init.elems.length > 0) lines.push(`${t}elements = ${exprText(info.init, o)}`);
  lines.push(`${indent}}`);
  return lines;
}
