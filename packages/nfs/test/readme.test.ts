import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkParamTables } from '@converge/testing';
import { NfsExportsParams, NfsMountParams } from '../src/index.js';

// The README's param tables are generated from the schemas, so they cannot drift;
// CONVERGE_UPDATE_FIXTURES=1 rewrites them in place.
test('README lists every param of nfs.exports and nfs.mount as their schemas say', () => {
  const path = join(import.meta.dirname, '..', 'README.md');
  const update = process.env.CONVERGE_UPDATE_FIXTURES === '1';
  const { text, problems } = checkParamTables(readFileSync(path, 'utf8'), { 'nfs.exports': NfsExportsParams, 'nfs.mount': NfsMountParams }, update);
  if (update) writeFileSync(path, text);
  else expect(problems).toEqual([]);
});
