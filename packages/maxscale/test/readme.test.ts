import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's example is the code that test/readme-example.ts compiles (its param tables are
// checked with every package's by test/module-packages.test.ts).
const readmePath = join(import.meta.dirname, '..', 'README.md');

describe('README', () => {
  it('shows the typed example that test/readme-example.ts compiles', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const example = readFileSync(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README.md needs a ```ts example').toBeDefined();
    expect(example).toContain(block as string);
  });
});
