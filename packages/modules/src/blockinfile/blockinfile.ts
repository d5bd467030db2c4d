import { defineModule, isSecret, OrSecret, reveal, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { attributeParams, validateAttributes } from '../file/file-attributes.js';
import { compilePythonRegex, mustCompilePythonRegex } from '../file/python-regex.js';
import { applyTextEdit, editFacts, editWriteParams, planTextEdit } from '../file/text-edit.js';
import { toBinary } from '../file/text-lines.js';
import { editBlock } from './block-edit.js';
import type { BlockEdit } from './block-edit.js';

/** Params of {@link blockinfile}. */
export const BlockinfileParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'File to edit. A symlink stays a link: its target is edited.' }),
    block: Type.Optional(OrSecret(Type.String({ description: 'Text between the markers; a final newline is added when missing. Empty with state present removes the block.' }))),
    marker: Type.Optional(Type.String({ default: '# {mark} ANSIBLE MANAGED BLOCK', pattern: '\\{mark\\}', description: 'Marker line template; {mark} becomes marker_begin / marker_end. Default keeps blocks written by Ansible recognised.' })),
    marker_begin: Type.Optional(Type.String({ default: 'BEGIN', minLength: 1, description: 'Replaces {mark} in the first marker.' })),
    marker_end: Type.Optional(Type.String({ default: 'END', minLength: 1, description: 'Replaces {mark} in the last marker.' })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'absent removes the block and its markers.' })),
    insertafter: Type.Optional(Type.String({ minLength: 1, description: "Where a new block goes: after the last line matching this Python regexp ((?m) searches the whole file), or 'EOF' (default)." })),
    insertbefore: Type.Optional(Type.String({ minLength: 1, description: "Where a new block goes: before the last line matching this Python regexp, or 'BOF'." })),
    create: Type.Optional(Type.Boolean({ default: false, description: 'Create the file (and its directories) when missing.' })),
    prepend_newline: Type.Optional(Type.Boolean({ default: false, description: 'Put a blank line before a new block unless there is one.' })),
    append_newline: Type.Optional(Type.Boolean({ default: false, description: 'Put a blank line after a new block unless there is one.' })),
    ...attributeParams,
    ...editWriteParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof BlockinfileParams>;

function validateBlockinfile(p: P): string | undefined {
  if (p.insertafter !== undefined && p.insertbefore !== undefined) return 'insertafter and insertbefore are mutually exclusive';
  if ((p.marker_begin ?? 'BEGIN') === (p.marker_end ?? 'END')) return 'marker_begin and marker_end must differ';
  for (const [name, value] of [['insertafter', p.insertafter], ['insertbefore', p.insertbefore]] as const) {
    if (value === undefined || value === 'BOF' || (name === 'insertafter' && value === 'EOF')) continue;
    const r = compilePythonRegex(value);
    if ('error' in r) return `${name}: ${r.error}`;
  }
  return validateAttributes(p);
}

function toEdit(p: P): BlockEdit {
  const marker = toBinary(p.marker ?? '# {mark} ANSIBLE MANAGED BLOCK');
  const after = p.insertafter === undefined || p.insertafter === 'EOF' ? (p.insertbefore === undefined ? 'EOF' : undefined) : mustCompilePythonRegex(toBinary(p.insertafter));
  const before = p.insertbefore === undefined ? undefined : p.insertbefore === 'BOF' ? 'BOF' : mustCompilePythonRegex(toBinary(p.insertbefore));
  return {
    state: p.state ?? 'present',
    block: p.block === undefined ? '' : toBinary(reveal(p.block)),
    markerBegin: marker.split('{mark}').join(toBinary(p.marker_begin ?? 'BEGIN')),
    markerEnd: marker.split('{mark}').join(toBinary(p.marker_end ?? 'END')),
    ...(after !== undefined ? { insertafter: after } : {}),
    ...(before !== undefined ? { insertbefore: before } : {}),
    prependNewline: p.prepend_newline ?? false,
    appendNewline: p.append_newline ?? false,
    secret: isSecret(p.block),
  };
}

/**
 * Ensures a block of lines, between two marker lines, is in a file (or removed), with Ansible's
 * semantics and default markers, so blocks written by Ansible are taken over without change.
 *
 * Source: Ansible `ansible.builtin.blockinfile` documentation and lib/ansible/modules/blockinfile.py;
 * differences are listed on {@link editBlock}.
 *
 * @example
 * blockinfile({ path: '/etc/hosts', block: '10.0.0.1 db1\n10.0.0.2 db2\n', marker: '# {mark} converge db hosts' })
 */
export const blockinfile = defineModule({
  name: 'blockinfile',
  description: 'Insert, update or remove a block of lines between marker lines.',
  params: BlockinfileParams,
  validate: validateBlockinfile,
  facts: (p) => editFacts(p),
  plan: ({ params, facts, upstreamChanged }) => {
    const edit = toEdit(params);
    return planTextEdit({
      module: 'blockinfile',
      path: params.path,
      state: facts.file,
      attributes: params,
      principals: facts.principals,
      edit: (before) => editBlock(before, edit),
      whenMissing: (params.state ?? 'present') === 'absent' ? 'skip' : params.create ? 'create' : 'fail',
      secret: edit.secret,
      upstreamChanged,
    });
  },
  apply: ({ params, plan }) =>
    applyTextEdit(params.path, plan.data, {
      create: params.create ?? false,
      secret: isSecret(params.block),
      ...(params.backup ? { backup: true } : {}),
      ...(params.validate !== undefined ? { validate: params.validate } : {}),
    }),
  resources: (p) => [p.path],
});
