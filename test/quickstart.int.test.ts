import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's main job, as a test: examples/quickstart/run.mjs starts three hosts, runs
// --check --diff, the real run (which must change exactly what the check predicted, with no
// change left "known after apply"), a second run that must report 0 changed, and an HTTP check.

describe('quickstart', () => {
  it('converges three hosts, the second run changes nothing, and every host serves its page', async () => {
    const script = join(import.meta.dirname, '..', 'examples', 'quickstart', 'run.mjs');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [script], { env: { ...process.env, NO_COLOR: '1' } });
      let output = '';
      child.stdout.on('data', (d) => (output += String(d)));
      child.stderr.on('data', (d) => (output += String(d)));
      child.on('close', (c) => resolve({ code: c, output }));
    });
    expect(code, output).toBe(0);
    expect(output).toContain('CHECK MODE');
    // the check equals the run: every change predicted, none known only after apply
    expect(output).toMatch(/check == run: (\d+) changes predicted, the same \1 made, none known only after apply/);
    expect(output).not.toMatch(/^unknown /m);
    expect(output).toMatch(/second run: web1 ok=\d+ changed=0 failed=0 \(1 round trips\)/);
    for (const h of ['web1', 'web2', 'web3']) expect(output).toContain(`"Hello from ${h}, converged by converge."`);
  }, 900_000);
});
