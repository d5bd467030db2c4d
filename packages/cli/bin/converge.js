#!/usr/bin/env node
import module from 'node:module';
// Node >= 22.1 keeps the compiled code of the CLI's bundles and jiti on disk between runs; Node 20
// has no compile cache (the call is skipped there).
module.enableCompileCache?.();
const { main } = await import('../dist/main.bundle.js');
process.exitCode = await main(process.argv.slice(2));
