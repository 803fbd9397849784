#!/usr/bin/env node
// Captures the nf_tables batch `nft -f FILE` sends, for the byte-for-byte
// encoding fixtures (test/fixtures/nft/*.batch.json):
//
//   node scripts/nft-capture.mjs test/fixtures/nft/flowtable.nft > test/fixtures/nft/flowtable.batch.json
//
// Runs nft under `strace -e write=all -xx` in a throwaway network namespace
// (root, iproute2, strace, nft) and prints the messages between
// NFNL_MSG_BATCH_BEGIN and NFNL_MSG_BATCH_END as JSON: type, flags and the
// body (nfgenmsg and attributes) in hex. The kernel need not accept the
// batch (nft sends all of it before reading any answer); its errors are
// passed through on stderr. Imported, captureBatch() does the same in a
// namespace of the caller's (test/fixtures/nft-py/corpus.ts).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });

/**
 * The messages of every batch in strace's `-e write=all -xx` output: strace
 * prints each sendmsg, then " * N bytes in buffer K" and hex dump rows
 * " | 00000  14 00 00 00 ...  ascii |" for every buffer of its iovec.
 */
export function batchMessages(straceOutput) {
  const sends = [];
  let current;
  for (const line of straceOutput.split('\n')) {
    if (/^(\[pid +\d+\] )?sendmsg\(/.test(line)) {
      current = [];
      sends.push(current);
    } else if (/^ \* \d+ bytes in buffer \d+/.test(line)) {
      current?.push([]);
    } else if (line.startsWith(' | ') && current !== undefined && current.length > 0) {
      const row = /^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2})+)/.exec(line);
      if (row !== null) {
        const buf = current[current.length - 1];
        for (const h of row[1].trim().split(/ +/)) buf.push(parseInt(h, 16));
      }
    }
  }
  const out = [];
  for (const buffers of sends) {
    const bytes = Buffer.from(buffers.flat());
    if (bytes.length < 16 || bytes.readUInt16LE(4) !== NFNL_MSG_BATCH_BEGIN) continue;
    for (let off = 0; off + 16 <= bytes.length;) {
      const len = bytes.readUInt32LE(off);
      const type = bytes.readUInt16LE(off + 4);
      if (len < 16 || off + len > bytes.length) throw new Error(`bad message length ${len} at ${off}`);
      if (type !== NFNL_MSG_BATCH_BEGIN && type !== NFNL_MSG_BATCH_END) {
        out.push({ type, flags: bytes.readUInt16LE(off + 6), body: bytes.subarray(off + 16, off + len).toString('hex') });
      }
      off += (len + 3) & ~3;
    }
  }
  return out;
}

/** Runs `nft -f file` under strace in network namespace netns: nft's exit status, its messages (lines strace did not write) and the batch. */
export function captureBatch(file, netns) {
  const traced = run('ip', ['netns', 'exec', netns, 'strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=all', '-xx', '-s', '0', 'nft', '-f', resolve(file)]);
  if (traced.error !== undefined) throw traced.error;
  const nftOutput = traced.stderr.split('\n').filter((l) => !/^(\[pid +\d+\] )?(sendmsg\(|recvmsg\(| \* | \| |\+\+\+ |--- )/.test(l)).join('\n');
  // strace exits with the traced program's status.
  return { status: traced.status, messages: batchMessages(traced.stderr), nftOutput };
}

function main() {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node scripts/nft-capture.mjs FILE.nft > FILE.batch.json\n');
    process.exit(2);
  }
  const ns = `dp-capture-${process.pid}`;
  if (run('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`ip netns add ${ns} failed (root and iproute2 needed)`);
  let captured;
  try {
    captured = captureBatch(file, ns);
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
  if (captured.messages.length === 0) {
    process.stderr.write(captured.nftOutput);
    throw new Error('no batch found in the strace output');
  }
  for (const line of captured.nftOutput.split('\n')) if (/^(\/|Error|\s*\^)/.test(line)) process.stderr.write(`${line}\n`);
  process.stdout.write(`${JSON.stringify(captured.messages, null, 1)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
