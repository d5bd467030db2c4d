import { ConvergeError, Type, defineFact, defineModule, raw, sh } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';

/** A group's entry in the group database, as `getent group` prints it (group(5)). */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Supplementary members listed in the entry. */
  members: string[];
}

/** Resource keys of a group: its key plus the files of the local group database. */
export function groupResources(name: string): string[] {
  return [`group:${name}`, '/etc/group', '/etc/gshadow'];
}

/**
 * Parses one `getent group` line, `name:password:gid:member,member` (group(5)).
 *
 * @throws ConvergeError `CONVERGE_FACT` when the line does not have four fields or the gid is not a number.
 */
export function parseGroupLine(line: string): GroupEntry {
  const f = line.split(':');
  const gid = Number(f[2]);
  if (f.length < 4 || !/^\d+$/.test(f[2] ?? '')) throw new ConvergeError('CONVERGE_FACT', `unexpected group entry ${JSON.stringify(line)}`);
  return { name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') };
}

/**
 * Fact `group.entry`: a group's entry from the host's group database (`getent group NAME`, so
 * NSS sources such as LDAP count), or `null` when there is no such group (exit code 2,
 * getent(1)).
 *
 * @example groupEntry({ name: 'docker' })
 */
export const groupEntry = defineFact<{ name: string }, GroupEntry | null>({
  name: 'group.entry',
  description: 'A group from the group database (getent group).',
  command: ({ name }) => sh`getent group -- ${name}`,
  parse: (stdout, { exitCode, stderr, args }) => {
    const line = stdout.split('\n').find((l) => l !== '');
    if (exitCode === 2 || line === undefined) return null;
    if (exitCode !== 0) throw new ConvergeError('CONVERGE_FACT', `getent group ${args.name} failed with exit code ${exitCode}`, { detail: stderr });
    return parseGroupLine(line);
  },
  resources: ({ name }) => groupResources(name),
});

/** JSON Schema of the `group` module's params (Ansible's `ansible.builtin.group`). */
export const GroupParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$', maxLength: 32, description: 'Group name.' }),
    gid: Type.Optional(Type.Integer({ minimum: 0, description: 'Numeric group id; absent: chosen by groupadd, and an existing gid is kept.' })),
    system: Type.Optional(Type.Boolean({ default: false, description: 'Create a system group (gid from the system range, groupadd -r). Only used on creation.' })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'Whether the group exists.' })),
  },
  { additionalProperties: false },
);

/** Params of `group`. */
export type GroupParams = Static<typeof GroupParams>;

/**
 * Module `group`: a group exists with a given gid, or does not exist. Applies with groupadd(8),
 * groupmod(8) and groupdel(8). A group that is some user's primary group cannot be removed:
 * groupdel's error is reported as is.
 *
 * @example group({ name: 'app', gid: 2001 })
 */
export const group = defineModule({
  name: 'group',
  description: 'Create, change the gid of, or remove a group.',
  params: GroupParams,
  facts: (p) => ({ entry: groupEntry({ name: p.name }) }),
  plan: ({ params, facts }) => {
    const cur = facts.entry;
    if (params.state === 'absent') {
      if (!cur) return { changes: [], reason: `group ${params.name} does not exist` };
      return { changes: [{ path: 'state', before: 'present', after: 'absent' }] };
    }
    if (!cur) {
      const changes: Change[] = [{ path: 'state', before: 'absent', after: 'present' }];
      if (params.gid !== undefined) changes.push({ path: 'gid', before: null, after: params.gid });
      return { changes };
    }
    if (params.gid !== undefined && params.gid !== cur.gid) return { changes: [{ path: 'gid', before: cur.gid, after: params.gid }] };
    return { changes: [], reason: `group ${params.name} exists with gid ${cur.gid}` };
  },
  apply: ({ params, plan }): Command[] => {
    const name = params.name;
    if (params.state === 'absent') return [{ script: sh`groupdel -- ${name}`, description: `remove group ${name}` }];
    const gid = params.gid !== undefined ? sh`-g ${params.gid} ` : raw('');
    if (plan.changes.some((c) => c.path === 'state')) {
      return [{ script: sh`groupadd ${gid}${params.system ? raw('-r ') : raw('')}-- ${name}`, description: `create group ${name}` }];
    }
    return [{ script: sh`groupmod ${gid}-- ${name}`, description: `change gid of group ${name}` }];
  },
  resources: (p) => groupResources(p.name),
});
