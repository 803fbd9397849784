#!/usr/bin/env node
// Captures what the real iptables-legacy 1.8.9 does with the corpus files
// test/fixtures/iptables/NAME.rules, in a throwaway netns (as root):
//   NAME.saved         iptables-legacy-save's output afterwards, less its # lines
//   NAME.replace.json  each IPT_SO_SET_REPLACE that iptables-legacy-restore
//                      sent (strace -xx), as hex: the struct ipt_replace
//                      header fields and the entries
// The unit tests compare our text and bytes with these; the host tests
// compare with the live tools.
//
// Usage: node scripts/capture-iptables.mjs extensions4 extensions6
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'iptables');
const sh = (...args) => execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** The setsockopt(IPT_SO_SET_REPLACE) payloads in an strace -xx log. */
export function replaceCalls(log) {
  const out = [];
  for (const line of log.split('\n')) {
    const m = /IP6?T_SO_SET_REPLACE, "((?:\\x[0-9a-f]{2})*)", (\d+)\)/.exec(line);
    if (m === null) continue;
    const bytes = Buffer.from(m[1].replace(/\\x/g, ''), 'hex');
    if (bytes.length !== Number(m[2])) throw new Error('strace truncated the payload (raise -s)');
    const u32 = (at) => bytes.readUInt32LE(at);
    out.push({
      table: bytes.subarray(0, 32).toString('latin1').replace(/\0.*$/s, ''),
      validHooks: u32(32), numEntries: u32(36), size: u32(40),
      hookEntry: [0, 1, 2, 3, 4].map((i) => u32(44 + 4 * i)), underflow: [0, 1, 2, 3, 4].map((i) => u32(64 + 4 * i)),
      entries: bytes.subarray(96).toString('hex'),
    });
  }
  return out;
}

function capture(name) {
  const family = name.endsWith('6') ? 6 : 4;
  const text = readFileSync(join(dir, `${name}.rules`), 'utf8');
  const ns = `dp-capture-${process.pid}`;
  sh('ip', 'netns', 'add', ns);
  try {
    for (const [set, type] of [['allowed', 'hash:ip'], ['pairs', 'hash:ip,port']]) {
      sh('ip', 'netns', 'exec', ns, 'ipset', 'create', set, type, 'family', family === 4 ? 'inet' : 'inet6');
    }
    const log = `/tmp/${ns}.strace`;
    execFileSync('ip', ['netns', 'exec', ns, 'strace', '-o', log, '-e', 'trace=setsockopt', '-xx', '-s', '100000000',
      family === 4 ? 'iptables-legacy-restore' : 'ip6tables-legacy-restore'], { input: text, stdio: ['pipe', 'ignore', 'ignore'] });
    const calls = replaceCalls(readFileSync(log, 'utf8'));
    const saved = sh('ip', 'netns', 'exec', ns, family === 4 ? 'iptables-legacy-save' : 'ip6tables-legacy-save')
      .split('\n').filter((l) => !l.startsWith('#')).join('\n');
    writeFileSync(join(dir, `${name}.saved`), saved);
    writeFileSync(join(dir, `${name}.replace.json`), `${JSON.stringify(calls, null, 1)}\n`);
    console.log(`${name}: ${saved.split('\n').length} lines saved, ${calls.length} replaces captured`);
  } finally {
    sh('ip', 'netns', 'del', ns);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) for (const name of process.argv.slice(2)) capture(name);
