import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParamTables, paramRows } from '@converge/testing';
import { MaxscaleConfigParams, MaxscaleRestApiParams } from '../src/index.js';

// The README's param tables are generated from the schemas; this test fails when they drift.
// CONVERGE_UPDATE_FIXTURES=1 rewrites it in place.
const readmePath = join(import.meta.dirname, '..', 'README.md');

describe('README', () => {
  it('lists every param of maxscale.config and maxscale.rest_api, as generated from their schemas', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const { text, problems } = checkParamTables(readme, { 'maxscale.config': MaxscaleConfigParams, 'maxscale.rest_api': MaxscaleRestApiParams }, process.env.CONVERGE_UPDATE_FIXTURES === '1');
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(readmePath, text);
    else expect(problems).toEqual([]);
    for (const row of [...paramRows(MaxscaleConfigParams), ...paramRows(MaxscaleRestApiParams)]) expect(text).toContain(`| \`${row.name}\` |`);
  });

  it('shows the typed example that test/readme-example.ts compiles', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const example = readFileSync(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README.md needs a ```ts example').toBeDefined();
    expect(example).toContain(block as string);
  });
});
