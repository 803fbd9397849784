// One iptables command line (as iptables-restore feeds do_command) ->
// a typed command: the generic options (-A/-I/-D/-R/-N/-X/-F/-Z/-E/-P,
// -s/-d/-i/-o/-p/-f, -m, -j/-g, -c) and each extension's own options,
// which belong to the most recently loaded extension that has them, the
// protocol's match loaded on demand (`-p tcp --dport 80`) as iptables does.
import { parseRuleAddress, protocolOf } from './entry.js';
import { IptablesParseError, type Codec, type ParseContext } from './ext/ext.js';
import { matchCodec, targetCodec, type Match, type RawExtension } from './ext/index.js';
import { checkInterface } from './iface.js';
import { protocolName } from './netdb.js';
import type { Counters, Rule, Target } from './types.js';
import { maskToPrefix, readAddress, type Family } from './wire.js';

export type Command =
  | { op: 'append'; chain: string; rule: Rule }
  | { op: 'insert'; chain: string; rule: Rule; position: number }
  | { op: 'delete'; chain: string; rule: Rule }
  | { op: 'delete'; chain: string; position: number }
  | { op: 'replace'; chain: string; position: number; rule: Rule }
  | { op: 'newChain'; chain: string }
  | { op: 'deleteChain'; chain?: string }
  | { op: 'flush'; chain?: string }
  | { op: 'zero'; chain?: string }
  | { op: 'renameChain'; chain: string; to: string }
  | { op: 'policy'; chain: string; policy: 'ACCEPT' | 'DROP'; counters?: Counters };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCodec = Codec<any>;

interface Loaded {
  kind: 'match' | 'target';
  codec?: AnyCodec;
  /** For an extension without a typed form: --dataplane-raw REV:HEX sets it. */
  raw?: RawExtension;
  state: { name: string };
  seen: Set<string>;
  completed: boolean;
}

const GENERIC: Record<string, string> = {
  append: 'A', delete: 'D', check: 'C', insert: 'I', replace: 'R', list: 'L', 'list-rules': 'S', flush: 'F', zero: 'Z',
  'new-chain': 'N', 'delete-chain': 'X', 'rename-chain': 'E', policy: 'P', source: 's', destination: 'd', src: 's',
  dst: 'd', protocol: 'p', 'in-interface': 'i', jump: 'j', table: 't', match: 'm', numeric: 'n', 'out-interface': 'o',
  verbose: 'v', wait: 'w', 'wait-interval': 'W', exact: 'x', fragments: 'f', version: 'V', help: 'h',
  'line-numbers': '0', modprobe: 'M', 'set-counters': 'c', goto: 'g', ipv4: '4', ipv6: '6',
};
const VERDICTS = ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'];
const COMMANDS = 'ADCIRLSFZNXEP';

/** The canonical text of a rule address: the masked address and /PLEN (or /MASK). */
function canonicalAddress(s: string, family: Family, what: string): string {
  if (s.includes(',')) throw new IptablesParseError(`${what}: several addresses in one rule are not supported`);
  let parsed;
  try {
    parsed = parseRuleAddress(s, family, what);
  } catch {
    throw new IptablesParseError(`host/network \`${s}' not found`);
  }
  const prefix = maskToPrefix(parsed.mask, 0, parsed.mask.length);
  return `${readAddress(parsed.addr, 0, family)}/${prefix >= 0 ? prefix : readAddress(parsed.mask, 0, family)}`;
}

/** The match iptables loads for `-p PROTO` when an option it does not know follows. */
function protocolMatch(proto: number): AnyCodec | undefined {
  const name = protocolName(proto);
  if (name === undefined) return undefined;
  return matchCodec(name === 'ipv6-icmp' || name === 'icmpv6' ? 'icmp6' : name);
}

class LineParser {
  readonly family: Family;
  readonly args: string[];
  i = 0;
  command: string | undefined;
  chain: string | undefined;
  extra: string[] = [];
  rule: Rule = {};
  loaded: Loaded[] = [];
  target: Target | undefined;
  goto = false;
  protoLoaded = false;
  skip = false;
  invert = false;

  constructor(args: string[], family: Family) {
    this.args = args;
    this.family = family;
    this.ctx = { family, protocol: 0 };
  }

  readonly ctx: ParseContext;

  fail(message: string): never {
    throw new IptablesParseError(message);
  }

  next(what: string): string {
    const v = this.args[this.i++];
    if (v === undefined) this.fail(`option "${what}" requires an argument`);
    return v;
  }

  /** xs_has_arg: the next argument exists and is not an option or `!`. */
  hasArg(): boolean {
    const v = this.args[this.i];
    return v !== undefined && !v.startsWith('-') && !v.startsWith('!');
  }

  setCommand(c: string, chain?: string): void {
    if (this.command !== undefined) this.fail(`Can't use -${c} with -${this.command}`);
    if (this.invert) this.fail(`cannot have ! before -${c}`);
    this.command = c;
    this.chain = chain;
  }

  takeInvert(option: string, allowed: boolean): boolean {
    const inv = this.invert;
    this.invert = false;
    if (inv && !allowed) this.fail(`cannot have ! before ${option}`);
    return inv;
  }

  generic(c: string, value: () => string): void {
    switch (c) {
      case 'A': case 'D': case 'R': case 'N': case 'E': case 'P': case 'C': {
        this.setCommand(c, value());
        if (c === 'R' || c === 'E' || c === 'P') this.extra.push(this.next(`-${c}`));
        else if (c === 'D' && this.hasArg()) this.extra.push(this.args[this.i++]!);
        return;
      }
      case 'I': case 'F': case 'X': case 'Z': case 'L': case 'S': {
        this.setCommand(c, c === 'I' ? value() : this.hasArg() ? this.args[this.i++] : undefined);
        if (c === 'I' && this.hasArg()) this.extra.push(this.args[this.i++]!);
        return;
      }
      case 's': case 'd': {
        const inv = this.takeInvert(`-${c}`, true);
        const key = c === 's' ? 'source' : 'destination';
        if (this.rule[key] !== undefined) this.fail(`multiple -${c} flags not allowed`);
        this.rule[key] = canonicalAddress(value(), this.family, `-${c}`);
        if (inv) this.rule.invert = { ...this.rule.invert, [key]: true };
        return;
      }
      case 'i': case 'o': {
        const inv = this.takeInvert(`-${c}`, true);
        const key = c === 'i' ? 'inInterface' : 'outInterface';
        const name = value();
        try {
          checkInterface(name, `-${c}`);
        } catch (e) {
          this.fail((e as Error).message);
        }
        this.rule[key] = name;
        if (inv) this.rule.invert = { ...this.rule.invert, [key]: true };
        return;
      }
      case 'p': {
        const inv = this.takeInvert('-p', true);
        if (this.rule.protocol !== undefined) this.fail('multiple -p flags not allowed');
        const p = value();
        let n: number;
        try {
          n = protocolOf(/^\d+$/.test(p) ? Number(p) : p.toLowerCase());
        } catch {
          this.fail(`unknown protocol "${p}" specified`);
        }
        if (n > 255) this.fail(`unknown protocol "${p}" specified`);
        if (n === 0 && inv) this.fail('rule would never match protocol');
        if (n !== 0) this.rule.protocol = protocolLabel(n);
        this.ctx.protocol = n;
        if (inv) this.rule.invert = { ...this.rule.invert, protocol: true };
        return;
      }
      case 'f': {
        const inv = this.takeInvert('-f', true);
        if (this.family === 6) this.fail('-f is IPv4 only');
        this.rule.fragment = true;
        if (inv) this.rule.invert = { ...this.rule.invert, fragment: true };
        return;
      }
      case 'j': case 'g': {
        this.takeInvert(`-${c}`, false);
        if (this.target !== undefined || this.loaded.some((l) => l.kind === 'target')) this.fail('multiple -j/-g flags not allowed');
        this.jump(value(), c === 'g');
        return;
      }
      case 'm': {
        this.takeInvert('--match', false);
        this.loadMatch(value());
        return;
      }
      case 'c': {
        this.takeInvert('-c', false);
        const p = value();
        const b = this.next('-c');
        if (!/^\d+$/.test(p) || !/^\d+$/.test(b)) this.fail('-c packet counter not numeric');
        this.rule.counters = { packets: Number(p), bytes: Number(b) };
        return;
      }
      case '4': if (this.family === 6) this.skip = true; return;
      case '6': if (this.family === 4) this.skip = true; return;
      case 'v': case 'n': case 'x': case '0': return;
      case 'w': case 'W': if (this.hasArg()) this.i++; return;
      case 'M': value(); return;
      case 't': this.fail('the table is given by the *table line, not -t');
      // falls through (fail never returns)
      default: this.fail(`option -${c} is not supported here`);
    }
  }

  jump(name: string, goto: boolean): void {
    if (goto) {
      this.target = { name: 'goto', chain: name };
      return;
    }
    // Our own text for an extension kept raw (whatever its name): -j NAME --dataplane-raw REV:HEX.
    if (this.args[this.i] === '--dataplane-raw') {
      this.loaded.push({ kind: 'target', raw: { name: 'raw', extension: name, revision: 0, data: new Uint8Array() }, state: { name }, seen: new Set(), completed: false });
      return;
    }
    if (VERDICTS.includes(name)) {
      this.target = { name: name as 'ACCEPT' };
      return;
    }
    const codec = targetCodec(name);
    if (codec === undefined) {
      this.target = { name: 'jump', chain: name };
      return;
    }
    this.loaded.push({ kind: 'target', codec, state: codec.parser.init(this.ctx), seen: new Set(), completed: false });
  }

  loadMatch(name: string): void {
    const raw = this.args[this.i] === '--dataplane-raw';
    const codec = raw ? undefined : matchCodec(name === 'icmpv6' || name === 'ipv6-icmp' ? 'icmp6' : name);
    for (const l of this.loaded) if (l.kind === 'match' && (l.codec === codec && codec !== undefined || l.raw?.extension === name)) l.completed = true;
    if (codec === undefined) {
      // Our own text for an extension kept raw (whatever its name): -m NAME --dataplane-raw REV:HEX.
      if (raw) {
        this.loaded.push({ kind: 'match', raw: { name: 'raw', extension: name, revision: 0, data: new Uint8Array() }, state: { name }, seen: new Set(), completed: false });
        return;
      }
      this.fail(`Couldn't load match \`${name}'`);
    }
    this.loaded.push({ kind: 'match', codec, state: codec.parser.init(this.ctx), seen: new Set(), completed: false });
  }

  /** The loaded extension (newest first) that takes `--name`: exact, then a unique prefix. */
  owner(name: string): { loaded: Loaded; option: string } | undefined {
    for (let k = this.loaded.length - 1; k >= 0; k--) {
      const l = this.loaded[k]!;
      if (l.completed) continue;
      if (l.raw !== undefined && name === 'dataplane-raw') return { loaded: l, option: name };
      if (l.codec !== undefined && Object.hasOwn(l.codec.parser.options, name)) return { loaded: l, option: name };
    }
    const live = this.loaded.filter((l) => !l.completed).reverse();
    const hits = live.flatMap((l) => (l.codec ? Object.keys(l.codec.parser.options) : []).filter((o) => o.startsWith(name)).map((o) => ({ loaded: l, option: o })));
    const distinct = new Set(hits.map((h) => h.option));
    if (distinct.size === 1) return hits[0];
    if (distinct.size > 1) this.fail(`option "--${name}" is ambiguous`);
    return undefined;
  }

  /** Whether a loaded extension has an option called exactly `name`. */
  ownsExactly(name: string): boolean {
    for (const l of this.loaded) if (!l.completed && ((l.raw !== undefined && name === 'dataplane-raw') || (l.codec !== undefined && Object.hasOwn(l.codec.parser.options, name)))) return true;
    return false;
  }

  extensionOption(name: string, inline: string | undefined): void {
    let found = this.owner(name);
    if (found === undefined && this.rule.protocol !== undefined && !this.protoLoaded) {
      const codec = protocolMatch(protocolOf(this.rule.protocol));
      if (codec !== undefined) {
        this.protoLoaded = true;
        this.loaded.push({ kind: 'match', codec, state: codec.parser.init(this.ctx), seen: new Set(), completed: false });
        found = this.owner(name);
      }
    }
    if (found === undefined) this.fail(`unknown option "--${name}"`);
    const { loaded, option } = found;
    if (loaded.raw !== undefined) {
      const v = inline ?? this.next('--dataplane-raw');
      const m = /^(\d{1,3}):((?:[0-9a-f]{16})*)$/.exec(v);
      if (m === null || Number(m[1]) > 255) this.fail(`bad --dataplane-raw ${JSON.stringify(v)}`);
      loaded.raw.revision = Number(m[1]);
      loaded.raw.data = Uint8Array.from(Buffer.from(m[2]!, 'hex'));
      loaded.completed = true; // it takes no other option
      this.takeInvert('--dataplane-raw', false);
      return;
    }
    const spec = loaded.codec!.parser.options[option]!;
    const inv = this.takeInvert(`--${option}`, spec.invert === true);
    const values: string[] = [];
    if (spec.args >= 1) values.push(inline ?? this.next(`--${option}`));
    if (spec.args === 2) {
      const v = this.args[this.i];
      if (v === undefined || v.startsWith('-') || v.startsWith('!')) this.fail(`--${option} requires two args`);
      values.push(v);
      this.i++;
    }
    if (spec.args === 0 && inline !== undefined) this.fail(`option "--${option}" doesn't allow an argument`);
    spec.apply(loaded.state, values, inv, this.ctx);
    loaded.seen.add(option);
  }

  parse(): void {
    while (this.i < this.args.length && !this.skip) {
      const tok = this.args[this.i++]!;
      if (tok === '!') {
        if (this.invert) this.fail('multiple consecutive ! not allowed');
        this.invert = true;
        continue;
      }
      if (tok.startsWith('--') && tok.length > 2) {
        const eq = tok.indexOf('=');
        const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
        const inline = eq < 0 ? undefined : tok.slice(eq + 1);
        // getopt_long: an exact name first (iptables' own options come first), then a unique prefix.
        const exact = GENERIC[name];
        if (exact !== undefined) this.generic(exact, () => inline ?? this.next(tok));
        else if (this.ownsExactly(name)) this.extensionOption(name, inline);
        else {
          const generic = uniqueGeneric(name);
          if (generic !== undefined) this.generic(generic, () => inline ?? this.next(tok));
          else this.extensionOption(name, inline);
        }
        continue;
      }
      if (tok.startsWith('-') && tok.length >= 2) {
        const c = tok[1]!;
        const attached = tok.length > 2 ? tok.slice(2) : undefined;
        this.generic(c, () => attached ?? this.next(`-${c}`));
        continue;
      }
      this.fail(`Bad argument \`${tok}'`);
    }
    if (this.invert) this.fail('! at the end of the line');
  }
}

function uniqueGeneric(prefix: string): string | undefined {
  const hits = Object.keys(GENERIC).filter((k) => k.startsWith(prefix));
  return hits.length === 1 ? GENERIC[hits[0]!] : undefined;
}

/** The typed name of a protocol number, as decode gives it. */
function protocolLabel(n: number): string | number {
  const names: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 50: 'esp', 51: 'ah', 135: 'mh' };
  return names[n] ?? n;
}

function finishRule(p: LineParser): Rule {
  const rule = p.rule;
  const matches: Match[] = [];
  const ctx = p.ctx;
  for (const l of p.loaded) {
    if (l.raw !== undefined) {
      if (l.kind === 'match') matches.push(l.raw);
      else p.target = l.raw;
      continue;
    }
    l.codec!.parser.finish?.(l.state, ctx, l.seen);
    if (l.kind === 'match') matches.push(l.state as Match);
    else p.target = l.state as Target;
  }
  if (matches.length > 0) rule.matches = matches;
  if (p.target !== undefined) rule.target = p.target;
  return rule;
}

function ruleNumber(s: string | undefined, p: LineParser): number {
  // (p is typed so that p.fail narrows)
  if (s === undefined || !/^\d+$/.test(s) || Number(s) < 1) p.fail(`Invalid rule number \`${s}'`);
  return Number(s);
}

/**
 * Parses one command line (the arguments after `iptables -t TABLE`), e.g.
 * `-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-X`.
 * Returns undefined for a line meant for the other family (-4 / -6).
 */
export function parseCommand(args: string[], family: Family): Command | undefined {
  const p: LineParser = new LineParser(args, family);
  p.parse();
  if (p.skip) return undefined;
  const c = p.command;
  if (c === undefined) p.fail('no command specified');
  if (!COMMANDS.includes(c) || c === 'L' || c === 'S' || c === 'C') p.fail(`-${c} is not supported in a restore file`);
  const chain = p.chain;
  const hasRule = p.loaded.length > 0 || p.target !== undefined || Object.keys(p.rule).length > 0;
  if (!'ADIRC'.includes(c) && hasRule) p.fail(`-${c} takes no rule options`);
  switch (c) {
    case 'A': return { op: 'append', chain: chain!, rule: finishRule(p) };
    case 'I': return { op: 'insert', chain: chain!, rule: finishRule(p), position: p.extra[0] === undefined ? 1 : ruleNumber(p.extra[0], p) };
    case 'R': return { op: 'replace', chain: chain!, position: ruleNumber(p.extra[0], p), rule: finishRule(p) };
    case 'D': return p.extra[0] !== undefined ? { op: 'delete', chain: chain!, position: ruleNumber(p.extra[0], p) } : { op: 'delete', chain: chain!, rule: finishRule(p) };
    case 'N': return { op: 'newChain', chain: chain! };
    case 'X': return chain === undefined ? { op: 'deleteChain' } : { op: 'deleteChain', chain };
    case 'F': return chain === undefined ? { op: 'flush' } : { op: 'flush', chain };
    case 'Z': return chain === undefined ? { op: 'zero' } : { op: 'zero', chain };
    case 'E': return { op: 'renameChain', chain: chain!, to: p.extra[0]! };
    default: {
      const policy = p.extra[0];
      if (policy !== 'ACCEPT' && policy !== 'DROP') p.fail(`Bad built-in chain policy \`${policy}'`);
      return { op: 'policy', chain: chain!, policy };
    }
  }
}
