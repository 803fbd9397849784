#!/usr/bin/env node
// libFuzzer target for the nftables decoders (TypeScript, src/nft), with
// edge coverage from the instrumented build (see harness.mjs, driver.cc and
// instrument.mjs). The low 3 bits of the first byte pick what the rest is:
//
//   0 table, 1 chain, 2 rule, 3 set, 5 object: the body of one NEW* message
//     (nfgenmsg + attributes), put behind an nlmsghdr as a dump reply is;
//   4 elements: a u16 (little-endian) n, n bytes of a NEWSET body, then a
//     NEWSETELEM body; the set is decoded first and its elements with its
//     type, as list() does;
//   6 events: netlink messages as the multicast group delivers them (decodeEvents);
//   7 ruleset: the netlink messages of a listing, decoded by type, elements
//     matched to their sets, made into a Ruleset, printed and turned into a
//     Transaction.
//
// Checked for every input, any failure being a crash:
//   (a) decoding throws nothing but DecodeError;
//   (b) the decoders list() uses (decodeChainAt, decodeRuleAt, decodeSetAt
//       with name caches, fillElements with the set's shape) and the ones the
//       monitor uses (decodeChain, decodeRule, decodeSet; decodeElementsAt
//       with the same shape) give the same result;
//   (c) round trip, for tables, chains, rules, sets, elements and objects:
//       when the decoded object validates (validateTable etc.: what a
//       Transaction checks before it encodes anything, so what
//       toTransaction() would send), encoding it with its encoder and
//       decoding that gives the same object, less what the encoder
//       deliberately does not send or fills in (expected* below: the
//       kernel's handle and use counts, chain flags, flags 0, nft's set
//       userdata and concat desc). Elements must also come back as the same
//       bytes (decoded without a shape). Objects that do not validate are
//       ones the API refuses to encode, and the encoders need not cope with
//       them (a chain with a hook but no type, say);
//   (d) printing (what Ruleset.toString, printSet and printElements do) and,
//       for kind 7, toTransaction().encode() of a ruleset that validates, do
//       not throw;
//   (e) no silent change: a rule as toTransaction() recreates it (what nft
//       would send for the printed text: the expressions' recreate hooks with
//       the printer's hints), encoded and decoded again, prints as the rule
//       did; and a whole ruleset recreated, encoded and decoded prints its
//       rules as the listing did, with toTransaction({ asPrinted: true })
//       (what nft makes of the printed text) too. (That nft itself reads the printed text as
//       the same rule is checked against the real nft by the host suite,
//       test/host/nft-fidelity.test.ts, on a sample of mutated rules.)
// Events and whole rulesets have no round trip of their own: their objects
// are the ones kinds 0-5 round-trip, and NEWGEN has no encoder.
//
//   node native/fuzz/js/fuzz_nft.mjs [libFuzzer flags] [corpus dirs]   (scripts/fuzz.sh)
//   node native/fuzz/js/fuzz_nft.mjs CRASH_FILE                        (replay one input)
//   node native/fuzz/js/fuzz_nft.mjs --write-seeds DIR                 (seeds from test/fixtures/nft/*.json)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual, inspect } from 'node:util';

import { fuzz, load } from './harness.mjs';

const [U, W, T, C, R, S, O, M, P, RS, E, FT, X, PR, OB, OT] = await Promise.all(['uapi', 'wire', 'table', 'chain', 'rule', 'set', 'object', 'monitor', 'print', 'ruleset', 'enums', 'flowtable', 'expr/spec', 'print/rule', 'obj/index', 'expr/objref']
  .map((m) => load(`src/nft/${m}.js`)));
const { DecodeError, Writer, NameCache, eachMessage, messages } = W;

const MSG = (cmd) => (U.NFNL_SUBSYS_NFTABLES << 8) | cmd;
const KINDS = ['table', 'chain', 'rule', 'set', 'elements', 'object', 'events', 'ruleset'];
const NEW = { table: U.NFT_MSG_NEWTABLE, chain: U.NFT_MSG_NEWCHAIN, rule: U.NFT_MSG_NEWRULE, set: U.NFT_MSG_NEWSET, elements: U.NFT_MSG_NEWSETELEM, object: U.NFT_MSG_NEWOBJ };

/** A dump reply message (NLM_F_MULTI) of this nf_tables command around body, the way test/unit/nft.test.ts builds them. */
function message(cmd, body) {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(MSG(cmd), 4);
  h.writeUInt16LE(2, 6);
  return Buffer.concat([h, body]);
}

function same(got, want, what) {
  if (!isDeepStrictEqual(got, want)) throw new Error(`${what}:\n${inspect(got, { depth: 8 })}\n  should be\n${inspect(want, { depth: 8 })}`);
}

// True if validation passes, false if it refuses (with the TypeError subclasses the API throws); anything else propagates.
function valid(check) {
  try {
    check();
    return true;
  } catch (e) {
    if (e instanceof TypeError) return false;
    throw e;
  }
}

function without(o, ...keys) {
  const c = { ...o };
  for (const k of keys) delete c[k];
  return c;
}

/** The single message of a buffer made by message() or by re-encoding. */
function only(buf) {
  const ms = messages(buf);
  if (ms.length !== 1) throw new Error(`expected one message, got ${ms.length}`);
  return ms[0];
}

/** One message with the NEW command of kind, encoded by body(w), as a buffer. */
function encoded(kind, family, body) {
  const w = new Writer(256);
  const m = w.beginMessage(MSG(NEW[kind]), 0, E.FAMILIES.number(family));
  body(w);
  w.endMessage(m);
  return Buffer.from(w.bytes());
}

// Both the listing's in-place decoder and the message decoder; they must agree.
function decodeBoth(kind, buf, listing, monitor) {
  let listed;
  eachMessage(buf, 0, buf.length, (at, end, family) => { listed = listing(buf, at, end, family); });
  const monitored = monitor(only(buf));
  same(listed, monitored, `${kind}: list() and monitor decoders disagree`);
  return listed;
}

const ruleNames = () => ({ table: new NameCache(), chain: new NameCache() });
const tableOf = (o) => ({ family: o.family, name: o.table });
const print = (d) => new RS.Ruleset({ generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], ...d }).toString();

// ---- what re-encoding a decoded object should give back ----

function expectedTable(t) {
  return { ...without(t, 'handle', 'use'), flags: t.flags ?? 0 };  // kernel-set; flags always sent
}

function expectedChain(c) {
  // encodeChain sends no handle or use (the kernel sets them), and of the
  // flags only nft's (not NFT_CHAIN_BASE); a chain without a hook is a
  // regular chain, and its device(s) are not sent; one device goes as
  // NFTA_HOOK_DEV alone, as nft sends it.
  const want = without(c, 'handle', 'use', 'flags');
  const flags = ((c.flags ?? 0) & ~1) >>> 0;
  if (flags !== 0) want.flags = flags;
  if (c.hook === undefined) return without(want, 'device', 'devices');
  want.priority = c.priority ?? 0;
  if (c.devices?.length === 0) delete want.devices;
  if (c.devices?.length === 1 && c.devices[0] === c.device && !c.device.endsWith('*')) delete want.devices;
  return want;
}

function expectedSet(s) {
  const want = without(s, 'handle');
  // encodeSet always sends userdata, nft's (key byte order, comment) when the set had none.
  if (s.userdata === undefined) want.userdata = new Uint8Array(S.setUserdata(s));
  // The desc goes as nft sends it (nests flagged), and not at all when empty (the kernel lists an empty one).
  if (s.desc !== undefined) {
    if (s.desc.length === 0) delete want.desc;
    else want.desc = S.descAsSent(s.desc);
  }
  // A verdict map's data length goes as 0, as nft sends it (the kernel lists 16).
  if (s.dataTypeId === 0xffffff00 && s.dataLen !== undefined) want.dataLen = 0;
  return want;
}

function expectedObject(o) {
  const want = without(o, 'handle', 'use');
  // Raw data goes as libnftnl sends it (its kind's attribute order, strings without their NUL where it puts them so).
  if (o.data !== undefined) want.data = new Uint8Array(OB.dataAsSent(OB.objectKind(OT.OBJECT_TYPES.number(o.type)), o.data));
  if (o.type === 'counter' && o.data === undefined) {
    want.bytes = o.bytes ?? 0;  // a counter without NFTA_OBJ_DATA is sent as 0 packets, 0 bytes
    want.packets = o.packets ?? 0;
  }
  return want;
}

// ---- the kinds ----

function table(body) {
  const t = decodeBoth('table', message(U.NFT_MSG_NEWTABLE, body), (buf) => T.decodeTable(only(buf)), T.decodeTable);
  print({ tables: [t] });
  if (valid(() => T.validateTable(t, 'fuzz'))) {
    same(T.decodeTable(only(encoded('table', t.family, (w) => T.encodeTable(w, t)))), expectedTable(t), 'table round trip');
  }
}

function chain(body) {
  const c = decodeBoth('chain', message(U.NFT_MSG_NEWCHAIN, body), (buf, at, end, fam) => C.decodeChainAt(buf, at, end, fam, new NameCache()), C.decodeChain);
  print({ tables: [tableOf(c)], chains: [c] });
  if (valid(() => C.validateChain(c, 'fuzz'))) {
    same(C.decodeChain(only(encoded('chain', c.family, (w) => C.encodeChain(w, c)))), expectedChain(c), 'chain round trip');
  }
}

function rule(body) {
  const r = decodeBoth('rule', message(U.NFT_MSG_NEWRULE, body), (buf, at, end, fam) => R.decodeRuleAt(buf, at, end, fam, ruleNames()), R.decodeRule);
  print({ tables: [tableOf(r)], chains: [{ family: r.family, table: r.table, name: r.chain }], rules: [r] });
  if (valid(() => R.validateRule(r, 'fuzz'))) {
    same(R.decodeRule(only(encoded('rule', r.family, (w) => R.encodeRule(w, r, true)))), r, 'rule round trip');
    noSilentChange(r);
  }
}

// (e) for one rule: recreated as toTransaction() does, sent and read back, it prints the same.
function noSilentChange(r) {
  const text = P.printRule(r);
  // The low-level `[ name attrs ]` form is no nft syntax (nft refuses it): it shows the attributes as they are.
  if (text.includes('[ ')) return;
  const hints = PR.recreateHints(r, { family: r.family, table: r.table, sets: () => undefined, env: {} });
  const again = { ...r, expressions: X.recreateRule(r.expressions, hints) };
  if (!valid(() => R.validateRule(again, 'fuzz'))) throw new Error(`recreating makes a rule the API refuses:\n${text}`);
  const back = R.decodeRule(only(encoded('rule', r.family, (w) => R.encodeRule(w, again, true))));
  same(P.printRule(back), text, 'no silent change: the recreated rule prints differently');
}

function decodeSet(body) {
  return decodeBoth('set', message(U.NFT_MSG_NEWSET, body), (buf, at, end, fam) => S.decodeSetAt(buf, at, end, fam, new NameCache()), S.decodeSet);
}

function printSet(s) {
  P.printSet(s, '\t');  // also anonymous sets, which a table listing leaves out
  P.printElements(s);
  print({ tables: [tableOf(s)], sets: [s] });
}

function set(body) {
  const s = decodeSet(body);
  printSet(s);
  if (valid(() => S.validateSet(s, 'fuzz'))) {
    const again = S.decodeSet(only(encoded('set', s.family, (w) => S.encodeSet(w, s))));
    // Without a NFTA_SET_DESC of its own, encodeSet sends the one nft does (the field lengths of an interval concatenation).
    if (s.desc === undefined) delete again.desc;
    same(again, expectedSet(s), 'set round trip');
  }
}

// The set's elements from a NEWSETELEM message, as list() reads them (fillElements
// with the set's shape), checked against decodeElementsAt with the same shape.
function listElements(s, buf) {
  const copy = { ...s };
  S.fillElements([copy], 0, { data: buf, ends: Uint32Array.of(buf.length) }, new S.ShapeCache());
  const m = only(buf);
  const shape = new S.ShapeCache().of(s);
  same(S.decodeElementsAt(m.raw, m.attrs, m.raw.length, m.family, () => shape).elements, copy.elements, 'elements: fillElements and decodeElementsAt disagree');
  return copy;
}

function elements(body) {
  const n = body.length >= 2 ? body.readUInt16LE(0) : 0;
  const s = decodeSet(body.subarray(2, 2 + n));
  const buf = message(U.NFT_MSG_NEWSETELEM, body.subarray(2 + n));
  const listed = listElements(s, buf);
  const monitored = S.decodeElements(only(buf), () => undefined);  // the monitor knows no set types
  printSet(listed);
  if (valid(() => S.validateSet(listed, 'fuzz'))) {
    const shape = new S.ShapeCache().of(listed);
    const again = encoded('elements', monitored.family, (w) => {
      w.strz(U.NFTA_SET_ELEM_LIST_TABLE, monitored.table);
      w.strz(U.NFTA_SET_ELEM_LIST_SET, monitored.set);
      const l = w.nest(U.NFTA_SET_ELEM_LIST_ELEMENTS);
      listed.elements.forEach((e, i) => S.encodeElement(w, e, shape, i + 1));
      w.end(l);
    });
    same(listElements(s, again).elements, listed.elements, 'elements round trip');
    // Typed keys and values must also come back as the same bytes.
    same(S.decodeElements(only(again), () => undefined), monitored, 'elements round trip (bytes)');
  }
}

function object(body) {
  const o = decodeBoth('object', message(U.NFT_MSG_NEWOBJ, body), (buf) => O.decodeObject(only(buf)), O.decodeObject);
  print({ tables: [tableOf(o)], objects: [o] });
  if (valid(() => O.validateObject(o, 'fuzz'))) {
    same(O.decodeObject(only(encoded('object', o.family, (w) => O.encodeObject(w, o)))), expectedObject(o), 'object round trip');
  }
}

function events(body) {
  for (const e of M.decodeEvents(body)) {
    if (e.kind === 'table') print({ tables: [e.table] });
    else if (e.kind === 'chain') print({ tables: [tableOf(e.chain)], chains: [e.chain] });
    else if (e.kind === 'rule') print({ tables: [tableOf(e.rule)], chains: [{ family: e.rule.family, table: e.rule.table, name: e.rule.chain }], rules: [e.rule] });
    else if (e.kind === 'set') printSet(e.set);
    else if (e.kind === 'object') print({ tables: [tableOf(e.object)], objects: [e.object] });
    else if (e.kind === 'flowtable') print({ tables: [tableOf(e.flowtable)], flowtables: [e.flowtable] });
  }
}

function ruleset(body) {
  const d = { generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] };
  const names = ruleNames();
  const elementMessages = [];
  for (const m of messages(body)) {
    if (m.type >> 8 !== U.NFNL_SUBSYS_NFTABLES) continue;
    const at = [m.raw, m.attrs, m.raw.length, m.family];
    switch (m.type & 0xff) {
      case U.NFT_MSG_NEWTABLE: d.tables.push(T.decodeTable(m)); break;
      case U.NFT_MSG_NEWCHAIN: d.chains.push(C.decodeChainAt(...at, names.table)); break;
      case U.NFT_MSG_NEWRULE: d.rules.push(R.decodeRuleAt(...at, names)); break;
      case U.NFT_MSG_NEWSET: d.sets.push(S.decodeSetAt(...at, names.table)); break;
      case U.NFT_MSG_NEWOBJ: d.objects.push(O.decodeObject(m)); break;
      case U.NFT_MSG_NEWFLOWTABLE: d.flowtables.push(FT.decodeFlowtableAt(...at)); break;
      case U.NFT_MSG_NEWSETELEM: elementMessages.push(m); break;
    }
  }
  // One element reply per set: its messages, in order.
  const bySet = new Map();
  for (const m of elementMessages) {
    const { family, table: t, set: name } = S.decodeElements(m, () => undefined);
    const s = d.sets.find((x) => x.family === family && x.table === t && x.name === name);
    if (s !== undefined) bySet.set(s, [...(bySet.get(s) ?? []), m.raw]);
  }
  const shapes = new S.ShapeCache();
  for (const [s, raws] of bySet) {
    const data = Buffer.concat(raws);
    S.fillElements([s], 0, { data, ends: Uint32Array.of(data.length) }, shapes);
  }
  const rs = new RS.Ruleset(d);
  const text = rs.toString();
  const tx = rs.toTransaction();
  if (tx.error === undefined) {
    const bytes = tx.encode().bytes;
    tx.toString();
    // (e) what toTransaction() sends, read back as a listing, prints the same
    // rules (the skeleton may differ: a set sent without its listed desc, ids
    // in place of names of bound chains and anonymous sets).
    const back = readBack(bytes);
    if (back !== undefined && !text.includes('[ ')) same(rulesOf(back.toString()), rulesOf(text), 'no silent change: the recreated ruleset prints its rules differently');
    // What nft would make of the printed text (toTransaction({ asPrinted })) prints the same rules too.
    const printed = rs.toTransaction(undefined, { asPrinted: true });
    if (printed.error === undefined) {
      const again = readBack(printed.encode().bytes);
      if (again !== undefined && !text.includes('[ ')) same(rulesOf(again.toString()), rulesOf(text), 'asPrinted: the rules nft would read from the printed text print differently');
    }
  }
}

// A batch of ours decoded as if the kernel listed it; undefined when it names
// things by id (anonymous sets, bound chains: the kernel would name them).
function readBack(bytes) {
  const d = { generation: 1, tables: [], chains: [], rules: [], sets: [], objects: [], flowtables: [] };
  const elementMessages = new Map();
  for (let off = 0; off < bytes.length;) {
    const len = bytes.readUInt32LE(off);
    const m = only(message(bytes.readUInt16LE(off + 4) & 0xff, bytes.subarray(off + 16, off + len)));
    off += len;
    switch (m.type & 0xff) {
      case U.NFT_MSG_NEWTABLE: d.tables.push(T.decodeTable(m)); break;
      case U.NFT_MSG_NEWCHAIN: d.chains.push(C.decodeChain(m)); break;
      case U.NFT_MSG_NEWRULE: d.rules.push(R.decodeRule(m)); break;
      case U.NFT_MSG_NEWSET: d.sets.push(S.decodeSet(m)); break;
      case U.NFT_MSG_NEWOBJ: d.objects.push(O.decodeObject(m)); break;
      case U.NFT_MSG_NEWSETELEM: {
        const e = S.decodeElements(m, () => undefined);
        const s = d.sets.find((x) => x.family === e.family && x.table === e.table && x.name === e.set);
        if (s === undefined) return undefined;
        elementMessages.set(s, [...(elementMessages.get(s) ?? []), m.raw]);
        break;
      }
      case U.NFT_MSG_NEWFLOWTABLE: d.flowtables.push(FT.decodeFlowtable(m)); break;
      default: break;
    }
  }
  if (d.sets.some((s) => s.name.includes('%')) || d.chains.some((c) => c.name === '')) return undefined;
  const shapes = new S.ShapeCache();
  for (const [s, raws] of elementMessages) {
    const data = Buffer.concat(raws);
    S.fillElements([s], 0, { data, ends: Uint32Array.of(data.length) }, shapes);
  }
  return new RS.Ruleset(d);
}

// The rule lines of a printed ruleset (chains' contents less their headers).
function rulesOf(text) {
  const out = [];
  let inChain = false;
  for (const l of text.split('\n')) {
    if (/^\tchain /.test(l)) { inChain = true; continue; }
    if (l === '\t}') { inChain = false; continue; }
    if (inChain && l.startsWith('\t\t') && !/^\t\t(type \S+ hook |policy |comment |devices )/.test(l)) out.push(l);
  }
  return out;
}

const RUN = { table, chain, rule, set, elements, object, events, ruleset };

function target(data) {
  if (data.length === 0) return;
  const kind = KINDS[data[0] & 7];
  try {
    RUN[kind](data.subarray(1));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
}

// ---- seeds: every message of the captured fixtures ----

function writeSeeds(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) rmSync(`${dir}/${f}`);
  const fixtures = new URL('../../../test/fixtures/nft/', import.meta.url);
  let n = 0;
  const write = (name, kind, ...parts) => {
    writeFileSync(`${dir}/${name}`, Buffer.concat([Buffer.of(KINDS.indexOf(kind)), ...parts]));
    n++;
  };
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort()) {
    const captured = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8'));
    const base = file.replace(/\.json$/, '');
    const bodies = captured.map((c) => ({ cmd: c.type & 0xff, body: Buffer.from(c.body, 'hex') }));
    const setBodies = new Map();
    for (const { cmd, body } of bodies) {
      if (cmd !== U.NFT_MSG_NEWSET) continue;
      const s = S.decodeSet(only(message(cmd, body)));
      setBodies.set(`${s.table}\0${s.name}`, body);
    }
    bodies.forEach(({ cmd, body }, i) => {
      const kind = Object.keys(NEW).find((k) => NEW[k] === cmd);
      if (kind === undefined) return;
      if (kind !== 'elements') {
        write(`${base}-${i}-${kind}`, kind, body);
        return;
      }
      const e = S.decodeElements(only(message(cmd, body)), () => undefined);
      const s = setBodies.get(`${e.table}\0${e.set}`) ?? Buffer.alloc(0);
      const len = Buffer.alloc(2);
      len.writeUInt16LE(s.length);
      write(`${base}-${i}-elements`, 'elements', len, s, body);
    });
    // The whole fixture as one stream of messages, with their own types and flags.
    const stream = Buffer.concat(captured.map((c) => {
      const m = message(0, Buffer.from(c.body, 'hex'));
      m.writeUInt16LE(c.type, 4);
      m.writeUInt16LE(c.flags, 6);
      return Buffer.concat([m, Buffer.alloc(-m.length & 3)]);
    }));
    write(`${base}-events`, 'events', stream);
    write(`${base}-ruleset`, 'ruleset', stream);
  }
  console.log(`wrote ${n} seeds to ${dir}`);
}

if (process.argv[2] === '--write-seeds') writeSeeds(process.argv[3] ?? 'native/fuzz/corpus/nft');
else fuzz(target);
