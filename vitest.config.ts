import { configDefaults, defineConfig } from 'vitest/config';
import { sourceAliases, workspacePackages } from './scripts/workspace.mjs';

// Every workspace package runs from its TypeScript sources: the aliases come from the packages'
// manifests (scripts/workspace.mjs), so a new package needs no entry here.
export default defineConfig({
  resolve: { alias: sourceAliases(workspacePackages()) },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'playbooks/*.test.ts'],
    // Multi-node cluster tests run on their own, one file at a time: vitest.cluster.config.ts.
    exclude: [...configDefaults.exclude, '**/*.cluster.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
  },
});
