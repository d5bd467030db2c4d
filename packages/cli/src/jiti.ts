import { createRequire } from 'node:module';

/**
 * jiti's `createJiti`, loaded through jiti's CommonJS entry. Importing its ESM entry instead makes
 * Node scan jiti's 190 KB CommonJS bundle for its exports (cjs-module-lexer) on every start; the
 * CommonJS entry is the same API without that scan.
 */
export function loadCreateJiti(): typeof import('jiti').createJiti {
  return (createRequire(import.meta.url)('jiti') as typeof import('jiti')).createJiti;
}
