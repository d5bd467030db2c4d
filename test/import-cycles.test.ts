import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

// Dependencies point one way: a module never imports, directly or through others, a module
// that imports it (type-only imports count too: they tie the same two concepts together).
// dpdm reads the sources with TypeScript's parser; `./x.js` specifiers resolve to `./x.ts`.
const REPO = fileURLToPath(new URL('..', import.meta.url));

describe('package sources', () => {
  it('have no import cycle', async () => {
    const tree = await parseDependencyTree('packages/*/src/**/*.ts', {
      context: REPO,
      cwd: REPO,
      tsconfig: `${REPO}tsconfig.base.json`,
      transform: false,
      exclude: /node_modules|\.test\.ts$/,
    });
    expect(Object.keys(tree).length).toBeGreaterThan(100);
    const unresolved = Object.values(tree).flatMap((deps) => (deps ?? []).filter((d) => d.id === null && d.request.startsWith('.')).map((d) => `${d.issuer}: ${d.request}`));
    expect(unresolved).toEqual([]);
    expect(parseCircular(tree).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});
