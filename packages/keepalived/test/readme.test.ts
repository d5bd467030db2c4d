import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeepalivedConfigParams, KeepalivedFailoverParams, SharedAddress } from '../src/index.js';
import { paramRows, paramTable } from '@converge/testing';

// The README's param tables are generated from the schemas; this test fails when they drift.
// CONVERGE_UPDATE_FIXTURES=1 rewrites them in place.
const readmePath = join(import.meta.dirname, '..', 'README.md');

describe('README', () => {
  it.each([
    ['keepalived.config', KeepalivedConfigParams],
    ['keepalived.failover', KeepalivedFailoverParams],
    ['shared-address', SharedAddress],
  ])('lists every param of %s, as generated from its schema', (name, schema) => {
    let readme = readFileSync(readmePath, 'utf8');
    const start = `<!-- params:${name} -->\n`;
    const end = `<!-- /params:${name} -->`;
    const i = readme.indexOf(start);
    let j = readme.indexOf(end);
    expect(i, `README.md needs a block ${start.trim()} … ${end}`).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
    const table = paramTable(schema);
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') {
      readme = readme.slice(0, i + start.length) + table + readme.slice(j);
      writeFileSync(readmePath, readme);
      j = readme.indexOf(end);
    }
    expect(readme.slice(i + start.length, j)).toBe(table);
    for (const row of paramRows(schema)) expect(readme).toContain(`| \`${row.name}\` |`);
  });
});
