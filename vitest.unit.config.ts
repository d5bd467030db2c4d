import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import main from './vitest.config.ts';

// The unit tests: the main suite less the files that need a container, an sshd or an Ansible
// program (`*.int.test.ts`, and any test file that starts test hosts, an sshd or ansible).
// scripts/test.sh runs them on Node 24 beside the main suite on the machine's Node.
const OTHER_PROGRAMS = /startHosts|startSshd|testcontainers|ansible-playbook|ansible-inventory|['"]ansible|docker|\bsshd\b/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const integration = ['packages', 'test'].flatMap(testFiles).filter((f) => f.endsWith('.int.test.ts') || OTHER_PROGRAMS.test(readFileSync(f, 'utf8')));

export default mergeConfig(main, defineConfig({ test: { exclude: integration } }));
