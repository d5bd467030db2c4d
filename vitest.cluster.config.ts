import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:cluster`: the tests that converge a whole cluster (three Galera nodes, the
// reference stack's seven hosts), one file at a time: each keeps a 2-core machine busy.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['packages/*/test/**/*.cluster.test.ts', 'examples/*/*.cluster.test.ts', 'playbooks/*.cluster.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    testTimeout: 1_200_000,
  },
});
