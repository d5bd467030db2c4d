// Valid params of this package's modules for the sandboxed fuzz test (test/security/fuzz.test.ts),
// and the programs they call, which the sandbox replaces by stubs that record their argv.
import { defineFuzzCases } from '../../../test/security/fuzz-case.js';

export default defineFuzzCases({
  programs: ['restic', 'ssh-keyscan', 'ssh'],
  cases: ({ dataDir: D, secret: pw }) => {
    const repo = { name: 'local', password: pw('repo-pw-1'), location: { type: 'local', path: `${D}/restic` }, config_dir: `${D}/etc-restic` };
    return {
      'restic.repository': { base: repo, targets: { config_dir: (v) => ({ config_dir: `${D}/${v}` }), 'location.path': (v) => ({ location: { type: 'local', path: `${D}/${v}` } }), name: (v) => ({ name: v }) } },
      'restic.repositories': { base: { repositories: [repo] }, targets: { 'repositories[0].config_dir': (v) => ({ repositories: [{ ...repo, config_dir: `${D}/${v}` }] }), 'repositories[0].location.path': (v) => ({ repositories: [{ ...repo, location: { type: 'local', path: `${D}/${v}` } }] }) } },
      'restic.job': { base: { name: 'data', repository: 'local', paths: [`${D}/src`], config_dir: `${D}/etc-restic` }, targets: { 'paths[0]': (v) => ({ paths: [`${D}/${v}`] }), 'excludes[0]': (v) => ({ excludes: [v] }), 'tags[0]': (v) => ({ tags: [v] }), config_dir: (v) => ({ config_dir: `${D}/${v}` }), on_calendar: (v) => ({ on_calendar: v }), name: (v) => ({ name: v }) } },
      'restic.jobs': { base: { jobs: [{ name: 'data', repository: 'local', paths: [`${D}/src`], config_dir: `${D}/etc-restic` }] }, targets: { 'jobs[0].paths[0]': (v) => ({ jobs: [{ name: 'data', repository: 'local', paths: [`${D}/${v}`], config_dir: `${D}/etc-restic` }] }) } },
      'restic.restore_drill': { base: { repository: 'local', path: `${D}/src`, tag: 'data', config_dir: `${D}/etc-restic`, scratch_dir: `${D}/drill` }, targets: { path: (v) => ({ path: `${D}/${v}` }), tag: (v) => ({ tag: v }), 'excludes[0]': (v) => ({ excludes: [v] }), scratch_dir: (v) => ({ scratch_dir: `${D}/${v}` }), config_dir: (v) => ({ config_dir: `${D}/${v}` }) } },
      'restic.status': { base: { repository: 'local', tag: 'data', config_dir: `${D}/etc-restic` }, targets: { tag: (v) => ({ tag: v }), config_dir: (v) => ({ config_dir: `${D}/${v}` }) } },
    };
  },
});
