/**
 * The YAML emitter against PyYAML with libyaml (`yaml.dump` with Ansible's AnsibleDumper, run once
 * for all cases): the same text for scalars of every style, nesting, flow and block collections,
 * widths, indents and unicode.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { emitYaml, representYaml } from '../src/index.js';

interface Case { value: unknown; flow?: boolean | null; indent?: number; width?: number; sortKeys?: boolean; allowUnicode?: boolean }

const long = 'word '.repeat(30);
const cases: Case[] = [
  ...[null, true, 3, -7, 1.5, 1e-7, 'abc', 'a b', '', 'x\ny', 'x\n', 'x\n\n', '\nx', 'yes', 'no', 'null', '~', '1.0', '010', '08', '0x1f', '2024-01-02', '<<', '=',
    ' lead', 'trail ', 'a: b', 'a #b', '#c', '- x', '-x', '? x', ':x', 'a,b', '[x]', '{x}', "it's", 'say "hi"', 'tab\there', 'back\\slash', '\x01', '\x85', '\u2028',
    'héllo wörld ☃ 🎉', '\ufeffbom', 'a'.repeat(100) + ' ' + 'b'.repeat(10), long, `${long}\n${long}`, `'${long}'`, `"${long}"\t`, '---', '...', '--- x', '|', '>', '@x', '`x', '%x', '!x', '&x', '*x'].map((value) => ({ value })),
  { value: { a: { b: [1, 2, { c: 'deep' }] }, 'x y': null } },
  { value: { a: { b: [1, 2, { c: 'deep' }] }, 'x y': null }, flow: false, indent: 4 },
  { value: [{ name: 'alice', groups: ['wheel', 'dev'], keys: [] }, { name: 'bob', groups: [], keys: {} }], flow: false, indent: 4 },
  { value: [{ name: 'alice', groups: ['wheel', 'dev'] }], flow: null },
  { value: [[1, [2, [3]]], []], flow: null },
  { value: { z: 0, y: 9, x: null }, sortKeys: false, flow: false, indent: 2 },
  { value: { long }, flow: false, indent: 4, width: 50 },
  { value: { long: [long, long] }, flow: true },
  { value: { ['k'.repeat(129)]: 1, ['k'.repeat(128)]: 2, 'multi\nline': 3, '': 4, ['é'.repeat(65)]: 5 }, flow: false },
  { value: { ['k'.repeat(129)]: 1, 'multi\nline': 3, '': 4 }, flow: true },
  { value: ['héllo 🎉', '日本'], allowUnicode: false },
  { value: { list: ['a', ['b', 'c']], map: { k: { k2: 'v' } } }, flow: false },
  { value: ['a', 'b'], flow: true, width: 5 },
  { value: Array.from({ length: 40 }, (_, i) => `item${i}`), flow: null },
  { value: { 'a b': 'c d', 'é': '☃', 'yes': 'no', '1': 1 }, flow: null },
];

const PYTHON = `
import json, sys, yaml
from ansible.parsing.yaml.dumper import AnsibleDumper
out = []
for c in json.load(sys.stdin):
    kw = dict(allow_unicode=c.get('allowUnicode', True), default_flow_style=c.get('flow'))
    for k, n in (('indent', 'indent'), ('width', 'width'), ('sortKeys', 'sort_keys')):
        if k in c: kw[n] = c[k]
    out.append(yaml.dump(c['value'], Dumper=AnsibleDumper, **kw))
json.dump(out, sys.stdout)
`;

const python = spawnSync('/usr/bin/python3', ['-c', 'import yaml, ansible'], { encoding: 'utf8' });
const hasPython = python.status === 0;

describe.skipIf(!hasPython && process.env.CI === undefined)('YAML as ansible-core writes it (PyYAML with libyaml)', () => {
  const run = () => {
    const r = spawnSync('/usr/bin/python3', ['-c', PYTHON], { input: JSON.stringify(cases.map((c) => ({ ...c, flow: c.flow ?? null }))), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  };
  const expected = hasPython ? run() : [];
  test.each(cases.map((c, i) => [JSON.stringify(c).slice(0, 80), i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const node = representYaml(c.value, { defaultFlowStyle: c.flow ?? null, sortKeys: c.sortKeys ?? true });
    expect(emitYaml(node, { indent: c.indent, width: c.width, allowUnicode: c.allowUnicode ?? true })).toBe(expected[i]);
  });
});
