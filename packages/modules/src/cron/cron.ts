import { ConvergeError, defineFact, defineModule, factValue, raw, sh, Type } from '@converge/core';
import type { Change, Plan, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import { fromBinary } from '../file/text-lines.js';
import { changeNotKnownYet, requirePrerequisite } from '../check-mode/earlier-changes.js';

/** A user's crontab as `crontab -l` prints it, or why it cannot be read. */
export interface UserCrontab {
  /** False when crontab(1) is not installed (no cron package). */
  installed: boolean;
  /** The crontab's text; empty when the user has none. */
  content: string;
  /** Whether the host knows the asked user (`id -u`); absent when no user was asked. crontab -u fails for a user it does not know. */
  userExists?: boolean;
}

/**
 * Fact `cron.crontab`: a user's crontab as `crontab -l [-u USER]` prints it (crontab(1); Debian
 * leaves out the spool file's "DO NOT EDIT" header), base64 on the wire.
 */
export const userCrontab = defineFact<{ user?: string }, UserCrontab>({
  name: 'cron.crontab',
  description: "A user's crontab.",
  command: ({ user }) =>
    sh`${user === undefined ? raw(':') : sh`if id -u -- ${user} >/dev/null 2>&1; then echo 'user yes'; else echo 'user no'; fi`}; if command -v crontab >/dev/null 2>&1; then echo 'crontab yes'; printf 'content '; crontab ${user === undefined ? [] : ['-u', user]} -l 2>/dev/null | base64 -w0; echo; else echo 'crontab no'; fi`,
  parse: (stdout) => {
    const installed = /^crontab yes$/m.test(stdout);
    const m = /^content (.*)$/m.exec(stdout);
    const user = /^user (yes|no)$/m.exec(stdout);
    return { installed, content: Buffer.from(m?.[1] ?? '', 'base64').toString('utf8'), ...(user ? { userExists: user[1] === 'yes' } : {}) };
  },
  // a user task (or a package that adds a system user) changes whether the user exists
  resources: ({ user }) => [`crontab:${user ?? ''}`, ...(user !== undefined ? [`user:${user}`, '/etc/passwd'] : [])],
});

const TimeField = (what: string) => Type.Optional(Type.String({ pattern: '^\\S+$', default: '*', description: `${what} field of the schedule (crontab(5) syntax: \`*\`, \`5\`, \`*/15\`, \`1-5\`).` }));

/** Params of {@link cron}. */
export const CronParams = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[^\\n]*$', description: 'Identifies the job: the comment line `#Ansible: NAME` above it (the marker Ansible writes, so jobs Ansible made are taken over). With env, the variable name.' }),
    job: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\r\\n]*$', description: 'The command (one line). With env, the variable value. Required with state present.' })),
    minute: TimeField('Minute'),
    hour: TimeField('Hour'),
    day: TimeField('Day of month'),
    month: TimeField('Month'),
    weekday: TimeField('Day of week'),
    special_time: Type.Optional(
      Type.Union(['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'].map((s) => Type.Literal(s)), { description: 'A nickname instead of the five fields: `@daily` etc.' }),
    ),
    user: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$', description: "Whose crontab (crontab -u); with cron_file, the user the job runs as (required then). Default: the task's user's own crontab." })),
    cron_file: Type.Optional(
      Type.String({ pattern: '^(/.*|[A-Za-z0-9_-]+)$', description: 'A file in /etc/cron.d (a bare name: cron ignores names with dots) or an absolute path, instead of a user crontab. Removed when its last job goes.' }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'Whether the job (or variable) is there.' })),
    disabled: Type.Optional(Type.Boolean({ default: false, description: 'Keep the job, commented out.' })),
    env: Type.Optional(Type.Boolean({ default: false, description: 'Manage an environment variable line `NAME="job"` (added at the top) instead of a job.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof CronParams>;

/** The file a cron_file names: a bare name lives in /etc/cron.d. */
export function cronFilePath(cronFile: string): string {
  return cronFile.startsWith('/') ? cronFile : `/etc/cron.d/${cronFile}`;
}

/** The job line, as Ansible's `get_cron_job` writes it (user field only in a cron.d file). */
export function cronLine(p: P): string {
  const job = (p.job ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
  const user = p.cron_file !== undefined ? [p.user ?? 'root'] : [];
  const when = p.special_time !== undefined ? [`@${p.special_time}`] : [p.minute ?? '*', p.hour ?? '*', p.day ?? '*', p.month ?? '*', p.weekday ?? '*'];
  return `${p.disabled ? '#' : ''}${[...when, ...user, job].join(' ')}`;
}

const MARKER = '#Ansible: ';

/**
 * A crontab with one job (or variable) set or removed, as Ansible's cron module edits it: a job
 * is the line after its `#Ansible: NAME` comment; a variable is the first `NAME=` line, added at
 * the top. The result is lines joined with `\n` and one final newline (also fixing a crontab
 * without one).
 */
export function editCrontab(before: string, p: P): { after: string; changed: boolean; was: string | null; now: string | null } {
  const lines = before === '' ? [] : before.replace(/\r?\n$/, '').split('\n');
  const present = (p.state ?? 'present') === 'present';
  const out: string[] = [];
  let was: string | null = null;
  let now: string | null = null;
  if (p.env) {
    const decl = `${p.name}="${p.job ?? ''}"`;
    let found = false;
    for (const l of lines) {
      if (!found && l.startsWith(`${p.name}=`)) {
        found = true;
        was = l;
        if (present) out.push(decl);
        continue;
      }
      out.push(l);
    }
    if (present && !found) out.unshift(decl);
    now = present ? decl : null;
  } else {
    const comment = `${MARKER}${p.name}`;
    const job = cronLine(p);
    let found = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as string;
      if (l === comment && !found) {
        found = true;
        was = lines[i + 1] ?? null;
        i++;
        if (present) out.push(comment, job);
        continue;
      }
      out.push(l);
    }
    if (present && !found) out.push(comment, job);
    now = present ? job : null;
  }
  const after = out.length === 0 ? '' : `${out.join('\n')}\n`;
  return { after, changed: after !== before, was, now };
}

interface CronData {
  content: string;
  remove?: boolean;
}

/**
 * Manages one cron job (or crontab variable) in a user's crontab (through crontab(1), which
 * checks and installs it) or in a file under /etc/cron.d (written atomically), with Ansible's
 * `ansible.builtin.cron` format and `#Ansible: NAME` marker, so a host whose jobs Ansible made
 * shows no change. Needs cron (crontab) for user crontabs. Not supported: `insertafter`,
 * `insertbefore`, `backup`.
 *
 * @example cron({ name: 'rotate app cache', minute: '*\/15', job: '/usr/local/bin/app-gc', cron_file: 'app', user: 'app' })
 */
export const cron = defineModule({
  name: 'cron',
  description: 'Manage a cron job in a crontab or /etc/cron.d file.',
  params: CronParams,
  validate: (p) => {
    const present = (p.state ?? 'present') === 'present';
    if (present && p.job === undefined) return 'job is required with state present';
    if (p.cron_file !== undefined && p.user === undefined && present && !p.env) return 'a cron_file job needs user (the user it runs as)';
    if (p.special_time !== undefined && [p.minute, p.hour, p.day, p.month, p.weekday].some((f) => f !== undefined && f !== '*')) return 'give either special_time or the time fields, not both';
    if (p.env && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) return 'with env, name must be a variable name';
    if (p.env && p.job !== undefined && p.job.includes('"')) return 'with env, job (the value) cannot hold a double quote';
    return undefined;
  },
  facts: (p) => ({
    file: p.cron_file !== undefined ? fileState({ path: cronFilePath(p.cron_file), content: true }) : undefined,
    crontab: p.cron_file === undefined ? userCrontab(p.user !== undefined ? { user: p.user } : {}) : undefined,
  }),
  plan: ({ params: p, facts, upstreamChanged }): Plan<CronData> => {
    let before: string;
    let where: string;
    if (p.cron_file !== undefined) {
      const f = factValue(facts, 'file');
      where = cronFilePath(p.cron_file);
      if (f.target && f.target.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `cron: ${where} is not a regular file`);
      if (f.target && f.target.content === undefined) throw new ConvergeError('CONVERGE_FACT', `cron: the content of ${where} was not read (too large?)`);
      requirePrerequisite(f.target !== undefined || f.parentExists, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `cron: the directory of ${where} does not exist`, { hint: 'install cron first (apt: cron), or name a file in an existing directory' }),
      );
      before = f.target?.content === undefined ? '' : fromBinary(f.target.content);
      if (!f.target && (p.state ?? 'present') === 'absent') return { changes: [], reason: `${where} does not exist` };
    } else {
      const c = factValue(facts, 'crontab');
      where = `crontab of ${p.user ?? 'the task user'}`;
      if (!c.installed) {
        requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'cron: the host has no crontab command', { hint: 'install cron first (apt: cron)' }));
        return { changes: [changeNotKnownYet('job', cronLine(p))], data: { content: '' }, unknown: 'the crontab command comes from an earlier task' };
      }
      requirePrerequisite(c.userExists !== false, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `cron: the host has no user ${JSON.stringify(p.user)} (crontab -u would fail)`, { hint: 'create the user first (user module), earlier in the play' }),
      );
      before = c.content;
    }
    const e = editCrontab(before, p);
    if (!e.changed) return { changes: [], reason: `${p.env ? 'variable' : 'job'} ${p.name} is ${e.now === null ? 'absent' : 'as wanted'} in the ${where}` };
    const remove = p.cron_file !== undefined && e.after === '';
    const changes: Change[] = [{ path: p.env ? 'env' : 'job', before: e.was, after: e.now }];
    return { changes, diffs: [fileDiff(p.cron_file !== undefined ? where : `crontab for user "${p.user ?? ''}"`, before, remove ? null : e.after)], data: { content: e.after, ...(remove ? { remove } : {}) } };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    if (p.cron_file !== undefined) {
      const path = cronFilePath(p.cron_file);
      if (d.remove) return [{ script: sh`rm -f -- ${path}`, description: `remove ${path}` }];
      return writeFileSteps({ path, followLinks: true, content: new Uint8Array(Buffer.from(d.content, 'utf8')) });
    }
    return [{ script: sh`crontab ${p.user === undefined ? raw('') : sh`-u ${p.user}`} -`, stdin: d.content, description: `install the crontab of ${p.user ?? 'the task user'}` }];
  },
  resources: (p) => (p.cron_file !== undefined ? [cronFilePath(p.cron_file)] : [`crontab:${p.user ?? ''}`]),
});
