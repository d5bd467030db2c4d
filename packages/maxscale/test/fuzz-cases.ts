// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['maxctrl', 'maxscale'],
  cases: ({ dataDir: D, secret: pw }) => {
    const maxscaleBase = { servers: [{ name: 'db1', address: '127.0.0.21' }], monitor: { user: 'maxscale_monitor', password: pw('monitor-pw-1') }, service: { user: 'maxscale', password: pw('service-pw-1') } };
    return {
      'maxscale.config': { base: { ...maxscaleBase, path: `${D}/maxscale.cnf`, maxctrl_config: `${D}/maxctrl.cnf`, runtime: false }, targets: { path: (v) => ({ path: `${D}/${v}` }), maxctrl_config: (v) => ({ maxctrl_config: `${D}/${v}` }), unit: (v) => ({ unit: v }), group: (v) => ({ group: v }), 'servers[0].name': (v) => ({ servers: [{ name: v, address: '127.0.0.21' }] }) } },
      'maxscale.rest_api': { base: { user: 'ops', password: pw('rest-pw-1'), maxctrl_config: `${D}/maxctrl.cnf` }, targets: { maxctrl_config: (v) => ({ maxctrl_config: `${D}/${v}` }), admin_host: (v) => ({ admin_host: v }), user: (v) => ({ user: v }) } },
    };
  },
});
