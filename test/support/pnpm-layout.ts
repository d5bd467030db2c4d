import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Lays out, under `root`, packages as pnpm installs them: `app/node_modules/lib` is a symlink into
 * `store/node_modules/lib`, whose dependency `dep` sits beside it in the store, so `lib` finds
 * `dep` only when Node resolves the symlink to its real path. Returns a require() of `app/` that
 * has already loaded one file there (the loader's realpath cache then holds the directories above).
 *
 * `load('lib')` returns 42 while Node resolves symlinks; it throws "Cannot find module 'dep'"
 * when a synchronous stat of a socket or FIFO came last (nodejs/node#51142).
 */
export function pnpmLayout(root: string): { load: NodeJS.Require } {
  for (const [file, code] of [
    ['store/node_modules/dep/index.js', 'module.exports = 42;'],
    ['store/node_modules/lib/index.js', "module.exports = require('dep');"],
    ['app/first.js', 'module.exports = 1;'],
  ] as const) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), code);
  }
  mkdirSync(join(root, 'app/node_modules'));
  symlinkSync('../../store/node_modules/lib', join(root, 'app/node_modules/lib'));
  const load = createRequire(join(root, 'app/index.js'));
  load('./first.js');
  return { load };
}
