/**
 * Renders every template of `test/fixtures/templates/` with converge and with Ansible's
 * `template` module (ansible-core, run once for the whole corpus) and requires identical bytes;
 * the templates of `errors/` must fail in both, converge naming the variable, file and line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isConvergeError } from '@converge/core';
import { parseYamlVars, renderTemplate } from './index.js';

const corpus = resolve(fileURLToPath(new URL('../../../test/fixtures/templates', import.meta.url)));
const errorsDir = join(corpus, 'errors');
const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.j2')).map((f) => f.slice(0, -3)).sort();
const okNames = names(corpus);
const errorNames = names(errorsDir);

function ansiblePlaybookOnPath(): boolean {
  return spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).status === 0;
}

const hasAnsible = ansiblePlaybookOnPath();
if (!hasAnsible && process.env.CI === undefined) {
  console.log('ansible-compat: skipped, ansible-playbook is not on PATH (install ansible-core to compare with Ansible)');
}

function varsText(dir: string, name: string): string {
  const p = join(dir, `${name}.vars.yml`);
  return existsSync(p) ? readFileSync(p, 'utf8') : '{}\n';
}

function indentYaml(text: string, pad: string): string {
  return text.split('\n').map((l) => (l === '' ? l : pad + l)).join('\n');
}

let work = '';
let ansibleLog = '';

function outputOf(name: string): Buffer | undefined {
  const p = join(work, 'out', name);
  return existsSync(p) ? readFileSync(p) : undefined;
}

describe.skipIf(!hasAnsible && process.env.CI === undefined)('templates render as Ansible template module', () => {
  beforeAll(() => {
    if (!hasAnsible) throw new Error('ansible-playbook is not on PATH but CI is set: the Ansible comparison cannot run');
    work = mkdtempSync(join(tmpdir(), 'converge-ansible-compat-'));
    const tasks: string[] = [];
    const task = (dir: string, name: string, label: string, ignoreErrors: boolean): void => {
      tasks.push(`    - name: ${label} ${name}`);
      tasks.push('      ansible.builtin.template:');
      tasks.push(`        src: ${JSON.stringify(join(dir, `${name}.j2`))}`);
      tasks.push(`        dest: ${JSON.stringify(join(work, 'out', name))}`);
      if (ignoreErrors) tasks.push('      ignore_errors: true');
      const text = varsText(dir, name);
      if (text.trimStart().startsWith('{')) tasks.push(`      vars: ${text.trim()}`);
      else tasks.push('      vars:', indentYaml(text, '        '));
    };
    for (const n of okNames) task(corpus, n, 'render', false);
    for (const n of errorNames) task(errorsDir, n, 'error', true);
    const playbook = ['- hosts: localhost', '  connection: local', '  gather_facts: false', '  tasks:', `    - ansible.builtin.file: {path: ${JSON.stringify(join(work, 'out'))}, state: directory}`, ...tasks, ''].join('\n');
    writeFileSync(join(work, 'playbook.yml'), playbook);
    const env = {
      ...process.env,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOME: join(work, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      ANSIBLE_LOCALHOST_WARNING: 'false',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
    };
    try {
      ansibleLog = execFileSync('ansible-playbook', ['-i', 'localhost,', join(work, 'playbook.yml')], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      throw new Error(`ansible-playbook failed:\n${String((e as { stdout?: string }).stdout ?? e)}`);
    }
  });

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  test('the corpus has at least 40 templates', () => {
    expect(okNames.length).toBeGreaterThanOrEqual(40);
  });

  test.each(okNames)('%s.j2 renders byte-identical to Ansible', (name) => {
    const source = readFileSync(join(corpus, `${name}.j2`), 'utf8');
    const vars = (parseYamlVars(varsText(corpus, name)) ?? {}) as Record<string, unknown>;
    const expected = outputOf(name);
    expect(expected, `Ansible wrote no output for ${name}`).toBeDefined();
    const actual = Buffer.from(renderTemplate(source, vars, { file: `${name}.j2`, searchPaths: [corpus] }), 'utf8');
    expect(actual.toString('utf8')).toBe(expected!.toString('utf8'));
    expect(actual.equals(expected!)).toBe(true);
  });

  test.each(errorNames)('errors/%s.j2 fails in Ansible and in converge, naming variable, file and line', (name) => {
    const expectation = parse(readFileSync(join(errorsDir, `${name}.expect.yml`), 'utf8')) as { variable: string; line: number; ansible?: string };
    expect(outputOf(name), 'Ansible should not have written a file').toBeUndefined();
    const section = ansibleLog.slice(ansibleLog.indexOf(`TASK [error ${name}]`));
    const fatal = /fatal: .*$/m.exec(section)?.[0] ?? '';
    expect(fatal).toContain('AnsibleUndefinedVariable');
    expect(fatal).toContain(expectation.ansible ?? `'${expectation.variable}' is undefined`);

    const source = readFileSync(join(errorsDir, `${name}.j2`), 'utf8');
    const vars = (parseYamlVars(varsText(errorsDir, name)) ?? {}) as Record<string, unknown>;
    let error: unknown;
    try {
      renderTemplate(source, vars, { file: `${name}.j2` });
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error)).toBe(true);
    const ce = error as { code: string; message: string; location?: { file: string; line?: number } };
    expect(ce.code).toBe('CONVERGE_TEMPLATE');
    expect(ce.message).toContain(`template ${name}.j2:${expectation.line}: '${expectation.variable}' is undefined`);
    expect(ce.location).toMatchObject({ file: `${name}.j2`, line: expectation.line });
  });
});
