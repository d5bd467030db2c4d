// What each module package declares about itself holds: the module families in its package.json
// (`converge.modules`) are exactly the families of the modules its entry exports, and its README
// has the param table of every module, generated from the schema. Packages are found in the
// workspace (scripts/workspace.mjs), so a new package is checked by being there.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParamTables } from '@converge/testing';
import { modulePackages, workspacePackages } from '../scripts/workspace.mjs';
import { PACKAGES, modulesOf } from './package-modules.js';

const byName = new Map(modulePackages(workspacePackages()).map((p) => [p.name, p]));

describe.each(PACKAGES)('%s', (name, exports) => {
  const pkg = byName.get(name);
  const modules = modulesOf(exports);

  it('exports modules of exactly the families its package.json declares', () => {
    expect(modules.length).toBeGreaterThan(0);
    const families = [...new Set(modules.map((m) => m.id.split('.')[0]))].sort();
    expect(families).toEqual([...(pkg?.moduleFamilies ?? [])].sort());
  });

  it('has a README with the param table of every module, as its schema gives it', () => {
    const path = join(pkg?.dir ?? '', 'README.md');
    const update = process.env.CONVERGE_UPDATE_FIXTURES === '1';
    expect(existsSync(path) || update, `${name} needs a README.md (CONVERGE_UPDATE_FIXTURES=1 writes the param tables into a new one)`).toBe(true);
    const readme = existsSync(path) ? readFileSync(path, 'utf8') : `# ${name}\n`;
    const schemas = Object.fromEntries(modules.map((m) => [m.id, m.definition.params]));
    const { text, problems } = checkParamTables(readme, schemas, update);
    if (update) writeFileSync(path, text);
    else expect(problems).toEqual([]);
  });
});

describe('docs/authoring-modules.md', () => {
  it('lists the module families of every package, as the packages declare them', () => {
    const path = join(import.meta.dirname, '..', 'docs', 'authoring-modules.md');
    const rows = [...byName.values()].map((p) => `| \`${p.name}\` | ${p.moduleFamilies.map((f) => `\`${f}\``).join(', ')} |`);
    const table = ['| package | module families |', '|---|---|', ...rows].join('\n');
    const doc = readFileSync(path, 'utf8');
    const block = /<!-- module-families -->\n([\s\S]*?)\n<!-- \/module-families -->/;
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(path, doc.replace(block, `<!-- module-families -->\n${table}\n<!-- /module-families -->`));
    else expect(block.exec(doc)?.[1]).toBe(table);
  });
});
