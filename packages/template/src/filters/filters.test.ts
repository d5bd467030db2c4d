import { describe, expect, test } from 'vitest';
import { renderTemplate } from '../index.js';
import { SECRET_MASK, maskText, secret } from '@converge/core';

const vars = {
  s: 'Hello World',
  nums: [5, 3, 9, 1],
  words: ['banana', 'Apple', 'cherry'],
  users: [
    { name: 'alice', admin: true, uid: 1001 },
    { name: 'bob', admin: false, uid: 999 },
  ],
  d: { a: 1, n: { x: 1 } },
  hosts: ['a', 'b', 'c', 'd', 'e'],
};
const render = (source: string): string => renderTemplate(source, vars, { file: 'filters.j2' });

describe('filters behave as in Ansible 2.14', () => {
  test.each([
    ["{{ 'yes' | bool }} {{ 'off' | bool }} {{ 1 | bool }} {{ 2 | bool }}", 'True False True False'],
    ["{{ '42' | int }} {{ '3.9' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ '0x1A' | int(base=16) }}", '42 3 0 7 26'],
    ["{{ '1.5' | float }} {{ 3 | float }} {{ 'x' | float }}", '1.5 3.0 0.0'],
    ['{{ 2.5 | round }} {{ 3.5 | round }} {{ 3.14159 | round(2) }} {{ 2.1 | round(0, "ceil") }} {{ 7 | round }}', '2.0 4.0 3.14 3.0 7'],
    ["{{ s | lower }}|{{ s | upper }}|{{ 'aBC' | capitalize }}|{{ 'hello big world' | title }}", 'hello world|HELLO WORLD|Abc|Hello Big World'],
    ["{{ s | replace('o', '0') }}|{{ s | replace('o', '0', 1) }}|{{ '  x ' | trim }}|{{ 'x' | center(5) }}|", 'Hell0 W0rld|Hell0 World|x|  x  |'],
    ["{{ s | regex_replace('o(\\\\w)', '0\\\\1') }}|{{ s | regex_search('W\\\\w+') }}|{{ 'a1b22' | regex_findall('\\\\d+') }}", "Hello W0rld|World|['1', '22']"],
    ["{{ 'a,b' | split(',') }} {{ nums | join('-') }} {{ users | map(attribute='name') | join(',') }}", "['a', 'b'] 5-3-9-1 alice,bob"],
    ["{{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | rejectattr('admin') | map(attribute='name') | list }}", "['alice'] ['bob']"],
    ["{{ nums | select('odd') | list }} {{ nums | reject('odd') | list }} {{ nums | map('string') | list }}", "[5, 3, 9, 1] [] ['5', '3', '9', '1']"],
    ["{{ [1, 2, 2, 'A', 'a'] | unique }} {{ [1, 2] | union([2, 3]) }} {{ [1, 2] | intersect([2, 3]) }} {{ [1, 2] | difference([2, 3]) }}", "[1, 2, 'A'] [1, 2, 3] [2] [1]"],
    ['{{ nums | min }} {{ nums | max }} {{ nums | sum }} {{ nums | sort }} {{ words | sort }} {{ words | max }}', "1 9 18 [1, 3, 5, 9] ['Apple', 'banana', 'cherry'] cherry"],
    ["{{ users | sort(attribute='uid') | map(attribute='name') | first }} {{ nums | first }} {{ nums | last }} {{ nums | length }} {{ s | count }}", 'bob 5 1 4 11'],
    ["{{ d | dict2items }} {{ [{'key': 'k', 'value': 1}] | items2dict }}", "[{'key': 'a', 'value': 1}, {'key': 'n', 'value': {'x': 1}}] {'k': 1}"],
    ["{{ d | combine({'n': {'y': 2}}) }} {{ d | combine({'n': {'y': 2}}, recursive=true) }}", "{'a': 1, 'n': {'y': 2}} {'a': 1, 'n': {'x': 1, 'y': 2}}"],
    ["{{ d | to_json }}|{{ 'ü' | to_json }}|{{ [1] | to_nice_json }}", '{"a": 1, "n": {"x": 1}}|"\\u00fc"|[\n    1\n]'],
    ["{{ d | to_yaml }}{{ d | to_nice_yaml }}{{ '{\"a\": [1]}' | from_json }} {{ 'k: yes' | from_yaml }}", "a: 1\nn: {x: 1}\na: 1\nn:\n    x: 1\n{'a': [1]} {'k': True}"],
    ["{{ 'hello' | b64encode }} {{ 'aGVsbG8=' | b64decode }} {{ 'hello' | hash('md5') }} {{ 'hello' | hash }}", 'aGVsbG8= hello 5d41402abc4b2a76b9719d911017c592 aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    ["{{ \"it's\" | quote }} {{ 'safe-1.0' | quote }} {{ '/etc/x.conf' | basename }} {{ '/etc/x.conf' | dirname }}", `'it'"'"'s' safe-1.0 x.conf /etc`],
    ["{{ true | ternary('y', 'n') }} {{ none | ternary('y', 'n', 'z') }} {{ [1, 2] | zip(['a', 'b']) | list }} {{ [1, [2, [3]]] | flatten }} {{ [1] | product(['a']) | list }}", "y z [(1, 'a'), (2, 'b')] [1, 2, 3] [(1, 'a')]"],
    ["{{ '%s-%s' | format('a', 1) }} {{ 'a\\nb' | indent(2) }} {{ 'a\\nb' | indent(2, true) }} {{ 'aaa bbb ccc' | wordwrap(7) }}", 'a-1 a\n  b   a\n  b aaa bbb\nccc'],
    ["{{ -3 | abs }} {{ 'ab' | list }} {{ 42 | string }} {{ 100 | random(seed='host1') }} {{ hosts | random(seed=42) }} {{ [1, 2, 3, 4, 5] | shuffle(seed='s') }}", "3 ['a', 'b'] 42 62 a [1, 2, 3, 5, 4]"],
  ])('%j renders %j', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  test.each([
    ['{{ missing | upper }}'],
    ['{{ missing | length }}'],
    ['{{ nums | join(missing) }}'],
    ['{{ users | selectattr("nokey") | list }}'],
  ])('%j fails on the undefined value', (source) => {
    expect(() => render(source)).toThrow(/is undefined/);
  });
});

describe('vault and unvault keep the clear text masked', () => {
  test('the clear text of unvault is registered as a secret value, so outputs mask it', () => {
    const clear = `db pässword ${Math.random()}`;
    const text = renderTemplate("{{ secret | vault('pw', salt='NaCl') }}", { secret: clear }, { file: 'v.j2' });
    expect(text).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;filter_default\n/);
    expect(maskText(`x ${clear} y`)).toBe(`x ${clear} y`);
    const out = renderTemplate("password={{ v | unvault('pw') }}", { v: text }, { file: 'u.j2' });
    expect(out).toBe(`password=${clear}`);
    expect(maskText(out)).toBe(`password=${SECRET_MASK}`);
  });

  test('a Secret rendered into a template is masked in what is shown', () => {
    const out = renderTemplate('user={{ user }} pass={{ pass }}', { user: 'app', pass: secret('s3cr3t-value') }, { file: 's.j2' });
    expect(out).toBe('user=app pass=s3cr3t-value');
    expect(maskText(out)).toBe(`user=app pass=${SECRET_MASK}`);
  });
});
