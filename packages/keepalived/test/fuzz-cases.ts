// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['keepalived'],
  cases: ({ dataDir: D, secret: pw }) => {
    const vrrp = { name: 'VI_1', state: 'BACKUP', interface: 'lo', virtual_router_id: 7, priority: 100, virtual_ipaddresses: [{ address: '192.0.2.10/24' }] };
    const scaleway = { secret_key: pw('scw-key-1'), zone: 'fr-par-1', ip_id: 'ip-1', server_id: 'srv-1' };
    return {
      'keepalived.config': {
        base: { instances: [vrrp], path: `${D}/keepalived.conf` },
        targets: {
          path: (v) => ({ path: `${D}/${v}` }),
          service: (v) => ({ service: v }),
          'global_defs.extra[0]': (v) => ({ global_defs: { extra: [v] } }),
          'instances[0].interface': (v) => ({ instances: [{ ...vrrp, interface: v }] }),
          'instances[0].notify_master[1]': (v) => ({ instances: [{ ...vrrp, notify_master: ['/usr/local/sbin/hook', v] }] }),
        },
      },
      'keepalived.failover': {
        base: { name: 'vip', provider: 'scaleway', scaleway, script_path: `${D}/failover-hook`, config_dir: `${D}/failover` },
        targets: {
          script_path: (v) => ({ script_path: `${D}/${v}` }),
          config_dir: (v) => ({ config_dir: `${D}/${v}` }),
          name: (v) => ({ name: v }),
          'scaleway.secret_key': (v) => ({ scaleway: { ...scaleway, secret_key: v } }),
        },
      },
    };
  },
});
