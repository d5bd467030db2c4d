import { ConvergeError, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { wholeFile } from '../copy/whole-file.js';
import type { ManagedFileWrite } from '../managed-file/managed-file.js';
import { fileState } from '../file/file-state.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Params of {@link timezone}. */
export const TimezoneParams = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$', description: 'IANA time zone, e.g. `Europe/Paris` or `Etc/UTC` (a file under /usr/share/zoneinfo).' }),
  },
  { additionalProperties: false },
);

type P = Static<typeof TimezoneParams>;

const ZONEINFO = '/usr/share/zoneinfo';
const LOCALTIME = '/etc/localtime';
const TIMEZONE_FILE = '/etc/timezone';
const zoneFile = (p: P) => ({ path: TIMEZONE_FILE, content: `${p.name}\n` });

interface TimezoneData {
  link?: boolean;
  file?: ManagedFileWrite;
}

/**
 * Sets the system time zone the Debian way, as `community.general.timezone` does there:
 * /etc/localtime a symlink to /usr/share/zoneinfo/NAME (localtime(5)) and /etc/timezone holding
 * the name. Needs tzdata on the host; the zone must exist there. The hardware clock (`hwclock`)
 * is not managed.
 *
 * @example timezone({ name: 'Europe/Paris' })
 */
export const timezone = defineModule({
  name: 'timezone',
  description: 'Set the system time zone (/etc/localtime and /etc/timezone).',
  params: TimezoneParams,
  facts: (p) => ({ localtime: fileState({ path: LOCALTIME }), zone: fileState({ path: `${ZONEINFO}/${p.name}` }), file: wholeFile.fact(zoneFile(p)) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const target = `${ZONEINFO}/${p.name}`;
    requirePrerequisite(facts.zone.target?.type === 'file', upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `timezone: ${p.name} is not a time zone of this host (${target} does not exist)`, {
        hint: 'check the name (timedatectl list-timezones), or install tzdata first',
      }),
    );
    const changes: Change[] = [];
    const data: TimezoneData = {};
    const lt = facts.localtime;
    const linked = lt.type === 'link' && (lt.linkTarget === target || lt.linkTarget === `..${target}`);
    if (!linked) {
      changes.push({ path: 'localtime', before: lt.type === 'link' ? `link -> ${lt.linkTarget ?? '?'}` : lt.type, after: `link -> ${target}` });
      data.link = true;
    }
    const f = wholeFile.plan(zoneFile(p), facts.file, { module: 'timezone', upstreamChanged, label: 'timezone_file' });
    changes.push(...f.changes);
    if (f.write) data.file = f.write;
    if (changes.length === 0) return { changes, reason: `the time zone is ${p.name}` };
    return { changes, diffs: f.diffs, data };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const steps: Command[] = [];
    if (d.link) {
      steps.push({
        script: sh`set -e\ntmp=${LOCALTIME}.converge-$$\nrm -f -- "$tmp"\nln -s -- ${`${ZONEINFO}/${p.name}`} "$tmp"\nmv -fT -- "$tmp" ${LOCALTIME}`,
        description: `link ${LOCALTIME} to ${p.name}`,
      });
    }
    if (d.file) steps.push(...wholeFile.apply(zoneFile(p), d.file));
    return steps;
  },
  resources: () => [LOCALTIME, TIMEZONE_FILE],
});
