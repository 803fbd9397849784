#!/usr/bin/env node
// Captures what the kernel sends for a listing, as fixtures for the JS fuzz
// target's seeds (native/fuzz/js/fuzz_nft.mjs) and the decoder unit tests: for
// each NAME.nft in test/fixtures/nft/ given, loads it with `nft -f` into a
// fresh netns, lists it with Nftables.list() (dist/, so `npm run build:ts`
// first), and writes every nf_tables message of the replies (the NEWGEN,
// then the table, chain, set, object, rule and element dumps) to
// test/fixtures/nft/NAME.list.json in kube-proxy.batch.json's format:
// [{ type, flags, body: hex of nfgenmsg + attributes }]. Needs root, ip, nft.
//
//   node scripts/capture-nft-listing.mjs kube-proxy expressions
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NetlinkHandle } from '../dist/handle.js';
import { Nftables } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: capture-nft-listing.mjs NAME... (test/fixtures/nft/NAME.nft)');
  process.exit(2);
}

// Every reply buffer the listing reads, in order.
let replies = [];
const run = NetlinkHandle.prototype.run;
NetlinkHandle.prototype.run = function (operation, fn) {
  return run.call(this, operation, (native) => fn(new Proxy(native, {
    get(target, key) {
      const v = target[key];
      if (key === 'nfnl') return async (...args) => { const r = await v.apply(target, args); for (const x of r) replies.push(x.data); return r; };
      if (key === 'nfnlConcat') return async (...args) => { const r = await v.apply(target, args); replies.push(r.data); return r; };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  })));
};

function messagesOf(buf) {
  const out = [];
  for (let off = 0; buf.length - off >= 16;) {
    const len = buf.readUInt32LE(off);
    const type = buf.readUInt16LE(off + 4);
    if (type >> 8 === 10) out.push({ type, flags: buf.readUInt16LE(off + 6), body: buf.subarray(off + 16, off + len).toString('hex') });
    off += (len + 3) & ~3;
  }
  return out;
}

for (const name of names) {
  const ns = `dp-capture-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', join(root, 'test/fixtures/nft', `${name}.nft`)]);
    replies = [];
    const nft = await Nftables.open({ netns: ns });
    const listed = await nft.list();
    await nft.close();
    const messages = replies.flatMap(messagesOf);
    const file = join(root, 'test/fixtures/nft', `${name}.list.json`);
    writeFileSync(file, `${JSON.stringify(messages, null, 1)}\n`);
    console.log(`${file}: ${messages.length} messages (${listed.tables.length} tables, ${listed.chains.length} chains, ${listed.rules.length} rules, ${listed.sets.length} sets, ${listed.objects.length} objects)`);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
