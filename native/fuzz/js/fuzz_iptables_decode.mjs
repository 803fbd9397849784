#!/usr/bin/env node
// libFuzzer target for the x_tables decoder (TypeScript, src/iptables), with
// edge coverage from the instrumented build (harness.mjs). An input is:
//
//   byte 0        bit 0: the family (0: IPv4, 1: IPv6); bits 1-3: the table (filter, nat, mangle, raw, security)
//   bytes 1-48    struct ipt_getinfo less the name: valid_hooks, hook_entry[5], underflow[5], num_entries (u32 LE)
//   the rest      the entries blob (its length is the size)
//
// Checked for every input, any failure being a crash:
//   (a) decodeTable throws nothing but DecodeError;
//   (b) a decoded table prints (iptables-save text) without throwing;
//   (c) a table whose chains were not read (LazyChain) writes their bytes
//       back as they were (jumps moved to the new offsets): decoding that
//       gives what decoding the input gives;
//   (d) when the decoded table validates (what replace() checks before it
//       encodes anything), encoding it and decoding that gives the same
//       table (its user chains in name order, as encode lays them out), less the host bits of addresses beyond their mask, which the
//       encoder clears as iptables does (so only the masked address may
//       differ, and only in those bits), and encoding that again gives the
//       same bytes;
//   (e) when it validates and its text parses back (parse + applyScript),
//       that prints the same text again. (Text our parser refuses is text
//       iptables would refuse too, for tables iptables cannot write, e.g.
//       multiport without -p.);
//   (f) replace()'s one pass (checkChains, then encodeTable checking each
//       rule as it writes it) throws exactly when validateTable does, and
//       otherwise writes the same bytes as validate-then-encode, for the
//       decoded and the unread table alike.
//
//   node native/fuzz/js/fuzz_iptables_decode.mjs [libFuzzer flags] [corpus dirs]   (scripts/fuzz.sh)
//   node native/fuzz/js/fuzz_iptables_decode.mjs CRASH_FILE                        (replay one input)
//   node native/fuzz/js/fuzz_iptables_decode.mjs --write-seeds DIR                 (seeds from test/fixtures/iptables/*.replace.json)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual, inspect } from 'node:util';

import { fuzz, load } from './harness.mjs';

const [D, E, V, R, S, X, W, EN] = await Promise.all(['decode', 'encode', 'validate', 'restore', 'save', 'ext/ext', 'wire', 'entry']
  .map((m) => load(`src/iptables/${m}.js`)));
const { DecodeError } = await load('src/nft/wire.js');
const TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];
const HEADER = 49;

const setName = (i) => `set${i}`;
const setIndex = (s) => Number(s.slice(3));

function same(got, want, what) {
  if (!isDeepStrictEqual(got, want)) throw new Error(`${what}:\n${inspect(got, { depth: 8 })}\n  should be\n${inspect(want, { depth: 8 })}`);
}

// True if the check passes, false for the TypeError/RangeError (or parse error) it was meant to give; others propagate.
function accepted(check) {
  try {
    check();
    return true;
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError || e instanceof X.IptablesParseError) return false;
    throw e;
  }
}

function target(data) {
  if (data.length < HEADER) return;
  const family = data[0] & 1 ? 6 : 4;
  const name = TABLES[(data[0] >> 1) % TABLES.length];
  const u32 = (at) => data.readUInt32LE(at);
  const info = {
    validHooks: u32(1), hookEntry: [0, 1, 2, 3, 4].map((i) => u32(5 + 4 * i)), underflow: [0, 1, 2, 3, 4].map((i) => u32(25 + 4 * i)),
    numEntries: u32(45), size: data.length - HEADER,
  };
  const blob = data.subarray(HEADER);
  const ctx = { family, setName, setIndex };
  let table;
  let unread;
  try {
    table = D.decodeTable(name, family, info, blob, ctx, { counters: false, lazy: false });
    unread = D.decodeTable(name, family, info, blob, ctx, { counters: false });
  } catch (e) {
    if (e instanceof DecodeError) return;
    throw e;
  }
  const onePass = (t, valid, what) => {
    let enc;
    const ok = accepted(() => { enc = E.encodeTable(t, { family, setIndex }, {}, V.checkChains(t)); });
    if (ok !== valid) throw new Error(`${what}: the one-pass check ${ok ? 'accepted' : 'refused'} what validateTable ${valid ? 'accepted' : 'refused'}`);
    if (ok && Buffer.compare(enc.blob, E.encodeTable(t, { family, setIndex }).blob) !== 0) throw new Error(`${what}: the one pass wrote other bytes`);
  };
  const unreadValid = accepted(() => V.validateTable(unread));
  onePass(unread, unreadValid, 'unread chains');
  if (unreadValid) {
    const copied = E.encodeTable(unread, { family, setIndex });
    const back = D.decodeTable(name, family, copied.info, copied.blob.subarray(W.REPLACE_HEADER), ctx, { counters: false, lazy: false });
    same(plain(back), plain(table), 'decode(encode(unread chains))');
  }
  const printed = printTable(table);
  const valid = accepted(() => V.validateTable(table));
  onePass(table, valid, 'decoded');
  if (valid) {
    const enc = E.encodeTable(table, { family, setIndex });
    const again = D.decodeTable(name, family, enc.info, enc.blob.subarray(W.REPLACE_HEADER), { family, setName, setIndex }, { counters: false });
    same(withoutAddresses(again), withoutAddresses(table), 'decode(encode(decoded)), addresses aside');
    sameAddresses(again, table, family);
    const bytes = E.encodeTable(again, { family, setIndex }).blob;
    if (Buffer.compare(bytes, enc.blob) !== 0) throw new Error('encode(decode(encode(t))) is not the same bytes');
  }
  let reparsed;
  if (valid && accepted(() => { reparsed = R.parse(printed, { family }); })) {
    let applied;
    if (accepted(() => { applied = R.applyScript(undefined, reparsed.tables[0], family); })) same(printTable(applied), printed, 'print(parse(print(t)))');
  }
}

const printTable = (t) => S.saveTable(t);

// Chains as plain objects in blob order (encode lays user chains out by name).
const plain = (t) => ({ ...t, chains: E.blobOrder(t).map((c) => ({ ...c })) });

// In blob order (built-ins, then user chains by name), which is how encode lays them out.
const withoutAddresses = (t) => ({ ...t, chains: E.blobOrder(t).map((c) => ({ ...c, rules: c.rules.map(({ source, destination, ...r }) => r) })) });

// An address the encoder wrote back is the decoded one under its mask, with the same mask.
function sameAddresses(again, table, family) {
  const order = E.blobOrder(again);
  E.blobOrder(table).forEach((c, i) => c.rules.forEach((r, j) => {
    for (const k of ['source', 'destination']) {
      const want = r[k];
      const got = order[i].rules[j][k];
      if (want === undefined) { if (got !== undefined) throw new Error(`${k} appeared`); continue; }
      const [wa, wm] = want.split('/');
      const masked = W.readAddress(EN.parseRuleAddress(want, family, k).addr, 0, family);
      const expect = masked === (family === 4 ? '0.0.0.0' : '::') && wm === '0' && !r.invert?.[k] ? undefined : `${masked}/${wm}`;
      if (got !== expect) throw new Error(`${k} ${want} came back as ${got}, not ${expect} (${wa})`);
    }
  }));
}

function writeSeeds(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const fixtures = new URL('../../../test/fixtures/iptables/', import.meta.url);
  let n = 0;
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.replace.json')).sort()) {
    const family = file.includes('6') ? 1 : 0;
    for (const r of JSON.parse(readFileSync(new URL(file, fixtures), 'utf8'))) {
      const head = Buffer.alloc(HEADER);
      head[0] = family | (TABLES.indexOf(r.table) << 1);
      head.writeUInt32LE(r.validHooks, 1);
      r.hookEntry.forEach((v, i) => head.writeUInt32LE(v, 5 + 4 * i));
      r.underflow.forEach((v, i) => head.writeUInt32LE(v, 25 + 4 * i));
      head.writeUInt32LE(r.numEntries, 45);
      writeFileSync(`${dir}/${file.replace('.replace.json', '')}-${r.table}`, Buffer.concat([head, Buffer.from(r.entries, 'hex')]));
      n++;
    }
  }
  console.log(`wrote ${n} seeds to ${dir}`);
}

if (process.argv[2] === '--write-seeds') writeSeeds(process.argv[3] ?? 'native/fuzz/corpus/iptables_decode');
else fuzz(target);
