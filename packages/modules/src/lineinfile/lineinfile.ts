import { defineModule, isSecret, OrSecret, reveal, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { attributeParams, validateAttributes } from '../file/file-attributes.js';
import { compilePythonRegex, mustCompilePythonRegex } from '../file/python-regex.js';
import { applyTextEdit, editFacts, editWriteParams, planTextEdit } from '../file/text-edit.js';
import { toBinary } from '../file/text-lines.js';
import { editLines } from './line-edit.js';
import type { LineEdit } from './line-edit.js';

/** Params of {@link lineinfile}. */
export const LineinfileParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'File to edit. A symlink stays a link: its target is edited.' }),
    line: Type.Optional(OrSecret(Type.String({ description: 'The whole line (no newline in it). With backrefs, may hold \\1 or \\g<name>.' }))),
    regexp: Type.Optional(Type.String({ minLength: 1, description: 'Python regexp matched against each line (without its line ending); the last matching line (first with firstmatch) is replaced, or removed with state absent.' })),
    search_string: Type.Optional(Type.String({ minLength: 1, description: 'Literal text instead of regexp.' })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: the line is in the file; absent: no line matches.' })),
    insertafter: Type.Optional(Type.String({ minLength: 1, description: "Where a new line goes when nothing matches: after the last line matching this Python regexp, or 'EOF' (default) or 'BOF'. Ignored when regexp/search_string matches." })),
    insertbefore: Type.Optional(Type.String({ minLength: 1, description: "Where a new line goes when nothing matches: before the last line matching this Python regexp, or 'BOF'." })),
    create: Type.Optional(Type.Boolean({ default: false, description: 'Create the file (and its directories) when missing; otherwise a missing file fails the task.' })),
    backrefs: Type.Optional(Type.Boolean({ default: false, description: 'Expand \\1, \\g<name> in line from the regexp match; when the regexp matches nothing the file is left as it is.' })),
    firstmatch: Type.Optional(Type.Boolean({ default: false, description: 'Use the first matching line (regexp or anchor) instead of the last.' })),
    ...attributeParams,
    ...editWriteParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof LineinfileParams>;

/** Cross-field rules of lineinfile (Ansible's, plus C-01/C-03: no empty regexp, no newline in line). */
export function validateLineinfile(p: P): string | undefined {
  const line = p.line === undefined ? undefined : reveal(p.line);
  const state = p.state ?? 'present';
  if (line !== undefined && /[\r\n]/.test(line)) return 'line must be one line: it contains a newline (use blockinfile for several lines)';
  if (p.regexp !== undefined && p.search_string !== undefined) return 'regexp and search_string are mutually exclusive';
  if (p.insertafter !== undefined && p.insertbefore !== undefined) return 'insertafter and insertbefore are mutually exclusive';
  if (state === 'present' && line === undefined) return 'line is required with state present';
  if (state === 'absent' && line === undefined && p.regexp === undefined && p.search_string === undefined) return 'state absent needs one of line, regexp or search_string';
  if (p.backrefs && p.regexp === undefined) return 'backrefs needs regexp';
  if (p.backrefs && p.search_string !== undefined) return 'backrefs cannot be used with search_string';
  for (const [name, value] of [['regexp', p.regexp], ['insertafter', p.insertafter], ['insertbefore', p.insertbefore]] as const) {
    if (value === undefined || value === 'BOF' || (name === 'insertafter' && value === 'EOF')) continue;
    const r = compilePythonRegex(value);
    if ('error' in r) return `${name}: ${r.error}`;
  }
  return validateAttributes(p);
}

function toEdit(p: P): LineEdit {
  const anchor = (v: string | undefined): RegExp | 'EOF' | 'BOF' | undefined => (v === undefined ? undefined : v === 'EOF' || v === 'BOF' ? v : mustCompilePythonRegex(toBinary(v)));
  const after = anchor(p.insertafter);
  const before = p.insertbefore === undefined ? undefined : p.insertbefore === 'BOF' ? 'BOF' : mustCompilePythonRegex(toBinary(p.insertbefore));
  return {
    state: p.state ?? 'present',
    ...(p.line !== undefined ? { line: toBinary(reveal(p.line)) } : {}),
    ...(p.regexp !== undefined ? { regexp: mustCompilePythonRegex(toBinary(p.regexp)) } : {}),
    ...(p.search_string !== undefined ? { searchString: toBinary(p.search_string) } : {}),
    ...(after !== undefined ? { insertafter: after } : {}),
    ...(before !== undefined ? { insertbefore: before } : {}),
    backrefs: p.backrefs ?? false,
    firstmatch: p.firstmatch ?? false,
    secret: isSecret(p.line),
  };
}

/**
 * Ensures one line is in a file (or that no line matches), replacing a matching line in place
 * or inserting after/before an anchor, with Ansible's semantics.
 *
 * Source: Ansible `ansible.builtin.lineinfile` documentation and lib/ansible/modules/lineinfile.py;
 * differences are listed on {@link editLines}. Refuses a task that could never converge (C-03).
 *
 * @example
 * lineinfile({ path: '/etc/mysql/my.cnf', regexp: '^max_allowed_packet=', line: 'max_allowed_packet=256M', insertafter: '^\\[mysqld\\]' })
 */
export const lineinfile = defineModule({
  name: 'lineinfile',
  description: 'Ensure a line is present in (or absent from) a text file.',
  params: LineinfileParams,
  validate: validateLineinfile,
  facts: (p) => editFacts(p),
  plan: ({ params, facts, upstreamChanged }) => {
    const edit = toEdit(params);
    const missing = (params.state ?? 'present') === 'absent' ? 'skip' : params.create ? 'create' : 'fail';
    return planTextEdit({
      module: 'lineinfile',
      path: params.path,
      state: facts.file,
      attributes: params,
      principals: facts.principals,
      edit: (before) => editLines(before, edit),
      whenMissing: missing,
      secret: edit.secret,
      upstreamChanged,
    });
  },
  apply: ({ params, plan }) =>
    applyTextEdit(params.path, plan.data, {
      create: params.create ?? false,
      secret: isSecret(params.line),
      ...(params.backup ? { backup: true } : {}),
      ...(params.validate !== undefined ? { validate: params.validate } : {}),
    }),
  resources: (p) => [p.path],
});
