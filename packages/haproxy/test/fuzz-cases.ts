// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['haproxy', 'socat'],
  cases: ({ dataDir: D }) => {
    return {
      'haproxy.config': { base: { path: `${D}/haproxy.cfg` }, targets: { path: (v) => ({ path: `${D}/${v}` }), certificates_dir: (v) => ({ certificates_dir: `${D}/${v}` }), service: (v) => ({ service: v }) } },
      'haproxy.server': { base: { backend: 'web', server: 'web1', state: 'drain', socket: `${D}/admin.sock` }, targets: { socket: (v) => ({ socket: `${D}/${v}` }), backend: (v) => ({ backend: v }), server: (v) => ({ server: v }) } },
    };
  },
});
