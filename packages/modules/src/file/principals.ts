import { ConvergeError, defineFact, raw, sh } from '@converge/core';
import type { RawShell } from '@converge/core';

/** Arguments of {@link filePrincipals}: the owner and group names a task asks for. */
export interface FilePrincipalsArgs {
  owner?: string;
  group?: string;
}

/**
 * The ids the host resolves the asked owner and group to, as chown(1) and chgrp(1) do: the user
 * or group of that name, else, for a name of digits only, that number; `null` when the name
 * names no user (group) and is not a number. Absent when not asked.
 */
export interface FilePrincipals {
  owner?: number | null;
  group?: number | null;
}

/**
 * Fact `file.principals`: the uid and gid an owner and a group name resolve to on the host, so
 * that check mode fails where chown would ("invalid user") and a name of digits is compared as
 * the name it is. Users: `id -u -- NAME` (coreutils' parse_user_spec, the resolution chown uses:
 * the name first, then a number). Groups: `getent group -- NAME` for a name with a non-digit; for
 * a name of digits, a group of that name from the group database (`getent group` looks digits up
 * as a gid), then the number, as chgrp(1) does. Source: GNU coreutils manual, "Disambiguating
 * names and IDs"; getent(1).
 *
 * @example filePrincipals({ owner: 'app', group: 'www-data' })
 */
export const filePrincipals = defineFact<FilePrincipalsArgs, FilePrincipals>({
  name: 'file.principals',
  description: 'The uid and gid the owner and group names of a task resolve to.',
  command: ({ owner, group }) => sh`${owner === undefined ? raw(':') : userProbe(owner)}; ${group === undefined ? raw(':') : groupProbe(group)}`,
  parse: (stdout, { args }) => {
    const out: FilePrincipals = {};
    for (const line of stdout.split('\n')) {
      const m = /^(owner|group) (-|\d+)$/.exec(line);
      if (m) out[m[1] as 'owner' | 'group'] = m[2] === '-' ? null : Number(m[2]);
    }
    for (const k of ['owner', 'group'] as const) {
      if (args[k] !== undefined && !(k in out)) throw new ConvergeError('CONVERGE_FACT', `file.principals: no ${k} line in ${JSON.stringify(stdout)}`);
    }
    return out;
  },
  // A user or group task (or a package that adds a system user) changes what these resolve to.
  resources: ({ owner, group }) => [...(owner !== undefined ? [`user:${owner}`, '/etc/passwd'] : []), ...(group !== undefined ? [`group:${group}`, '/etc/group'] : [])],
});

function userProbe(name: string): RawShell {
  return sh`if cv_u=$(id -u -- ${name} 2>/dev/null); then echo "owner $cv_u"; else echo 'owner -'; fi`;
}

function groupProbe(name: string): RawShell {
  if (!/^\d+$/.test(name)) return sh`cv_g=$(getent group -- ${name} | cut -d: -f3); echo "group \${cv_g:--}"`;
  return sh`cv_g=$(getent group | while IFS=: read -r n _ i _; do if [ "$n" = ${name} ]; then echo "$i"; break; fi; done); if [ -z "$cv_g" ] && getent group -- ${name} >/dev/null; then cv_g=${name}; fi; echo "group \${cv_g:--}"`;
}

/** The `principals` fact of a task that sets `owner` or `group` by name (a number needs none), to spread into its facts. */
export function principalFacts(p: { owner?: string | number; group?: string | number }): { principals?: ReturnType<typeof filePrincipals> } {
  const args: FilePrincipalsArgs = {
    ...(typeof p.owner === 'string' ? { owner: p.owner } : {}),
    ...(typeof p.group === 'string' ? { group: p.group } : {}),
  };
  return args.owner === undefined && args.group === undefined ? {} : { principals: filePrincipals(args) };
}
