// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['mysql', 'mariadb', 'mysqladmin', 'mariadb-admin', 'galera_new_cluster'],
  cases: ({ dataDir: D, secret: pw }) => {
    // loopback addresses only (a peer probe connects to them); timeout 1: the wait for Synced gives up at once
    const db = { name: 'db1', address: '127.0.0.1' };
    const galeraNodes = { node: 'db1', nodes: [db, { name: 'db2', address: '127.0.0.2' }], timeout: 1 };
    return {
      'mariadb.database': { base: { name: 'app' }, targets: { name: (v) => ({ name: v }), encoding: (v) => ({ encoding: v }), collation: (v) => ({ collation: v }) } },
      'mariadb.user': { base: { name: 'app', host: '%', password: pw('pw-app-1') }, targets: { name: (v) => ({ name: v }), host: (v) => ({ host: v }) } },
      'mariadb.grants': { base: { user: 'app', host: '%', privileges: [{ on: 'app.*', privileges: ['SELECT'] }] }, targets: { user: (v) => ({ user: v }), host: (v) => ({ host: v }), 'privileges[0].on': (v) => ({ privileges: [{ on: `${v}.*`, privileges: ['SELECT'] }] }), 'privileges[0].privileges[0]': (v) => ({ privileges: [{ on: 'app.*', privileges: [v] }] }) } },
      'galera.config': { base: { cluster_name: 'prod', cluster_addresses: ['127.0.0.1', '127.0.0.2'], node_name: 'db1', node_address: '127.0.0.1', sst_password: pw('sst-pw-1'), path: `${D}/galera.cnf` }, targets: { cluster_name: (v) => ({ cluster_name: v }), node_name: (v) => ({ node_name: v }), path: (v) => ({ path: `${D}/${v}` }), sst_user: (v) => ({ sst_user: v }) } },
      'galera.bootstrap': { base: galeraNodes, targets: { node: (v) => ({ node: v, nodes: [{ name: v, address: '127.0.0.1' }] }), sst_user: (v) => ({ sst_user: v, sst_password: pw('sst-pw-1') }), 'config[0]': (v) => ({ config: [`${D}/${v}`] }) } },
      'galera.member': { base: galeraNodes, targets: { node: (v) => ({ node: v, nodes: [{ name: v, address: '127.0.0.1' }] }), sst_user: (v) => ({ sst_user: v, sst_password: pw('sst-pw-1') }) } },
      'galera.restart': { base: galeraNodes, targets: { node: (v) => ({ node: v, nodes: [{ name: v, address: '127.0.0.1' }] }) } },
    };
  },
});
