/**
 * Renders every template of `test/fixtures/templates/` with converge and with ansible-core (one
 * ansible-playbook run for all of them, through the same harness as the corpus: the `template`
 * action's rendering, each template with its vars file read by Ansible's own YAML loader) and
 * requires identical bytes; the templates of `errors/` must fail in both, converge naming the
 * variable, file and line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { isConvergeError } from '@converge/core';
import { parseYamlVars, renderTemplate } from '../src/index.js';
import { renderWithAnsible, type OracleResult } from './ansible-oracle.js';

const corpus = resolve(import.meta.dirname, '../../../test/fixtures/templates');
const errorsDir = join(corpus, 'errors');
const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.j2')).map((f) => f.slice(0, -3)).sort();
const okNames = names(corpus);
const errorNames = names(errorsDir);

const hasAnsible = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).status === 0;
if (!hasAnsible && process.env.CI === undefined) {
  console.log('ansible-compat: skipped, ansible-playbook is not on PATH (install ansible-core to compare with Ansible)');
}

function varsText(dir: string, name: string): string {
  const p = join(dir, `${name}.vars.yml`);
  return existsSync(p) ? readFileSync(p, 'utf8') : '{}\n';
}

describe.skipIf(!hasAnsible && process.env.CI === undefined)('templates render as Ansible template module', () => {
  let ansible = new Map<string, OracleResult>();
  beforeAll(async () => {
    if (!hasAnsible) throw new Error('ansible-playbook is not on PATH but CI is set: the Ansible comparison cannot run');
    const cases = [
      ...okNames.map((n) => ({ id: `ok-${n}`, source: readFileSync(join(corpus, `${n}.j2`), 'utf8'), vars: {}, varsYaml: varsText(corpus, n) })),
      ...errorNames.map((n) => ({ id: `error-${n}`, source: readFileSync(join(errorsDir, `${n}.j2`), 'utf8'), vars: {}, varsYaml: varsText(errorsDir, n) })),
    ];
    ansible = await renderWithAnsible(cases, { filesDir: join(corpus, 'files') });
  }, 600_000);

  test('the corpus has at least 40 templates', () => {
    expect(okNames.length).toBeGreaterThanOrEqual(40);
  });

  test.each(okNames)('%s.j2 renders byte-identical to Ansible', (name) => {
    const source = readFileSync(join(corpus, `${name}.j2`), 'utf8');
    const vars = (parseYamlVars(varsText(corpus, name)) ?? {}) as Record<string, unknown>;
    const expected = ansible.get(`ok-${name}`);
    expect(expected, `Ansible rendered nothing for ${name}`).toMatchObject({ ok: true });
    const actual = renderTemplate(source, vars, { file: `${name}.j2`, searchPaths: [corpus] });
    expect(Buffer.from(actual, 'utf8').equals(Buffer.from((expected as { output: string }).output, 'utf8')), `${name}: ${JSON.stringify(actual)}`).toBe(true);
  });

  test.each(errorNames)('errors/%s.j2 fails in Ansible and in converge, naming variable, file and line', (name) => {
    const expectation = parse(readFileSync(join(errorsDir, `${name}.expect.yml`), 'utf8')) as { variable: string; line: number; ansible?: string };
    const result = ansible.get(`error-${name}`);
    expect(result, 'Ansible should have refused the template').toMatchObject({ ok: false, type: 'AnsibleUndefinedVariable' });
    expect((result as { error: string }).error).toContain(expectation.ansible ?? `'${expectation.variable}' is undefined`);

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
