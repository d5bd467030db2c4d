// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['alloy'],
  cases: ({ dataDir: D }) => {
    return {
      'alloy.config': { base: { journal: {}, endpoints: [{ name: 'local', url: 'http://127.0.0.1:3100/loki/api/v1/push' }], path: `${D}/alloy.river`, secrets_dir: `${D}/alloy-secrets` }, targets: { path: (v) => ({ path: `${D}/${v}` }), secrets_dir: (v) => ({ secrets_dir: `${D}/${v}` }), group: (v) => ({ group: v }) } },
    };
  },
});
