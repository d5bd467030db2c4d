import type { CorpusEntry } from './corpus.js';

const TITLES: Record<string, string> = { filter: 'Filters', test: 'Tests', lookup: 'Lookups', statement: 'Statements and syntax' };

function status(e: CorpusEntry): string {
  if (e.exclude !== undefined) return `excluded: ${e.exclude}`;
  if (e.shape !== undefined) return `same shape (${e.reason ?? 'random output'})`;
  return 'byte-identical';
}

/** docs/templates.md, generated from the corpus entries: every filter, test, lookup and statement with its status. */
export function templatesDoc(entries: CorpusEntry[]): string {
  const out = [
    '# Templates: compatibility with ansible-core 2.14',
    '',
    '<!-- Generated from test/fixtures/templates/corpus/ by packages/template/test/templates-doc.test.ts',
    '     (CONVERGE_UPDATE_FIXTURES=1 rewrites it); do not edit by hand. -->',
    '',
    'Every builtin filter, test and lookup of ansible-core 2.14 and every filter, test and statement',
    'of Jinja2 3.1 has templates with edge inputs (empty, unicode, None, nested) in the corpus',
    '`test/fixtures/templates/corpus/`. CI renders each with ansible-core (one ansible-playbook run for',
    'the whole corpus) and with converge, and compares: **byte-identical** output (or the same',
    'failure, with the same key phrase where the entry names one), **same shape** for random or',
    'time-dependent output (the reason is given), **excluded** when it needs the network (the reason',
    'is given). Nothing else is allowed: an entry that differs from Ansible fails CI.',
    '',
  ];
  const counts = (list: CorpusEntry[], s: string): number => list.filter((e) => status(e).startsWith(s)).length;
  out.push('| kind | entries | byte-identical | same shape | excluded |', '| --- | --- | --- | --- | --- |');
  for (const kind of Object.keys(TITLES)) {
    const list = entries.filter((e) => e.kind === kind);
    out.push(`| ${TITLES[kind]!.toLowerCase()} | ${list.length} | ${counts(list, 'byte')} | ${counts(list, 'same')} | ${counts(list, 'excluded')} |`);
  }
  for (const kind of Object.keys(TITLES)) {
    out.push('', `## ${TITLES[kind]!}`, '', '| name | from | templates | status |', '| --- | --- | --- | --- |');
    const list = entries.filter((e) => e.kind === kind).sort((a, b) => a.name.localeCompare(b.name) || a.from.localeCompare(b.from));
    for (const e of list) out.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.from} | ${e.templates.length} | ${status(e).replace(/\|/g, '\\|')} |`);
  }
  return `${out.join('\n')}\n`;
}
