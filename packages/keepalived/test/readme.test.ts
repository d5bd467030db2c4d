import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkParamTables } from '@converge/testing';
import { KeepalivedConfigParams, KeepalivedFailoverParams, SharedAddress } from '../src/index.js';

// The README's param tables are generated from the schemas, so they cannot drift;
// CONVERGE_UPDATE_FIXTURES=1 rewrites them in place.
test('README lists every param of keepalived.config, keepalived.failover and a shared address as their schemas say', () => {
  const path = join(import.meta.dirname, '..', 'README.md');
  const update = process.env.CONVERGE_UPDATE_FIXTURES === '1';
  const { text, problems } = checkParamTables(readFileSync(path, 'utf8'), { 'keepalived.config': KeepalivedConfigParams, 'keepalived.failover': KeepalivedFailoverParams, 'shared-address': SharedAddress }, update);
  if (update) writeFileSync(path, text);
  else expect(problems).toEqual([]);
});
