import { defineModule, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { wholeFile } from '../copy/whole-file.js';
import type { WholeFile } from '../copy/whole-file.js';

const Word = (description: string) => Type.String({ pattern: '^[^\\s{}#]+$', description });
const Script = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

/** Params of {@link logrotate}. */
export const LogrotateParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'The file /etc/logrotate.d/NAME (letters, digits, `_`, `-`: logrotate skips other names).' }),
    path: Type.Union([Word('A log file or glob.'), Type.Array(Word('A log file or glob.'), { minItems: 1 })], { description: 'The log files the rules apply to (globs allowed).' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'absent removes the file.' })),
    frequency: Type.Optional(Type.Union([Type.Literal('hourly'), Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly'), Type.Literal('yearly')], { description: 'How often logs rotate.' })),
    rotate: Type.Optional(Type.Integer({ minimum: 0, description: 'How many rotated logs are kept.' })),
    size: Type.Optional(Type.String({ pattern: '^\\d+[kMG]?$', description: 'Rotate when larger than this (`100M`), whatever the frequency.' })),
    maxsize: Type.Optional(Type.String({ pattern: '^\\d+[kMG]?$', description: 'Rotate when larger than this, even before the frequency is due.' })),
    minsize: Type.Optional(Type.String({ pattern: '^\\d+[kMG]?$', description: 'Rotate at the frequency only when larger than this.' })),
    maxage: Type.Optional(Type.Integer({ minimum: 1, description: 'Remove rotated logs older than this many days.' })),
    compress: Type.Optional(Type.Boolean({ description: 'Compress rotated logs (gzip).' })),
    delaycompress: Type.Optional(Type.Boolean({ description: 'Compress a rotated log at the next rotation only.' })),
    missingok: Type.Optional(Type.Boolean({ description: 'A missing log is no error.' })),
    notifempty: Type.Optional(Type.Boolean({ description: 'Do not rotate an empty log.' })),
    copytruncate: Type.Optional(Type.Boolean({ description: 'Copy the log, then truncate it in place (for programs that keep it open).' })),
    dateext: Type.Optional(Type.Boolean({ description: 'Name rotated logs by date instead of a number.' })),
    sharedscripts: Type.Optional(Type.Boolean({ description: 'Run postrotate once for all matched logs.' })),
    create: Type.Optional(Type.String({ pattern: '^[0-7]{3,4}( [A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)?)?$', description: 'Recreate the log after rotation: `MODE [OWNER [GROUP]]`, e.g. `0640 app adm`.' })),
    su: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+ [A-Za-z0-9_.-]+$', description: 'Rotate as `USER GROUP` (needed for logs in directories others can write).' })),
    olddir: Type.Optional(Type.String({ pattern: '^[^\\s{}#]+$', description: 'Move rotated logs into this directory.' })),
    prerotate: Script('Shell lines run before rotation (prerotate ... endscript).'),
    postrotate: Script('Shell lines run after rotation, e.g. a reload (postrotate ... endscript).'),
  },
  { additionalProperties: false },
);

type P = Static<typeof LogrotateParams>;

/** The logrotate.conf(8) stanza of the params, directives in a fixed order. */
export function renderLogrotate(p: P): string {
  const paths = Array.isArray(p.path) ? p.path : [p.path];
  const lines: string[] = [];
  const flag = (k: keyof P) => {
    if (p[k] === true) lines.push(String(k));
    if (p[k] === false) lines.push(k === 'compress' ? 'nocompress' : k === 'missingok' ? 'nomissingok' : k === 'copytruncate' ? 'nocopytruncate' : k === 'dateext' ? 'nodateext' : k === 'sharedscripts' ? 'nosharedscripts' : k === 'notifempty' ? 'ifempty' : k === 'delaycompress' ? 'nodelaycompress' : '');
  };
  if (p.frequency) lines.push(p.frequency);
  if (p.rotate !== undefined) lines.push(`rotate ${p.rotate}`);
  for (const k of ['size', 'maxsize', 'minsize', 'maxage'] as const) if (p[k] !== undefined) lines.push(`${k} ${p[k]}`);
  for (const k of ['missingok', 'notifempty', 'compress', 'delaycompress', 'copytruncate', 'dateext', 'sharedscripts'] as const) flag(k);
  if (p.create !== undefined) lines.push(`create ${p.create}`);
  if (p.su !== undefined) lines.push(`su ${p.su}`);
  if (p.olddir !== undefined) lines.push(`olddir ${p.olddir}`);
  for (const k of ['prerotate', 'postrotate'] as const) {
    const script = p[k];
    if (script === undefined) continue;
    lines.push(k, ...script.replace(/\n$/, '').split('\n').map((l) => `    ${l}`), 'endscript');
  }
  return `# Managed by converge.\n${paths.join(' ')} {\n${lines.filter((l) => l !== '').map((l) => `    ${l}`).join('\n')}\n}\n`;
}

const fileOf = (p: P): WholeFile => ({
  path: `/etc/logrotate.d/${p.name}`,
  content: (p.state ?? 'present') === 'present' ? renderLogrotate(p) : null,
  mode: '0644',
  // Checked with logrotate's debug mode (reads, rotates nothing) when logrotate is installed.
  validate: 'if command -v logrotate >/dev/null 2>&1; then logrotate -d %s; fi',
});

/**
 * A logrotate(8) rule file in /etc/logrotate.d, from typed directives; the new file is checked
 * with `logrotate -d` before it replaces the old one. Ansible has no builtin module for this
 * (roles template the file); this is the typed form.
 *
 * @example logrotate({ name: 'app', path: '/var/log/app/*.log', frequency: 'daily', rotate: 14, compress: true, missingok: true, postrotate: 'systemctl reload app' })
 */
export const logrotate = defineModule({
  name: 'logrotate',
  description: 'A logrotate rule file in /etc/logrotate.d.',
  params: LogrotateParams,
  validate: (p) => ([p.prerotate, p.postrotate].some((s) => s !== undefined && /^\s*endscript\s*$/m.test(s)) ? 'a script cannot hold an endscript line' : undefined),
  facts: (p) => ({ file: wholeFile.fact(fileOf(p)) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const f = wholeFile.plan(fileOf(p), facts.file, { module: 'logrotate', upstreamChanged, label: 'file' });
    if (!f.write) return { changes: [], reason: `/etc/logrotate.d/${p.name} is ${(p.state ?? 'present') === 'absent' ? 'absent' : 'as wanted'}` };
    return { changes: f.changes, diffs: f.diffs, data: f.write };
  },
  apply: ({ params: p, plan }) => wholeFile.apply(fileOf(p), plan.data),
  resources: (p) => [`/etc/logrotate.d/${p.name}`],
});
