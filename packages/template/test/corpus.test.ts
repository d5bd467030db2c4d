/**
 * The template compatibility corpus rendered by ansible-core (one ansible-playbook run for all of
 * it) and by converge: byte-identical output, the same failures, random output of the same shape.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { PyFloat, parseYamlVars, renderTemplate } from '../src/index.js';
import { formatPyFloat } from '../src/python-value.js';
import { CORPUS_DIR, corpusCases, corpusEntries, corpusVarsText } from './corpus.js';
import { renderWithAnsible, type OracleResult } from './ansible-oracle.js';

// The env lookup's corpus reads this variable (Ansible's run inherits the environment).
process.env.CONVERGE_CORPUS_ENV = 'é value';

const hasAnsible = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;
const entries = corpusEntries();
const cases = corpusCases(entries, parseYamlVars(corpusVarsText()) as Record<string, unknown>);
const compared = cases.filter((c) => c.entry.exclude === undefined);

/** JSON for Python's json.loads that keeps whole-number floats floats (`5.0`). */
function pyJson(v: unknown): string {
  if (v instanceof PyFloat) return formatPyFloat(v.value).replace(/^(-?)inf$/, '$1Infinity').replace(/^nan$/, 'NaN');
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
  return JSON.stringify(v) ?? 'null';
}

function converge(source: string, vars: Record<string, unknown>): OracleResult {
  try {
    return { ok: true, output: renderTemplate(source, vars, { file: 'corpus.j2', searchPaths: [join(CORPUS_DIR, 'files'), CORPUS_DIR] }) };
  } catch (e) {
    return { ok: false, error: (e as Error).message, line: (e as { location?: { line?: number } }).location?.line ?? null };
  }
}

test('corpus ids are unique (each names one template file of the Ansible run)', () => {
  const ids = cases.map((c) => c.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
});

describe.skipIf(!hasAnsible && process.env.CI === undefined)('the template corpus renders as ansible-core renders it', () => {
  let ansible = new Map<string, OracleResult>();
  beforeAll(async () => {
    if (!hasAnsible) throw new Error('ansible-playbook is not on PATH but CI is set: the Ansible comparison cannot run');
    ansible = await renderWithAnsible(compared.map((c) => ({ id: c.id, source: c.source, vars: c.vars, varsJson: pyJson(c.vars) })), { filesDir: join(CORPUS_DIR, 'files') });
    // A report of every difference, for working on the corpus: CONVERGE_CORPUS_REPORT=file.json.
    const report = process.env.CONVERGE_CORPUS_REPORT;
    if (report) {
      const diffs = compared.map((c) => ({ id: c.id, source: c.source, ansible: ansible.get(c.id), converge: converge(c.source, c.vars) })).filter((d) => JSON.stringify(d.ansible) !== JSON.stringify(d.converge));
      writeFileSync(report, JSON.stringify(diffs, null, 1));
    }
  }, 600_000);

  test.each(compared.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const expected = ansible.get(c.id)!;
    const actual = converge(c.source, c.vars);
    if (!expected.ok) {
      expect(actual.ok, `Ansible refuses ${c.id}: ${expected.error}`).toBe(false);
      // Every refusal is deliberate: the entry names the key phrase of Ansible's message.
      expect(c.entry.error, `Ansible refuses ${c.id} (${expected.error}): the entry must name the key phrase as error:`).toBeDefined();
      expect(expected.error).toContain(c.entry.error);
      expect(actual.ok ? '' : actual.error).toContain(c.entry.error);
      // A syntax error names the line Jinja2 names.
      if (typeof expected.line === 'number' && expected.line > 0) expect(actual.ok ? null : actual.line, `line of ${c.id}`).toBe(expected.line);
      return;
    }
    expect(actual).toEqual(expect.objectContaining({ ok: true }));
    if (c.entry.shape !== undefined) {
      const re = new RegExp(`^(?:${c.entry.shape})$`, 's');
      expect(expected.output).toMatch(re);
      expect((actual as { output: string }).output).toMatch(re);
    } else {
      expect((actual as { output: string }).output).toBe(expected.output);
    }
  });
});
