import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Renders many templates with ansible-core in ONE ansible-playbook run: a single looped `debug`
 * task evaluates `lookup('template', ...)` (the same Templar.do_template as the template module,
 * with convert_data=False as the module uses) for each template with its own variables, errors
 * ignored, and one `copy` writes every result as JSON. Per-template variables are passed as
 * `!unsafe` JSON strings and decoded inside the lookup call, so Ansible templates their `{{ }}`
 * lazily in the template's context, as it does for task vars.
 */

/** What Ansible made of one template: its output, or its error message. */
export type OracleResult = { ok: true; output: string } | { ok: false; error: string };

/** One template to render: a file name (unique), its source and its variables. */
export interface OracleCase {
  id: string;
  source: string;
  vars: Record<string, unknown>;
}

const run = promisify(execFile);

function unsafe(s: string): string {
  return `!unsafe ${JSON.stringify(s)}`;
}

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
    const lines = [
      '- hosts: localhost',
      '  connection: local',
      '  gather_facts: false',
      '  vars:',
      '    corpus_vars:',
      ...cases.map((c) => `      ${JSON.stringify(c.id)}: ${unsafe(JSON.stringify(c.vars))}`),
      '  tasks:',
      '    - name: render',
      '      debug:',
      `        msg: "{{ lookup('template', 'templates/' ~ item ~ '.j2', template_vars=(corpus_vars[item] | from_json), convert_data=False) }}"`,
      `      loop: ${JSON.stringify(cases.map((c) => c.id))}`,
      '      loop_control: {label: "{{ item }}"}',
      '      ignore_errors: true',
      '      register: rendered',
      '    - copy:',
      `        dest: ${JSON.stringify(join(work, 'results.json'))}`,
      `        content: "{{ rendered.results | map(attribute='msg') | zip(rendered.results | map(attribute='failed', default=False)) | list | to_json }}"`,
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
    };
    try {
      await run('ansible-playbook', ['-i', options.inventory ?? 'localhost,', join(work, 'playbook.yml')], { env, cwd: work, maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
      throw new Error(`ansible-playbook failed:\n${String((e as { stdout?: string }).stdout ?? e)}`);
    }
    const pairs = JSON.parse(readFileSync(join(work, 'results.json'), 'utf8')) as [string, boolean][];
    const out = new Map<string, OracleResult>();
    cases.forEach((c, i) => {
      const [msg, failed] = pairs[i]!;
      out.set(c.id, failed ? { ok: false, error: String(msg) } : { ok: true, output: String(msg) });
    });
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
