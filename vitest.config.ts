import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      // Subpath entries first: an alias also matches `<key>/...`.
      '@converge/core/lean': fileURLToPath(new URL('./packages/core/src/lean.ts', import.meta.url)),
      '@converge/core': pkg('core'),
      '@converge/inventory': pkg('inventory'),
      '@converge/template': pkg('template'),
      '@converge/engine': pkg('engine'),
      '@converge/ssh': pkg('ssh'),
      '@converge/modules': pkg('modules'),
      '@converge/cli': pkg('cli'),
      '@converge/testing': pkg('testing'),
      '@converge/haproxy': pkg('haproxy'),
      '@converge/nfs': pkg('nfs'),
      '@converge/loki-agent': pkg('loki-agent'),
      '@converge/mariadb-galera': pkg('mariadb-galera'),
      '@converge/restic-backup': pkg('restic-backup'),
      '@converge/maxscale': pkg('maxscale'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Multi-node cluster tests run on their own, one file at a time: vitest.cluster.config.ts.
    exclude: [...configDefaults.exclude, '**/*.cluster.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
  },
});
