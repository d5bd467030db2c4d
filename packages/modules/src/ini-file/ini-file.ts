import { defineModule, isSecret, OrSecret, reveal, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { attributeParams, validateAttributes } from '../file/file-attributes.js';
import { applyTextEdit, editFacts, editWriteParams, planTextEdit } from '../file/text-edit.js';
import { toBinary } from '../file/text-lines.js';
import { editIni } from './ini-edit.js';
import type { IniEdit } from './ini-edit.js';

/** Params of {@link iniFile}. */
export const IniFileParams = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'INI file to edit. A symlink stays a link: its target is edited.' }),
    section: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: 'Section name without brackets; null or absent: the lines before the first section header.' }),
    ),
    option: Type.Optional(Type.String({ minLength: 1, description: 'Key to manage. Absent with state absent: the whole section is removed.' })),
    value: Type.Optional(OrSecret(Type.String({ description: 'The one value of option (with exclusive, other lines of the same option in the section are removed).' }))),
    values: Type.Optional(Type.Array(OrSecret(Type.String()), { description: 'Several values for a repeated key: one `option = value` line each.' })),
    exclusive: Type.Optional(
      Type.Boolean({ default: true, description: 'present: remove other lines of option in the section; absent: remove every line of option (false: only those whose value is in value/values).' }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present' })),
    no_extra_spaces: Type.Optional(Type.Boolean({ default: false, description: 'Write `option=value` instead of `option = value`.' })),
    ignore_spaces: Type.Optional(Type.Boolean({ default: false, description: 'Leave a line alone when only the spacing around = differs.' })),
    allow_no_value: Type.Optional(Type.Boolean({ default: false, description: 'Allow an option line without = value.' })),
    create: Type.Optional(Type.Boolean({ default: true, description: 'Create the file (and its directories) when missing.' })),
    ...attributeParams,
    ...editWriteParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof IniFileParams>;

function validateIniFile(p: P): string | undefined {
  const state = p.state ?? 'present';
  if (p.value !== undefined && p.values !== undefined) return 'value and values are mutually exclusive';
  const texts = [...(p.value !== undefined ? [p.value] : []), ...(p.values ?? [])].map((v) => reveal(v));
  if (texts.some((t) => /[\r\n]/.test(t))) return 'a value must be one line: it contains a newline';
  if (state === 'present' && p.option !== undefined && !p.allow_no_value && texts.length === 0) return 'value or values is required with state present (or set allow_no_value)';
  if ((p.value !== undefined || p.values !== undefined) && p.option === undefined) return 'value needs option';
  if (state === 'absent' && p.option === undefined && !p.section) return 'state absent needs option or section';
  if (p.option !== undefined && /[\r\n]/.test(p.option)) return 'option must be one line';
  if (p.section && /[\r\n\]]/.test(p.section)) return 'section must be one line without ]';
  return validateAttributes(p);
}

function toEdit(p: P): IniEdit {
  const raw = p.value !== undefined ? [p.value] : (p.values ?? []);
  const values: string[] = [];
  for (const v of raw) {
    const t = toBinary(reveal(v));
    if (!values.includes(t)) values.push(t);
  }
  return {
    ...(p.section ? { section: toBinary(p.section) } : {}),
    ...(p.option !== undefined ? { option: toBinary(p.option) } : {}),
    values,
    state: p.state ?? 'present',
    exclusive: p.exclusive ?? true,
    noExtraSpaces: p.no_extra_spaces ?? false,
    ignoreSpaces: p.ignore_spaces ?? false,
    allowNoValue: p.allow_no_value ?? false,
    secret: raw.some((v) => isSecret(v)),
  };
}

/**
 * Sets, adds or removes one option (or a whole section) of an INI-style file, editing only the
 * lines it owns, with Ansible's semantics.
 *
 * Source: `community.general.ini_file` documentation and plugins/modules/ini_file.py;
 * differences are listed on {@link editIni}. Edits of a symlink always go to its target (Ansible's
 * `follow: false` would replace the link with a file).
 *
 * @example
 * iniFile({ path: '/etc/nova/nova.conf', section: 'messaging', option: 'password', value: secret })
 */
export const iniFile = defineModule({
  name: 'ini_file',
  description: 'Manage one option or section of an INI-style file.',
  params: IniFileParams,
  validate: validateIniFile,
  facts: (p) => editFacts(p),
  plan: ({ params, facts, upstreamChanged }) => {
    const edit = toEdit(params);
    return planTextEdit({
      module: 'ini_file',
      path: params.path,
      state: facts.file,
      attributes: params,
      principals: facts.principals,
      edit: (before) => editIni(before, edit),
      whenMissing: (params.state ?? 'present') === 'absent' ? 'skip' : (params.create ?? true) ? 'create' : 'fail',
      secret: edit.secret,
      upstreamChanged,
    });
  },
  apply: ({ params, plan }) =>
    applyTextEdit(params.path, plan.data, {
      create: params.create ?? true,
      secret: toEdit(params).secret,
      ...(params.backup ? { backup: true } : {}),
      ...(params.validate !== undefined ? { validate: params.validate } : {}),
    }),
  resources: (p) => [p.path],
});
