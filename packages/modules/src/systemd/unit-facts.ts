import { ConvergeError, defineFact, sh } from '@converge/core';

/** What systemd says about one unit: `systemctl show` properties, see systemd.unit(5) and org.freedesktop.systemd1(5). */
export interface UnitStatus {
  /** The unit's full name as systemd resolved it (`nginx` -> `nginx.service`, aliases -> the real unit). */
  id: string;
  /** `loaded`, `not-found`, `masked`, `bad-setting`, `error`. */
  loadState: string;
  /** `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`. */
  activeState: string;
  subState: string;
  /** `enabled`, `enabled-runtime`, `linked`, `alias`, `masked`, `static`, `indirect`, `disabled`, `generated`, `transient`, `bad`, or `''` when there is no unit file. */
  unitFileState: string;
  /** The unit file or its drop-ins changed on disk since systemd loaded them: `systemctl daemon-reload` is needed. */
  needDaemonReload: boolean;
  fragmentPath: string;
  /** Last line of `systemctl is-enabled` (the SysV answer for generated units), `''` when it says nothing. */
  isEnabled: string;
}

/**
 * A unit as a package's installation leaves it (see `apt.unit_effects`): loaded from the
 * package's file, enabled when its maintainer scripts enable it (`static` without an [Install]
 * section), running when they start it, and nothing left for a daemon-reload (the scripts run
 * one). What `apt` predicts for later `systemd.service` tasks in check mode.
 */
export function unitAfterInstall(id: string, effect: { enabled: boolean; installable: boolean; started: boolean }): UnitStatus {
  const unitFileState = !effect.installable ? 'static' : effect.enabled ? 'enabled' : 'disabled';
  return {
    id,
    loadState: 'loaded',
    activeState: effect.started ? 'active' : 'inactive',
    subState: effect.started ? 'running' : 'dead',
    unitFileState,
    needDaemonReload: false,
    fragmentPath: `/lib/systemd/system/${id}`,
    isEnabled: unitFileState,
  };
}

/**
 * A unit that is not loaded yet (`not-found`) as systemd shows it once its unit file is there and
 * systemd reloaded: loaded, inactive (dead) and disabled. How a plan predicts a unit whose file an
 * earlier task of a check run, or the task itself, writes.
 */
export function unitOnceLoaded(u: UnitStatus): UnitStatus {
  return { ...u, loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: 'disabled' };
}

/** Why a `daemon-reload` is planned when an earlier task of the run changed unit files. */
export const UNITS_CHANGED_EARLIER = 'unit files changed earlier in this run';

/** Resource keys that unit facts read: a unit changes when its file, a package, or the manager changes. */
export function unitFactResources(name: string): string[] {
  return [...unitKeys(name), '/etc/systemd', '/run/systemd/system', '/lib/systemd', '/usr/lib/systemd', 'package:*'];
}

/** `unit:NAME`, plus `unit:NAME.service` when the name has no type suffix (systemctl adds it). */
export function unitKeys(name: string): string[] {
  return /\.[a-z]+$/.test(name) ? [`unit:${name}`] : [`unit:${name}`, `unit:${name}.service`];
}

/**
 * Parses `systemctl show -p ...` output (`Key=value` lines, in systemd's order) plus the
 * `IsEnabled=` line the probe appends.
 *
 * @throws ConvergeError `CONVERGE_FACT` when `LoadState` is missing (systemctl failed, e.g. systemd is not PID 1).
 */
export function parseUnitStatus(stdout: string, stderr = ''): UnitStatus {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const loadState = kv.get('LoadState');
  if (loadState === undefined) {
    throw new ConvergeError('CONVERGE_FACT', 'systemctl show gave no LoadState: is systemd running on this host?', { detail: stderr || stdout });
  }
  return {
    id: kv.get('Id') ?? '',
    loadState,
    activeState: kv.get('ActiveState') ?? '',
    subState: kv.get('SubState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
    needDaemonReload: kv.get('NeedDaemonReload') === 'yes',
    fragmentPath: kv.get('FragmentPath') ?? '',
    isEnabled: kv.get('IsEnabled') ?? '',
  };
}

/**
 * Fact `systemd.unit`: the load, activity and enablement state of one unit, from one
 * `systemctl show` call (plus `systemctl is-enabled` for SysV-generated units). A unit that
 * does not exist has `loadState: 'not-found'`; systemctl(1) still exits 0 then.
 *
 * @example systemdUnit({ name: 'nginx.service' })
 */
export const systemdUnit = defineFact<{ name: string }, UnitStatus>({
  name: 'systemd.unit',
  description: 'State of one systemd unit (systemctl show).',
  command: ({ name }) =>
    sh`systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,FragmentPath -- ${name} && printf 'IsEnabled=%s\\n' "$(systemctl is-enabled -- ${name} 2>/dev/null | tail -n 1)"`,
  parse: (stdout, { stderr }) => parseUnitStatus(stdout, stderr),
  resources: ({ name }) => unitFactResources(name),
});

/**
 * Parses `systemctl show -p Id,NeedDaemonReload '*'` (blocks separated by blank lines) into
 * the ids of the units whose files changed since they were loaded.
 */
export function parseUnitsNeedingReload(stdout: string): string[] {
  const out: string[] = [];
  for (const block of stdout.split(/\n\s*\n/)) {
    const id = /^Id=(.*)$/m.exec(block)?.[1];
    if (id && /^NeedDaemonReload=yes$/m.test(block)) out.push(id);
  }
  return out.sort();
}

/**
 * Fact `systemd.units_needing_reload`: the loaded units whose unit files or drop-ins changed
 * on disk since systemd last read them (`NeedDaemonReload=yes`), i.e. why a `systemctl
 * daemon-reload` is due. Unit files that no loaded unit uses yet are not listed: systemd loads
 * them on first use.
 */
export const systemdUnitsNeedingReload = defineFact<Record<string, never>, string[]>({
  name: 'systemd.units_needing_reload',
  description: 'Loaded units whose files changed since systemd read them.',
  command: () => sh`systemctl show -p Id,NeedDaemonReload -- '*'`,
  parse: (stdout, { exitCode, stderr }) => {
    if (exitCode !== 0) throw new ConvergeError('CONVERGE_FACT', `systemctl show failed with exit code ${exitCode}`, { detail: stderr });
    return parseUnitsNeedingReload(stdout);
  },
  resources: () => ['/etc/systemd', '/run/systemd/system', '/lib/systemd', '/usr/lib/systemd', 'package:*', 'unit:*'],
});
