// A release of the application, one host at a time, without losing a request:
//   converge -i inventories/local playbooks/rolling-app-deploy.ts -e app_version=1.1.0
// For each host of `app` in turn (serial 1, stop at the first failure): drain its server in
// HAProxy on every load balancer, wait until no session is left on it (at most
// `drain_timeout` seconds, default 60), deploy the release (roles/app), check /notes answers on
// the host, and put the server back to ready on every load balancer.
import { defineRole, definePlaybook } from '@converge/core';
import type { TaskContext } from '@converge/core';
import { command, uri } from '@converge/modules';
import { haproxy } from '@converge/haproxy';
import { appRole } from '@converge/role-app';

const lbs = (h: TaskContext): string[] => ((h.vars.groups as Record<string, string[]>).lb ?? []) as string[];
const onEveryLb = { loop: lbs, delegateTo: (h: TaskContext) => String(h.item), loopControl: { label: (lb: string) => lb } };

/**
 * Waits until HAProxy shows no current session (`scur`, field 5 of `show stat`, management
 * guide §9.1) on server `$2` of backend `$1`, for at most `$3` seconds.
 */
const WAIT_FOR_ZERO_SESSIONS = [
  'i=0',
  'while :; do',
  '  n=$(printf "show stat\\n" | socat -t 5 - UNIX-CONNECT:/run/haproxy/admin.sock | awk -F, -v b="$1" -v s="$2" \'$1 == b && $2 == s { print $5 }\')',
  '  [ "$n" = 0 ] && exit 0',
  '  i=$((i + 1))',
  '  if [ "$i" -ge "$3" ]; then echo "$1/$2 still has ${n:-an unknown number of} sessions after $3 s" >&2; exit 1; fi',
  '  sleep 1',
  'done',
].join('\n');

// One role so that the drain, the deploy and the check run in this order on each host, with the
// app role's files (its release artifacts) found where the app role keeps them.
const deploy = defineRole({
  name: 'rolling-app-deploy',
  baseDir: appRole.baseDir,
  defaults: appRole.defaults ?? {},
  tasks: [
    haproxy.server((h) => ({ backend: 'notes', server: h.host, state: 'drain' }), { name: 'drained on every load balancer', ...onEveryLb }),
    command((h) => ({ argv: ['sh', '-c', WAIT_FOR_ZERO_SESSIONS, 'sh', 'notes', h.host, String(h.vars.drain_timeout ?? 60)] }), { name: 'no session left on it', changedWhen: () => false, ...onEveryLb }),
    ...appRole.tasks,
    uri({ url: 'http://127.0.0.1/notes', status_code: 200, timeout: 5 }, { name: 'the release answers', until: (r) => !r.failed, retries: 10, delay: 1 }),
    haproxy.server((h) => ({ backend: 'notes', server: h.host, state: 'ready' }), { name: 'ready on every load balancer', ...onEveryLb }),
  ],
  handlers: [...(appRole.handlers ?? [])],
});

export default definePlaybook({
  name: 'rolling deploy of the application',
  hosts: 'app',
  serial: 1,
  maxFailPercentage: 0,
  roles: [deploy],
});
