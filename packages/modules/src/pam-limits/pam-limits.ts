import { defineModule, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { fileState } from '../file/file-state.js';
import { applyTextEdit, planTextEdit } from '../file/text-edit.js';
import type { EditResult } from '../file/text-edit.js';
import { fromBinary, joinLines, splitLines, toBinary } from '../file/text-lines.js';

const ITEMS = ['core', 'data', 'fsize', 'memlock', 'nofile', 'rss', 'stack', 'cpu', 'nproc', 'as', 'maxlogins', 'maxsyslogins', 'priority', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'chroot'] as const;

/** Params of {@link pamLimits}. */
export const PamLimitsParams = Type.Object(
  {
    domain: Type.String({ pattern: '^\\S+$', description: 'Who the limit is for: a user, `@group`, `*`, a uid range `1000:` (limits.conf(5)).' }),
    limit_type: Type.Union([Type.Literal('hard'), Type.Literal('soft'), Type.Literal('-')], { description: 'hard, soft, or `-` for both.' }),
    limit_item: Type.Union(ITEMS.map((i) => Type.Literal(i)), { description: 'The limited resource (limits.conf(5)), e.g. nofile.' }),
    value: Type.Union([Type.String({ pattern: '^(-?\\d+|unlimited|infinity)$' }), Type.Integer()], { description: 'The limit: a number, `unlimited`, `infinity` or -1.' }),
    dest: Type.Optional(Type.String({ pattern: '^/', default: '/etc/security/limits.conf', description: 'The limits file (a file in /etc/security/limits.d works too); created when missing.' })),
    use_max: Type.Optional(Type.Boolean({ default: false, description: 'Keep an existing value when it is larger (numbers; unlimited counts as largest).' })),
    use_min: Type.Optional(Type.Boolean({ default: false, description: 'Keep an existing value when it is smaller.' })),
    comment: Type.Optional(Type.String({ pattern: '^[^\\n]*$', description: 'Comment at the end of the line (`# ...`).' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof PamLimitsParams>;

function rank(v: string): number {
  return v === 'unlimited' || v === 'infinity' || v === '-1' ? Number.POSITIVE_INFINITY : Number(v);
}

/**
 * limits.conf text with one `domain type item value` line set, as `community.general.pam_limits`
 * writes it (tab-separated, optional `#comment`): the first line with the same domain, type and
 * item is rewritten (later ones removed), or the line is appended. use_max/use_min keep a larger
 * or smaller existing value.
 */
export function editLimits(before: string | null, p: P): EditResult {
  const lines = splitLines(before ?? '');
  const want = String(p.value);
  const out: typeof lines = [];
  let found = false;
  let was: string | null = null;
  let now = want;
  for (const l of lines) {
    const text = fromBinary(l.text);
    const body = text.replace(/#.*$/, '').trim();
    const f = body.split(/\s+/);
    if (body === '' || f[0] !== p.domain || f[1] !== p.limit_type || f[2] !== p.limit_item) {
      out.push(l);
      continue;
    }
    if (found) continue;
    found = true;
    was = f[3] ?? '';
    if (p.use_max && rank(was) > rank(want)) now = was;
    if (p.use_min && rank(was) < rank(want)) now = was;
    const line = `${p.domain}\t${p.limit_type}\t${p.limit_item}\t${now}${p.comment !== undefined ? `\t#${p.comment}` : ''}`;
    const keep = was === now && (p.comment === undefined || text.replace(/^[^#]*#/, '') === p.comment);
    out.push(keep ? l : { text: toBinary(line), eol: '\n' });
  }
  if (!found) {
    const last = out.at(-1);
    if (last && last.eol === '') last.eol = '\n';
    out.push({ text: toBinary(`${p.domain}\t${p.limit_type}\t${p.limit_item}\t${want}${p.comment !== undefined ? `\t#${p.comment}` : ''}`), eol: '\n' });
  }
  const after = joinLines(out);
  const changed = after !== (before ?? '') || before === null;
  return {
    after,
    changed,
    changes: changed ? [{ path: `${p.domain} ${p.limit_type} ${p.limit_item}`, before: was, after: now }] : [],
    message: `${p.domain} ${p.limit_type} ${p.limit_item} is ${now}`,
  };
}

/**
 * Sets one PAM resource limit in limits.conf(5) (read by pam_limits at login), as
 * `community.general.pam_limits`. The file is edited atomically; `backup` is not supported.
 *
 * @example pamLimits({ domain: 'app', limit_type: '-', limit_item: 'nofile', value: 65536, dest: '/etc/security/limits.d/app.conf' })
 */
export const pamLimits = defineModule({
  name: 'pam_limits',
  description: 'Set a PAM resource limit in limits.conf.',
  params: PamLimitsParams,
  validate: (p) => (p.use_max && p.use_min ? 'use_max and use_min are mutually exclusive' : undefined),
  facts: (p) => ({ file: fileState({ path: p.dest ?? '/etc/security/limits.conf', content: true }) }),
  plan: ({ params: p, facts, upstreamChanged }) =>
    planTextEdit({ module: 'pamLimits', path: p.dest ?? '/etc/security/limits.conf', state: facts.file, attributes: {}, edit: (b) => editLimits(b, p), whenMissing: 'create', secret: false, upstreamChanged }),
  apply: ({ params: p, plan }) => applyTextEdit(p.dest ?? '/etc/security/limits.conf', plan.data, { create: true, secret: false }),
  resources: (p) => [p.dest ?? '/etc/security/limits.conf'],
});
