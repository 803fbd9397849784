#!/usr/bin/env node
// Proves that libFuzzer gets edge feedback from the JS counters: the only
// code under test is planted.ts, which throws on a 5-byte magic prefix
// compared one byte at a time. scripts/fuzz.sh runs this with
// -max_total_time=30 and fails unless it crashes (exit 77, the input written
// to -artifact_prefix) well within that.
import { fuzz, load } from './harness.mjs';

const { planted } = await load('native/fuzz/js/planted.js');
fuzz((data) => planted(data));
