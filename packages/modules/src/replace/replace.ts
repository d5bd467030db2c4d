import { defineModule, expandPythonTemplate, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { attributeParams, validateAttributes } from '../file/file-attributes.js';
import { compilePythonRegex, mustCompilePythonRegex } from '../file/python-regex.js';
import { applyTextEdit, editFacts, editWriteParams, planTextEdit } from '../file/text-edit.js';
import type { EditResult } from '../file/text-edit.js';
import { toBinary } from '../file/text-lines.js';

/** Params of {@link replace}. */
export const ReplaceParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'File to edit (must exist). A symlink stays a link: its target is edited.' }),
    regexp: Type.String({ minLength: 1, description: 'Python regexp matched against the whole file with re.MULTILINE: every match is replaced. A negated class (`[^#]`) does not match a newline unless the pattern starts with (?s).' }),
    replace: Type.Optional(Type.String({ default: '', description: 'Replacement, with \\1 and \\g<name> backreferences (Python re.sub). Empty removes the matches.' })),
    after: Type.Optional(Type.String({ minLength: 1, description: 'Only replace after the first match of this Python regexp (DOTALL).' })),
    before: Type.Optional(Type.String({ minLength: 1, description: 'Only replace before the match of this Python regexp (DOTALL): with after, the first section between them; alone, up to its last match.' })),
    ...attributeParams,
    ...editWriteParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof ReplaceParams>;

/** Python's `re.subn(pattern, template, text)` on binary strings: the new text and the number of replacements. */
export function pythonSub(re: RegExp, template: string, text: string): { text: string; count: number } {
  let out = '';
  let last = 0;
  let count = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out += text.slice(last, m.index) + expandPythonTemplate(template, m);
    last = m.index + m[0].length;
    count++;
    if (m[0] === '') re.lastIndex++;
  }
  return { text: out + text.slice(last), count };
}

/**
 * The file with every match replaced, as Ansible's `ansible.builtin.replace`: `after`/`before`
 * first cut the section (Python `after(?P<subsection>.*?)before` with DOTALL; a section pattern
 * that does not match leaves the file as it is).
 */
export function replaceText(before: string, p: P): EditResult {
  let start = 0;
  let end = before.length;
  if (p.after !== undefined || p.before !== undefined) {
    const g = '(?P<converge_section>';
    const pattern = p.after !== undefined && p.before !== undefined ? `(?s)${p.after}${g}.*?)${p.before}` : p.after !== undefined ? `(?s)${p.after}${g}.*)` : `(?s)${g}.*)${p.before ?? ''}`;
    const re = mustCompilePythonRegex(toBinary(pattern));
    const m = new RegExp(re.source, `${re.flags}d`).exec(before);
    const at = m?.indices?.groups?.converge_section;
    if (!at) return { after: before, changed: false, changes: [], message: `the after/before pattern does not match ${p.path}` };
    [start, end] = at;
  }
  const section = before.slice(start, end);
  const r = pythonSub(mustCompilePythonRegex(toBinary(p.regexp), { wholeText: true }), toBinary(p.replace ?? ''), section);
  const after = before.slice(0, start) + r.text + before.slice(end);
  const changed = r.count > 0 && r.text !== section;
  return { after, changed, changes: changed ? [{ path: 'content', before: null, after: `${r.count} replacement${r.count === 1 ? '' : 's'}` }] : [], message: `no match of ${p.regexp} to replace in ${p.path}` };
}

/**
 * Replaces every match of a Python regexp in a whole file (Ansible's `ansible.builtin.replace`),
 * optionally only between `after` and `before`; the file is written atomically, and a task whose
 * result would change again on the next run is refused (C-03). Differences: a negated class does
 * not run across lines (C-04); `encoding` is not supported (files are edited byte-wise, UTF-8 patterns).
 *
 * @example replace({ path: '/etc/ssh/sshd_config', regexp: '^#?PasswordAuthentication .*$', replace: 'PasswordAuthentication no' })
 */
export const replace = defineModule({
  name: 'replace',
  description: 'Replace every match of a regexp in a file.',
  params: ReplaceParams,
  validate: (p) => {
    for (const [name, value] of [['regexp', p.regexp], ['after', p.after], ['before', p.before]] as const) {
      if (value === undefined) continue;
      const r = compilePythonRegex(value, { wholeText: name === 'regexp' });
      if ('error' in r) return `${name}: ${r.error}`;
    }
    return validateAttributes(p);
  },
  facts: (p) => editFacts(p),
  plan: ({ params: p, facts, upstreamChanged }) =>
    planTextEdit({ module: 'replace', path: p.path, state: facts.file, attributes: p, principals: facts.principals, edit: (b) => replaceText(b ?? '', p), whenMissing: 'fail', secret: false, upstreamChanged }),
  apply: ({ params: p, plan }) =>
    applyTextEdit(p.path, plan.data, { create: false, secret: false, ...(p.backup ? { backup: true } : {}), ...(p.validate !== undefined ? { validate: p.validate } : {}) }),
  resources: (p) => [p.path],
});
