// Splitting iptables-restore lines into arguments the way iptables does
// (add_param_to_argv): blanks separate, "double quotes" group, and inside
// quotes a backslash escapes the next character.
import { IptablesParseError } from './ext/ext.js';

/** The arguments of one line. */
export function splitArgs(line: string, lineNo?: number): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) {
        cur += line[++i];
      } else if (c === '"') {
        quoted = false;
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      have = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quoted) throw new IptablesParseError('unterminated quote', lineNo);
  if (have) out.push(cur);
  return out;
}

/** A leading `[PACKETS:BYTES]` (tokenize_rule_counters): the counters and the rest of the line. */
export function splitCounters(line: string, lineNo?: number): { counters?: { packets: number; bytes: number }; rest: string } {
  if (!line.startsWith('[')) return { rest: line };
  const close = line.indexOf(']');
  if (close < 0) throw new IptablesParseError('need ]', lineNo);
  const m = /^\[(\d+):(\d+)\]$/.exec(line.slice(0, close + 1));
  if (m === null) throw new IptablesParseError(`bad counters ${JSON.stringify(line.slice(0, close + 1))}`, lineNo);
  const packets = Number(m[1]);
  const bytes = Number(m[2]);
  if (!Number.isSafeInteger(packets) || !Number.isSafeInteger(bytes)) throw new IptablesParseError('counters beyond 2^53 are not supported', lineNo);
  return { counters: { packets, bytes }, rest: line.slice(close + 1) };
}
