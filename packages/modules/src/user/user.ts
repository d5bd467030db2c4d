import { ConvergeError, OrSecret, SECRET_MASK, Type, defineFact, defineModule, isSecret, raw, reveal, secret, sh } from '@converge/core';
import type { Change, Command, RawShell, Static } from '@converge/core';
import { parseGroupLine, type GroupEntry } from '../group/group.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** What the user database says about one account. */
export interface UserAccount {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  /** Name of the primary group (`id -gn`). */
  primaryGroup: string;
  /** Supplementary group names, sorted, primary group excluded. */
  groups: string[];
  /** The crypt hash from shadow(5); `null` when /etc/shadow is not readable (not root). */
  password: string | null;
}

/** Value of the {@link userAccount} fact. */
export interface UserFacts {
  /** The account, or `null` when no such user exists. */
  account: UserAccount | null;
  /** Groups looked up by the names or gids asked for, keyed by what was asked. */
  groups: Record<string, GroupEntry>;
}

/** Arguments of {@link userAccount}. */
export interface UserAccountArgs {
  name: string;
  /** Group names or gids to look up (the wanted primary and supplementary groups). */
  lookup: string[];
}

/** Resource keys of a user: its key plus the files of the local user and group databases. */
export function userResources(name: string): string[] {
  return [`user:${name}`, '/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'];
}

/**
 * Fact `user.account`: one account from the host's user database (`getent passwd`, `getent
 * shadow`, `id`) plus the groups a task refers to (`getent group`), in one probe. The password
 * hash needs read access to /etc/shadow (root); without it `password` is `null`.
 *
 * Output sections are introduced by `@@` lines, which no database entry can start with.
 *
 * @example userAccount({ name: 'app', lookup: ['app', 'docker'] })
 */
export const userAccount = defineFact<UserAccountArgs, UserFacts>({
  name: 'user.account',
  description: 'A user account with its groups and password hash.',
  command: ({ name, lookup }) =>
    sh`echo @@passwd; getent passwd -- ${name}; echo @@shadow; if [ -r /etc/shadow ]; then getent shadow -- ${name}; else echo @@unreadable; fi; echo @@primary; id -gn -- ${name} 2>/dev/null; echo @@groups; id -Gn -- ${name} 2>/dev/null; echo @@lookup; ${
      lookup.length > 0 ? sh`getent group -- ${lookup}` : raw(':')
    }; :`,
  parse: (stdout, { args }) => {
    const sections = splitSections(stdout);
    const passwd = sections.get('passwd')?.[0];
    const groups: Record<string, GroupEntry> = {};
    for (const line of sections.get('lookup') ?? []) {
      const g = parseGroupLine(line);
      groups[g.name] = g;
      groups[String(g.gid)] = g;
    }
    for (const k of Object.keys(groups)) if (!args.lookup.includes(k)) delete groups[k];
    if (passwd === undefined) return { account: null, groups };
    const f = passwd.split(':');
    if (f.length < 7) throw new ConvergeError('CONVERGE_FACT', `unexpected passwd entry ${JSON.stringify(passwd)}`);
    const shadow = sections.get('shadow') ?? [];
    const password = shadow[0] === '@@unreadable' ? null : (shadow[0]?.split(':')[1] ?? null);
    const primaryGroup = sections.get('primary')?.[0] ?? '';
    const all = (sections.get('groups')?.[0] ?? '').split(' ').filter((g) => g !== '');
    return {
      account: {
        name: f[0] ?? '',
        uid: Number(f[2]),
        gid: Number(f[3]),
        comment: f[4] ?? '',
        home: f[5] ?? '',
        shell: f.slice(6).join(':'),
        primaryGroup,
        groups: [...new Set(all.filter((g) => g !== primaryGroup))].sort(),
        password,
      },
      groups,
    };
  },
  resources: ({ name, lookup }) => [...userResources(name), ...lookup.map((g) => `group:${g}`)],
});

function splitSections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@@(passwd|shadow|primary|groups|lookup)$/.exec(line);
    if (m) out.set(m[1] as string, (cur = []));
    else if (line !== '' && cur) cur.push(line);
  }
  return out;
}

/** JSON Schema of the `user` module's params (Ansible's `ansible.builtin.user`). */
export const UserParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$', maxLength: 32, description: 'Login name.' }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'Whether the account exists.' })),
    uid: Type.Optional(Type.Integer({ minimum: 0, description: 'Numeric user id.' })),
    group: Type.Optional(Type.String({ minLength: 1, description: 'Primary group, by name or gid. Absent: a group named like the user if one exists, else useradd\'s default.' })),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Supplementary groups (names or gids). With `append: false` the list is exact (`[]` removes all).' })),
    append: Type.Optional(Type.Boolean({ default: false, description: 'Add the user to `groups` without removing it from others.' })),
    home: Type.Optional(Type.String({ pattern: '^/', description: 'Home directory (absolute).' })),
    create_home: Type.Optional(Type.Boolean({ default: true, description: 'Create the home directory when the account is created (useradd -m).' })),
    move_home: Type.Optional(Type.Boolean({ default: false, description: 'When `home` changes, move the old home\'s content there (usermod -m).' })),
    shell: Type.Optional(Type.String({ minLength: 1, description: 'Login shell.' })),
    comment: Type.Optional(Type.String({ pattern: '^[^:\\n]*$', description: 'GECOS field, e.g. the full name.' })),
    system: Type.Optional(Type.Boolean({ default: false, description: 'Create a system account (uid from the system range, no aging). Only used on creation.' })),
    password: Type.Optional(OrSecret(Type.String({ pattern: '^[^:\\n]*$', description: 'Password as a crypt(3) hash (e.g. from `mkpasswd -m sha-512`), never clear text. May be a Secret.' }))),
    update_password: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('on_create')], { default: 'always', description: '`on_create`: set the password only when the account is created.' })),
    remove: Type.Optional(Type.Boolean({ default: false, description: 'With `state: absent`, also remove the home directory and mail spool (userdel -r).' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'With `state: absent`, remove even when the user is logged in (userdel -f).' })),
  },
  { additionalProperties: false },
);

/** Params of `user`. */
export type UserParams = Static<typeof UserParams>;

function lookupOf(p: UserParams): string[] {
  return [...new Set([p.name, ...(p.group !== undefined ? [p.group] : []), ...(p.groups ?? [])])];
}

/** Private plan data: which usermod flags and steps apply needs. */
export interface UserPlan {
  create: boolean;
  /** Primary group to pass to useradd -g, resolved. */
  group?: string;
  groups?: string[];
  appendGroups?: boolean;
  password: boolean;
}

/**
 * Module `user`: a local account exists with the given attributes, or does not exist. Reads
 * with getent(1) and id(1); applies with useradd(8), usermod(8), userdel(8) and `chpasswd -e`
 * (chpasswd(8)), which takes the password hash on stdin so that it never appears in a process
 * list (Ansible passes it to `useradd -p` on the command line).
 *
 * Attributes that are not given are left as they are. The hash is compared as a string, as
 * Ansible does; the diff shows that it changed, never its value. Reading the hash needs root
 * (become): without it a `password` param is an error rather than a guess.
 *
 * @example user({ name: 'app', group: 'app', groups: ['docker'], append: true, shell: '/usr/sbin/nologin', system: true })
 */
export const user = defineModule({
  name: 'user',
  description: 'Create, change or remove a local user account.',
  params: UserParams,
  validate: (p) => {
    if (isSecret(p.password)) {
      const v = p.password.reveal();
      if (v.includes(':') || v.includes('\n')) return 'password must be a crypt hash without ":" or newlines';
    }
    return undefined;
  },
  facts: (p) => ({ user: userAccount({ name: p.name, lookup: lookupOf(p) }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const cur = facts.user.account;
    const known = facts.user.groups;
    if (p.state === 'absent') {
      if (!cur) return { changes: [], reason: `user ${p.name} does not exist` };
      return { changes: [{ path: 'state', before: 'present', after: 'absent' }] };
    }
    const missing = (g: string): never => {
      throw new ConvergeError('CONVERGE_PLAN', `user ${p.name}: group ${g} does not exist`, { hint: 'create it first with the group module, earlier in the play' });
    };
    const nameOf = (g: string): string => {
      const name = known[g]?.name;
      if (name !== undefined) return name;
      requirePrerequisite(/^\d+$/.test(g), upstreamChanged, () => missing(g));
      return g;
    };
    const wantGroups = p.groups !== undefined ? [...new Set(p.groups.map(nameOf))].sort() : undefined;
    const changes: Change[] = [];
    const data: UserPlan = { create: !cur, password: false };
    const pw = p.password !== undefined ? reveal(p.password) : undefined;

    if (!cur) {
      changes.push({ path: 'state', before: 'absent', after: 'present' });
      if (p.uid !== undefined) changes.push({ path: 'uid', before: null, after: p.uid });
      if (p.group !== undefined) {
        nameOf(p.group);
        data.group = p.group;
        changes.push({ path: 'group', before: null, after: p.group });
      } else if (known[p.name]) {
        data.group = p.name;
      }
      if (wantGroups && wantGroups.length > 0) {
        data.groups = wantGroups;
        changes.push({ path: 'groups', before: [], after: wantGroups });
      }
      for (const k of ['home', 'shell', 'comment'] as const) if (p[k] !== undefined) changes.push({ path: k, before: null, after: p[k] });
      if (pw !== undefined) {
        data.password = true;
        changes.push({ path: 'password', before: null, after: SECRET_MASK });
      }
      return { changes, data };
    }

    if (p.uid !== undefined && p.uid !== cur.uid) changes.push({ path: 'uid', before: cur.uid, after: p.uid });
    if (p.group !== undefined) {
      const group = p.group;
      const g = known[group];
      const same = g ? g.gid === cur.gid : /^\d+$/.test(group) && Number(group) === cur.gid;
      if (!same) {
        if (!g) requirePrerequisite(/^\d+$/.test(group), upstreamChanged, () => missing(group));
        data.group = p.group;
        changes.push({ path: 'group', before: cur.primaryGroup, after: g?.name ?? p.group });
      }
    }
    if (wantGroups) {
      const primary = data.group !== undefined ? (known[data.group]?.name ?? data.group) : cur.primaryGroup;
      const want = wantGroups.filter((g) => g !== primary);
      const after = p.append ? [...new Set([...cur.groups, ...want])].sort() : want;
      if (after.join(',') !== cur.groups.join(',')) {
        data.groups = p.append ? want.filter((g) => !cur.groups.includes(g)) : want;
        data.appendGroups = p.append;
        changes.push({ path: 'groups', before: cur.groups, after });
      }
    }
    for (const k of ['home', 'shell', 'comment'] as const) {
      const v = p[k];
      if (v !== undefined && v !== cur[k]) changes.push({ path: k, before: cur[k], after: v });
    }
    if (pw !== undefined && p.update_password !== 'on_create') {
      if (cur.password === null) {
        throw new ConvergeError('CONVERGE_PLAN', `user ${p.name}: cannot read /etc/shadow to compare the password`, { hint: 'run the task with become: true' });
      }
      if (cur.password !== pw) {
        data.password = true;
        changes.push({ path: 'password', before: SECRET_MASK, after: SECRET_MASK });
      }
    }
    if (changes.length === 0) return { changes, reason: `user ${p.name} exists with uid ${cur.uid} and the wanted attributes` };
    return { changes, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    if (p.state === 'absent') {
      const flags = [...(p.remove ? ['-r'] : []), ...(p.force ? ['-f'] : [])];
      return [{ script: sh`userdel ${flags} -- ${p.name}`, description: `remove user ${p.name}` }];
    }
    const d = plan.data;
    const has = (path: string): boolean => plan.changes.some((c) => c.path === path);
    const opts: RawShell[] = [];
    if (has('uid')) opts.push(sh`-u ${p.uid}`);
    if (d.group !== undefined) opts.push(sh`-g ${d.group}`);
    if (d.groups !== undefined) opts.push(d.appendGroups ? sh`-a -G ${d.groups.join(',')}` : sh`-G ${d.groups.join(',')}`);
    if (has('home')) opts.push(d.create ? sh`-d ${p.home}` : p.move_home ? sh`-d ${p.home} -m` : sh`-d ${p.home}`);
    if (has('shell')) opts.push(sh`-s ${p.shell}`);
    if (has('comment')) opts.push(sh`-c ${p.comment}`);
    const steps: Command[] = [];
    if (d.create) {
      opts.push(raw(p.create_home !== false ? '-m' : '-M'));
      if (p.system) opts.push(raw('-r'));
      steps.push({ script: sh`useradd ${opts} -- ${p.name}`, description: `create user ${p.name}` });
    } else if (opts.length > 0) {
      steps.push({ script: sh`usermod ${opts} -- ${p.name}`, description: `change user ${p.name}` });
    }
    if (d.password && p.password !== undefined) {
      steps.push({ script: sh`chpasswd -e`, stdin: secret(`${p.name}:${reveal(p.password)}\n`), description: `set the password of ${p.name}` });
    }
    return steps;
  },
  resources: (p) => [...userResources(p.name), ...(p.home !== undefined ? [p.home] : [])],
});
