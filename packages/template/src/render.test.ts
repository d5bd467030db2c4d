import { compileCount } from './compile-cache.js';
import { describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConvergeError } from '@converge/core';
import { PyFloat, evaluateExpression, isTemplated, registerLookup, renderString, renderTemplate } from './index.js';
import { pnpmLayout } from '../../../test/support/pnpm-layout.js';

const render = (source: string, vars: Record<string, unknown> = {}): string => renderTemplate(source, vars, { file: 't.j2' });

function failure(source: string, vars: Record<string, unknown> = {}): { code: string; message: string; location?: unknown } {
  try {
    render(source, vars);
  } catch (e) {
    if (isConvergeError(e)) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}

describe('whitespace and trailing newlines follow Ansible (C-07, C-08)', () => {
  test.each([
    ['a {{ x }}\n', 'a hi\n'],
    ['a {{ x }}', 'a hi'],
    ['a {{ x }}\n\n', 'a hi\n\n'],
    ['', ''],
    ['\n\n', '\n\n'],
    ['{% if false %}x{% endif %}\n', '\n'],
    ['{% if false %}x{% endif %}', ''],
    ['a\n{% if true %}\nb\n{% endif %}\n', 'a\nb\n'],
    ['a\n{% if true %}\nb\n{% endif %}', 'a\nb\n'],
    ['a\n{% if true %}\nb\n{% endif %}\n\n\n', 'a\nb\n\n\n'],
    ['{{ nl }}', 'x\n'],
    ['{{ nl }}\n', 'x\n'],
    ['a\r\nb\r\n', 'a\nb\n'],
    ['{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n', '  1\n  2\n'],
    ['  {% if true %}\nx\n  {% endif %}\n', '  x\n  \n'],
    ["{{ {'a': {'b': 1}} }}", "{'a': {'b': 1}}"],
    ['a {%- if true -%}   b   {%- endif -%} c\n', 'abc\n'],
    ['a\n{# comment #}\nb\n', 'a\nb\n'],
    ['{% raw %}{{ x }}{% endraw %}\nz\n', '{{ x }}z\n'],
  ])('%j renders %j', (source, expected) => {
    expect(render(source, { x: 'hi', nl: 'x\n' })).toBe(expected);
  });
});

describe('undefined variables are errors naming the variable, file and line (C-09)', () => {
  test.each([
    ['line1\n{{ port }}\n', "template t.j2:2: 'port' is undefined", 2],
    ['{% if flag %}x{% endif %}', "template t.j2:1: 'flag' is undefined", 1],
    ['\n\n{% for i in items %}{{ i }}{% endfor %}', "template t.j2:3: 'items' is undefined", 3],
    ["{{ d.b }}", "template t.j2:1: 'd.b' is undefined: 'dict object' has no attribute 'b'", 1],
    ["{{ d['b'] }}", "template t.j2:1: 'd.b' is undefined: 'dict object' has no attribute 'b'", 1],
    ['{{ name | upper }}', "template t.j2:1: 'name' is undefined", 1],
    ['{{ a.b.c }}', "template t.j2:1: 'a.b.c' is undefined: 'a' is undefined", 1],
    ['{{ x + 1 }}', "template t.j2:1: 'x' is undefined", 1],
    ['{{ x ~ "a" }}', "template t.j2:1: 'x' is undefined", 1],
    ['{% if x == 1 %}{% endif %}', "template t.j2:1: 'x' is undefined", 1],
    ['{{ "a" in x }}', "template t.j2:1: 'x' is undefined", 1],
    ['{{ f() }}', "template t.j2:1: 'f' is undefined", 1],
    ['{{ x | mandatory }}', "template t.j2:1: Mandatory variable 'x'  not defined.", 1],
    ['{% set y = x %}{{ y }}', "template t.j2:1: 'x' is undefined", 1],
  ])('%j fails with %j', (source, message, line) => {
    const e = failure(source, { d: { a: 1 } });
    expect(e.code).toBe('CONVERGE_TEMPLATE');
    expect(e.message).toBe(message);
    expect(e.location).toMatchObject({ file: 't.j2', line });
  });

  test.each([
    ['{{ x is defined }}', 'False'],
    ['{{ x is undefined }}', 'True'],
    ['{{ x is not defined }}', 'True'],
    ['{{ d.nokey is defined }}', 'False'],
    ['{{ a.b.c is defined }}', 'False'],
    ['{{ x | default("dflt") }}', 'dflt'],
    ['{{ x | d(5) }}', '5'],
    ['{{ e | default("e", true) }}', 'e'],
    ['{{ e | default("e") }}', ''],
    ['{{ d.nokey | default(1) }}', '1'],
    ['{% if x is defined and x %}yes{% else %}no{% endif %}', 'no'],
    ['{{ x if x is defined else "fallback" }}', 'fallback'],
  ])('%j is allowed and renders %j', (source, expected) => {
    expect(render(source, { d: { a: 1 }, e: '' })).toBe(expected);
  });
});

describe('values render as Python would', () => {
  test.each([
    ['{{ v }}', true, 'True'],
    ['{{ v }}', false, 'False'],
    ['{{ v }}', null, ''],
    ['{{ [v] }}', null, '[None]'],
    ['{{ v }}', ['a', 1, true, null], "['a', 1, True, None]"],
    ['{{ v }}', { a: 1, b: 'x' }, "{'a': 1, 'b': 'x'}"],
    ['{{ v }}', new PyFloat(1), '1.0'],
    ['{{ v }}', 0.1, '0.1'],
    ['{{ v }}', 1e16, '10000000000000000'],
    ['{{ v | float }}', 1e16, '1e+16'],
    ['{{ v }}', 1.5e-7, '1.5e-07'],
    ['{{ v }}', ["it's", 'say "hi"', 'both \' "', 'back\\slash', 'nl\n', 'ü'], `["it's", 'say "hi"', 'both \\' "', 'back\\\\slash', 'nl\\n', 'ü']`],
    ['{{ v.items() | list }}', { a: 1 }, "[('a', 1)]"],
    ['{{ 10 / 4 }} {{ 10 / 5 }} {{ 7 // 2 }} {{ 2 ** 3 }} {{ 1.5 + 1.5 }}', null, '2.5 2.0 3 8 3.0'],
  ])('%j with %j renders %j', (source, v, expected) => {
    expect(render(source, { v })).toBe(expected);
  });
});

describe('Jinja2 syntax and Python methods', () => {
  test.each([
    ['{{ "a" ~ 1 ~ none }}', 'a1None'],
    ['{% for i in l %}{{ loop.index }}{{ i }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %} {% endfor %}', '1xF 2yL '],
    ['{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}', 'a=1;b=2;'],
    ['{% for k in d %}{{ k }}{% endfor %}', 'ab'],
    ['{{ d.keys() | list }} {{ d.values() | list }} {{ d.get("z", 0) }} {{ d.get("a") }}', "['a', 'b'] [1, 2] 0 1"],
    ['{{ s.startswith("He") }} {{ s.split() }} {{ "  x ".strip() }} {{ s.upper() }} {{ s.split("l", 1) }}', "True ['Hello', 'World'] x HELLO WORLD ['He', 'lo World']"],
    ['{{ "%s:%05d" % (s, 42) }} {{ "%.2f" % 3.14159 }} {{ "%(a)s" % {"a": 1} }}', 'Hello World:00042 3.14 1'],
    ['{% set x = 3 %}{{ x * 2 }}', '6'],
    ['{{ "yes" if [] else "no" }} {{ "yes" if {} else "no" }} {{ "yes" if [0] else "no" }}', 'no no yes'],
    ['{{ n is none }} {{ s is string }} {{ 1 is number }} {{ d is mapping }} {{ l is sequence }} {{ l is iterable }} {{ "x" in l }} {{ "a" in d }}', 'True True True True True True True True'],
    ['{{ l[0] }} {{ l.1 }} {{ l[-1] }} {{ s[1:3] }} {{ l[::-1] }}', "x y y el ['y', 'x']"],
    ['{{ {"k": l} }}', "{'k': ['x', 'y']}"],
    ['{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, b=3) }}', '1-2 1-3'],
    ['{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ [1, 2] == [1, 2] }}', 'True False True True'],
    ['{{ x and y }} {{ x or y }} {{ not x }}', '0 1 True'],
    ['{{ range(3) | list }} {{ dict(a=1) }}', "[0, 1, 2] {'a': 1}"],
  ])('%j renders %j', (source, expected) => {
    expect(render(source, { d: { a: 1, b: 2 }, s: 'Hello World', l: ['x', 'y'], n: null, x: 0, y: 1 })).toBe(expected);
  });
});

describe('variables and includes', () => {
  test('variables holding {{ }} are rendered lazily, as Ansible does', () => {
    expect(render('{{ url }}', { host: 'h', url: 'https://{{ host }}/', unused: '{{ missing }}' })).toBe('https://h/');
  });

  test('a variable referring to itself is an error, not a hang', () => {
    expect(failure('{{ a }}', { a: '{{ a }}' }).message).toMatch(/recursive loop/);
  });

  test('include and import find templates in the search paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-tpl-'));
    writeFileSync(join(dir, 'part.j2'), 'part {{ x }}\n');
    writeFileSync(join(dir, 'macros.j2'), '{% macro hello(n) %}hello {{ n }}{% endmacro %}');
    const out = renderTemplate('{% include "part.j2" %}\n{% import "macros.j2" as m %}{{ m.hello(x) }}\n', { x: 1 }, { file: join(dir, 'main.j2') });
    // Jinja2 drops the included file's final newline, and trim_blocks the one after the tag.
    expect(out).toBe('part 1hello 1\n');
  });

  test('a syntax error names the file and line', () => {
    const e = failure('ok\n{% if %}\n');
    expect(e.code).toBe('CONVERGE_TEMPLATE');
    expect(e.message).toMatch(/^template t\.j2:2: /);
  });
});

describe('renderString, evaluateExpression, isTemplated', () => {
  test.each([
    ['plain text', 'plain text'],
    ['{{ port }}', '8080'],
    ['{{ flag }}', 'True'],
    ['{{ list }}', "['a', 'b']"],
    ['port={{ port }}\n', 'port=8080\n'],
  ])('renderString(%j) is %j', (source, expected) => {
    expect(renderString(source, { port: 8080, flag: true, list: ['a', 'b'] })).toBe(expected);
  });

  test.each([
    ["os == 'debian'", true],
    ['port | int > 1024', true],
    ['items | length', 2],
    ["items + ['c']", ['a', 'b', 'c']],
    ['missing is defined', false],
    ['none_var', null],
    ["{'a': port}", { a: '8080' }],
    ['10 / 5', 2],
  ])('evaluateExpression(%j) is %j', (expr, expected) => {
    expect(evaluateExpression(expr, { os: 'debian', port: '8080', items: ['a', 'b'], none_var: null })).toEqual(expected);
  });

  test('evaluateExpression of an undefined variable throws CONVERGE_TEMPLATE', () => {
    expect(() => evaluateExpression('missing == 1', {})).toThrow(/'missing' is undefined/);
  });

  test.each([
    ['{{ x }}', true],
    ['{% if x %}{% endif %}', true],
    ['{# c #}', true],
    ['plain { text }', false],
    ['', false],
  ])('isTemplated(%j) is %j', (s, expected) => {
    expect(isTemplated(s)).toBe(expected);
  });
});

describe('loop filters, loop attributes, namespace() and lookups (Jinja2/Ansible)', () => {
  test('a loop filter counts only the kept items; loop.cycle, previtem and nextitem follow', () => {
    expect(render('{% for x in xs if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ loop.cycle("a", "b") }}{{ loop.previtem | default("-") }} {% endfor %}', { xs: [1, 2, 3] })).toBe('1/2a- 2/2b2 ');
  });

  test('only a namespace takes attribute assignment, with the line of the set', () => {
    expect(render('{% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}{{ ns.n }}')).toBe('2');
    const f = failure('\n{% set x = 1 %}{% set x.y = 2 %}');
    expect(f.message).toMatch(/t\.j2:2: cannot assign attribute on non-namespace object/);
  });

  test('an unknown lookup plugin is an error naming it; a registered one is called with its terms', () => {
    expect(failure("{{ lookup('nosuch', 'a') }}").message).toMatch(/lookup plugin \(nosuch\) not found/);
    registerLookup('test_upper', (terms) => terms.map((t) => String(t).toUpperCase()));
    expect(render("{{ lookup('test_upper', 'a', 'b') }} {{ query('test_upper', 'c') }}")).toBe("A,B ['C']");
    expect(failure("{{ lookup('file', 'no-such-file.txt') }}").message).toMatch(/could not locate file in lookup: no-such-file.txt/);
    expect(render("[{{ lookup('file', 'no-such-file.txt', errors='ignore') }}]")).toBe('[]');
  });
});

describe('undefined names are told to the caller (onUndefinedName)', () => {
  test.each([
    { source: '{{ result.stdout }}', vars: {}, names: ['result'], fails: true },
    { source: "{{ 'yes' if result is defined else 'no' }}", vars: {}, names: ['result'], fails: false },
    { source: '{{ conf }}', vars: { conf: '/etc/{{ app }}.conf' }, names: ['app'], fails: true },
    { source: '{{ port }} {{ item | default(1) }}', vars: { port: 80 }, names: ['item'], fails: false },
    { source: '{% for x in xs %}{{ x }}{% endfor %}', vars: { xs: [1] }, names: [], fails: false },
  ])('$source -> $names', ({ source, vars, names, fails }) => {
    const seen: string[] = [];
    const run = () => renderTemplate(source, vars, { file: 't.j2', onUndefinedName: (n) => seen.push(n) });
    if (fails) expect(run).toThrow(/is undefined/);
    else run();
    expect(seen).toEqual(names);
    // Without a listener of its own, a later render tells nobody.
    expect(() => render('{{ nothing | default(1) }}')).not.toThrow();
    expect(seen).toEqual(names);
  });

  test('also by evaluateExpression', () => {
    const seen: string[] = [];
    expect(evaluateExpression('port | int > 1 and app is not defined', { port: '80' }, { onUndefinedName: (n) => seen.push(n) })).toBe(true);
    expect(() => evaluateExpression('result.rc == 0', {}, { onUndefinedName: (n) => seen.push(n) })).toThrow(/'result' is undefined/);
    expect(seen).toEqual(['app', 'result']);
  });
});

describe('compiled templates stay cached', () => {
  test('a second render of a template, with other vars, compiles nothing; a changed source compiles once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-template-cache-'));
    writeFileSync(join(dir, 'part.j2'), 'part {{ x }}\n');
    const source = `{% include 'part.j2' %}main {{ x }} ${Math.random()}\n`;
    renderTemplate(source, { x: 1 }, { file: 'cache.j2', searchPaths: [dir] });
    const before = compileCount();
    expect(renderTemplate(source, { x: 2 }, { file: 'cache.j2', searchPaths: [dir] })).toMatch(/^part 2main 2 /);
    expect(compileCount()).toBe(before);
    writeFileSync(join(dir, 'part.j2'), 'changed {{ x }}\n');
    expect(renderTemplate(source, { x: 3 }, { file: 'cache.j2', searchPaths: [dir] })).toMatch(/^changed 3main 3 /);
    expect(compileCount()).toBe(before + 1);
    renderTemplate(`${source}more\n`, { x: 3 }, { file: 'cache.j2', searchPaths: [dir] });
    expect(compileCount()).toBe(before + 2);
  });
});

describe('file tests leave module loading alone', () => {
  test('"is exists" on a socket, then a require() through a symlinked node_modules (pnpm) still finds its dependencies', async () => {
    // Node's realpathSync reads the buffer of the last synchronous stat for cached paths; a
    // socket there made require() stop resolving links (nodejs/node#51142).
    const root = mkdtempSync(join(tmpdir(), 'converge-stat-'));
    const sock = join(root, 'sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const { load } = pnpmLayout(root);
      expect(render('{{ p is exists }} {{ p is file }}', { p: sock })).toBe('True False');
      expect(load('lib')).toBe(42);
    } finally {
      server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
