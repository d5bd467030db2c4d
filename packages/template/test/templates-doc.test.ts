import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { corpusEntries } from './corpus.js';
import { templatesDoc } from './templates-doc.js';

const DOC = join(import.meta.dirname, '../../../docs/templates.md');

describe('docs/templates.md', () => {
  test('lists every corpus entry with its status (generated, cannot drift)', () => {
    const doc = templatesDoc(corpusEntries());
    if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(DOC, doc);
    expect(existsSync(DOC), 'docs/templates.md is missing: CONVERGE_UPDATE_FIXTURES=1 writes it').toBe(true);
    expect(readFileSync(DOC, 'utf8'), 'docs/templates.md is out of date: CONVERGE_UPDATE_FIXTURES=1 rewrites it').toBe(doc);
  });

  test('the corpus covers every builtin of ansible-core 2.14 and Jinja2 3.1 with at least two templates', () => {
    const entries = corpusEntries();
    const names = (kind: string, from: string): Set<string> => new Set(entries.filter((e) => e.kind === kind && e.from === from).map((e) => e.name));
    // ansible-doc -t filter|test|lookup -l (ansible-core 2.14) and jinja2.filters.FILTERS / jinja2.tests.TESTS (3.1).
    const expected: [string, string, string[]][] = [
      ['filter', 'ansible.builtin', 'b64decode b64encode basename bool checksum combinations combine comment dict2items difference dirname expanduser expandvars extract fileglob flatten from_json from_yaml from_yaml_all hash human_readable human_to_bytes intersect items2dict log mandatory md5 password_hash path_join permutations pow product quote random realpath regex_escape regex_findall regex_replace regex_search rekey_on_member relpath root sha1 shuffle split splitext strftime subelements symmetric_difference ternary to_datetime to_json to_nice_json to_nice_yaml to_uuid to_yaml type_debug union unique unvault urldecode urlsplit vault win_basename win_dirname win_splitdrive zip zip_longest'.split(' ')],
      ['test', 'ansible.builtin', 'abs all any change changed contains directory exists failed failure falsy file finished is_abs is_dir is_file is_link is_mount is_same_file isnan issubset issuperset link link_exists match mount nan reachable regex same_file search skip skipped started subset succeeded success successful superset truthy unreachable uri url urn vault_encrypted version version_compare'.split(' ')],
      ['lookup', 'ansible.builtin', 'config csvfile dict env file fileglob first_found indexed_items ini inventory_hostnames items lines list nested password pipe random_choice sequence subelements template together unvault url varnames vars'.split(' ')],
      ['filter', 'jinja2', 'abs attr batch capitalize center count d default dictsort e escape filesizeformat first float forceescape format groupby indent int items join last length list lower map max min pprint random reject rejectattr replace reverse round safe select selectattr slice sort string striptags sum title tojson trim truncate unique upper urlencode urlize wordcount wordwrap xmlattr'.split(' ')],
      ['test', 'jinja2', '!= < <= == > >= boolean callable defined divisibleby eq equalto escaped even false filter float ge greaterthan gt in integer iterable le lessthan lower lt mapping ne none number odd sameas sequence string test true undefined upper'.split(' ')],
      ['statement', 'jinja2', 'for if block extends print macro include from import set with autoescape call filter raw'.split(' ')],
    ];
    for (const [kind, from, list] of expected) {
      const have = names(kind, from);
      expect(list.filter((n) => !have.has(n)), `${kind}s of ${from} without corpus entry`).toEqual([]);
    }
    expect(entries.filter((e) => e.templates.length < 2).map((e) => e.name)).toEqual([]);
  });
});
