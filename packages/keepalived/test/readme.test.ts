import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkParamTables } from '@converge/testing';
import { SharedAddress } from '../src/index.js';

// The modules' param tables are checked with every module package (test/module-packages.test.ts);
// this one is the shared address spec's, which the roles take as a var. CONVERGE_UPDATE_FIXTURES=1
// rewrites it in place.
test('README lists every field of a shared address as its schema says', () => {
  const path = join(import.meta.dirname, '..', 'README.md');
  const update = process.env.CONVERGE_UPDATE_FIXTURES === '1';
  const { text, problems } = checkParamTables(readFileSync(path, 'utf8'), { 'shared-address': SharedAddress }, update);
  if (update) writeFileSync(path, text);
  else expect(problems).toEqual([]);
});
