// The backup of the database, proven: converge -i inventories/local playbooks/restore-drill.ts
// On the host that runs the `database` backup job (the first Galera node): runs the job now
// (a consistent mariadb-dump streamed into the primary repository, then copied to OVHcloud and
// Scaleway), checks that each of the three repositories holds a fresh snapshot, and restores the
// newest copy from `drill_repository` (default `scaleway`, the other provider) into a scratch
// MariaDB server, comparing the row count of every table with the live node. An action: every
// run reports changed.
import { definePlaybook } from '@converge/core';
import type { TaskContext } from '@converge/core';
import { command, copy } from '@converge/modules';
import { restic } from '@converge/restic-backup';

const REPOSITORIES = ['volume', 'ovh', 'scaleway'] as const;

export default definePlaybook({
  name: 'database backup and restore drill',
  hosts: 'galera[0]',
  tasks: [
    command({ argv: ['systemctl', 'start', 'restic-database.service'] }, { name: 'the backup job, now' }),
    ...REPOSITORIES.map((repository) => restic.status({ repository, tag: 'database', max_age_hours: 1 }, { name: `a fresh snapshot in ${repository}` })),
    copy({ src: 'mariadb-restore-drill.sh', dest: '/usr/local/sbin/mariadb-restore-drill', owner: 'root', group: 'root', mode: '0755' }, { name: 'the drill script' }),
    command((h: TaskContext) => ({ argv: ['/usr/local/sbin/mariadb-restore-drill', String(h.vars.drill_repository ?? 'scaleway'), 'database'] }), { name: 'restored into a scratch server: same row counts', register: 'drill' }),
  ],
});
