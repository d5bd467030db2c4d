// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['promtool', 'amtool', 'prometheus-blackbox-exporter', 'curl'],
  cases: ({ dataDir: D, secret }) => {
    const files = (v: string) => `${D}/${v}`;
    return {
      'prometheus.server': {
        base: { scrape_configs: [{ job_name: 'node', static_configs: [{ targets: ['127.0.0.1:9100'] }] }], path: files('prometheus.yml'), rules_dir: files('rules'), defaults_file: files('prometheus.default'), service: false },
        targets: { path: (v) => ({ path: files(v) }), rules_dir: (v) => ({ rules_dir: files(v) }), 'global.external_labels.site': (v) => ({ global: { external_labels: { site: v } } }) },
      },
      'prometheus.node_exporter': { base: { textfile_dir: files('textfiles'), defaults_file: files('node.default'), service: false }, targets: { textfile_dir: (v) => ({ textfile_dir: files(v) }) } },
      'prometheus.mysqld_exporter': {
        base: { user: 'exporter', password: secret('pw-1'), my_cnf: files('my.cnf'), defaults_file: files('mysqld.default'), service: false },
        targets: { my_cnf: (v) => ({ my_cnf: files(v) }), user: (v) => ({ user: v }) },
      },
      'prometheus.blackbox_exporter': { base: { path: files('blackbox.yml'), defaults_file: files('blackbox.default'), service: false }, targets: { path: (v) => ({ path: files(v) }) } },
      'alertmanager.config': {
        base: { route: { receiver: 'ops' }, receivers: [{ name: 'ops', webhook_configs: [{ url: 'http://127.0.0.1:9099/' }] }], path: files('alertmanager.yml'), defaults_file: files('am.default'), service: false },
        targets: { path: (v) => ({ path: files(v) }), 'receivers[0].name': (v) => ({ route: { receiver: v }, receivers: [{ name: v }] }) },
      },
      'sentry.environment': { base: { dsn: secret('https://k@sentry.example.com/1'), environment: 'production', path: files('sentry.env') }, targets: { path: (v) => ({ path: files(v) }) } },
    };
  },
});
