import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Renders many templates with ansible-core in ONE ansible-playbook run: one task calls the
 * harness lookup `ansible-plugins/converge_corpus.py`, which renders every template as the
 * `template` action does (same Templar, environment, search path and do_template call) with the
 * template's own variables on top of the play's, so `{{ }}` in variables is templated lazily as
 * for task vars, and records each output or error.
 */

/** What Ansible made of one template: its output, or its error message. */
export type OracleResult = { ok: true; output: string } | { ok: false; error: string; /** The exception class, e.g. `AnsibleUndefinedVariable`. */ type?: string; /** The template line of the error, when Jinja2 tells it. */ line?: number | null };

/** One template to render: a file name (unique), its source and its variables. */
export interface OracleCase {
  id: string;
  source: string;
  vars: Record<string, unknown>;
  /** The variables as JSON for Python, when plain JSON would lose something (whole-number floats). */
  varsJson?: string;
  /** The variables as YAML text, read by Ansible's own loader instead of `vars` (a vars file). */
  varsYaml?: string;
}

const run = promisify(execFile);
const PLUGINS = join(import.meta.dirname, 'ansible-plugins');

/**
 * Renders `cases` with ansible-playbook; `filesDir` is copied to the play's `files/` (for the
 * file-reading lookups) and `extraVars` become play vars (strings only, for magic-variable cases).
 *
 * @throws Error with ansible-playbook's output when the run itself fails.
 */
export async function renderWithAnsible(cases: OracleCase[], options: { filesDir?: string; inventory?: string } = {}): Promise<Map<string, OracleResult>> {
  const work = mkdtempSync(join(tmpdir(), 'converge-template-oracle-'));
  try {
    mkdirSync(join(work, 'templates'));
    if (options.filesDir && existsSync(options.filesDir)) cpSync(options.filesDir, join(work, 'files'), { recursive: true });
    for (const c of cases) writeFileSync(join(work, 'templates', `${c.id}.j2`), c.source);
    const spec = {
      dir: join(work, 'templates'),
      base: work,
      out: join(work, 'results.json'),
      cases: cases.map((c) => (c.varsYaml !== undefined ? { id: c.id, yaml: c.varsYaml } : { id: c.id, vars: c.varsJson ?? JSON.stringify(c.vars) })),
    };
    writeFileSync(join(work, 'spec.json'), JSON.stringify(spec));
    const lines = [
      '- hosts: localhost',
      '  connection: local',
      '  gather_facts: false',
      '  tasks:',
      `    - debug: {msg: "{{ lookup('converge_corpus', '${join(work, 'spec.json')}') }}"}`,
      '',
    ];
    writeFileSync(join(work, 'playbook.yml'), lines.join('\n'));
    const env = {
      ...process.env,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOME: join(work, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
      ANSIBLE_CONFIG: join(work, 'none.cfg'),
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      ANSIBLE_LOCALHOST_WARNING: 'false',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_DISPLAY_OK_HOSTS: 'false',
      ANSIBLE_DEPRECATION_WARNINGS: 'false',
      ANSIBLE_LOOKUP_PLUGINS: PLUGINS,
    };
    try {
      await run('ansible-playbook', ['-i', options.inventory ?? 'localhost,', join(work, 'playbook.yml')], { env, cwd: work, maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
      throw new Error(`ansible-playbook failed:\n${String((e as { stdout?: string }).stdout ?? e)}\n${String((e as { stderr?: string }).stderr ?? "")}`);
    }
    const results = JSON.parse(readFileSync(join(work, 'results.json'), 'utf8')) as Record<string, OracleResult>;
    return new Map(Object.entries(results));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
