// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['exportfs', 'showmount', 'mount', 'mount.nfs', 'umount', 'mountpoint', 'findmnt', 'rpcinfo'],
  cases: ({ dataDir: D }) => {
    return {
      'nfs.exports': { base: { name: 'shared', exports: [{ path: `${D}/shared`, clients: [{ host: '10.0.0.0/24' }] }] }, targets: { name: (v) => ({ name: v }), 'exports[0].path': (v) => ({ exports: [{ path: `${D}/${v}`, clients: [{ host: '10.0.0.0/24' }] }] }), 'exports[0].clients[0].host': (v) => ({ exports: [{ path: `${D}/shared`, clients: [{ host: v }] }] }) } },
      'nfs.ganesha': {
        base: { exports: [{ export_id: 1, path: `${D}/ganesha`, clients: [{ clients: ['10.0.0.0/24'], access_type: 'RW' }] }], path: `${D}/ganesha.conf`, log_file: `${D}/ganesha.log`, pid_file: `${D}/ganesha.pid` },
        targets: {
          path: (v) => ({ path: `${D}/${v}` }),
          log_file: (v) => ({ log_file: `${D}/${v}` }),
          pid_file: (v) => ({ pid_file: `${D}/${v}` }),
          'exports[0].path': (v) => ({ exports: [{ export_id: 1, path: `${D}/${v}`, clients: [{ clients: ['10.0.0.0/24'] }] }] }),
          'exports[0].clients[0].clients[0]': (v) => ({ exports: [{ export_id: 1, path: `${D}/ganesha`, clients: [{ clients: [v] }] }] }),
        },
      },
      'nfs.mount': { base: { path: `${D}/mnt`, src: 'nfs1:/srv/shared', state: 'mounted' }, targets: { path: (v) => ({ path: `${D}/${v}` }), src: (v) => ({ src: `nfs1:/srv/${v}` }) } },
    };
  },
});
