#!/usr/bin/env node
// The `dataplane-proxy` binary: runs cli.ts's main and exits with its code.
import { EXIT_FAILURE, main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`dataplane-proxy: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
