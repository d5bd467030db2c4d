import { ConvergeError, Type, defineModule, raw, sh } from '@converge/core';
import type { ApplyOutcome, Change, Command, FactRequest, RawShell, Static } from '@converge/core';
import { LOCK_TIMEOUT_EXIT, aptLockedStep } from './lock-wait.js';
import { unitAfterInstall } from '../systemd/unit-facts.js';
import { aptUnitEffects, type UnitEffects } from './unit-effects.js';
import {
  UPDATE_STAMP,
  aptAutoremovable,
  aptCandidates,
  aptMissingCandidates,
  aptDeb,
  aptListsAge,
  aptPackages,
  hasFiles,
  isInstalled,
  listsDue,
  type DebFile,
  type DpkgPackage,
  type ListsAge,
  type PackagePolicy,
} from './package-facts.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

/** JSON Schema of the `apt` module's params (Ansible's `ansible.builtin.apt`). */
export const AptParams = Type.Object(
  {
    name: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))], {
        description: 'Package name(s), optionally `name=version` (a version may end in `*`, e.g. `nginx=1.22*`).',
      }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent'), Type.Literal('latest')], {
      default: 'present',
      description: '`present`: installed (any version, or the one given); `latest`: the candidate version of the package lists; `absent`: removed.',
    })),
    purge: Type.Optional(Type.Boolean({ default: false, description: 'With `state: absent`, also remove configuration files (apt-get purge).' })),
    update_cache: Type.Optional(Type.Boolean({ default: false, description: 'Run `apt-get update` first (only when something is to be installed, or when no package is named).' })),
    cache_valid_time: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Seconds: skip `update_cache` when the lists were updated less than this long ago.' })),
    install_recommends: Type.Optional(Type.Boolean({ description: 'Install recommended packages; absent: apt\'s own setting (APT::Install-Recommends, default yes).' })),
    autoremove: Type.Optional(Type.Boolean({ default: false, description: 'Remove packages that were installed as dependencies and are no longer needed.' })),
    deb: Type.Optional(Type.String({ pattern: '^/.*\\.deb$', description: 'Absolute path of a .deb file on the host to install (with its dependencies).' })),
    allow_downgrade: Type.Optional(Type.Boolean({ default: false, description: 'Allow a `name=version` lower than the installed version.' })),
    dpkg_options: Type.Optional(Type.String({ default: 'force-confdef,force-confold', description: 'Comma-separated dpkg options, each passed as `-o Dpkg::Options::=--OPTION`.' })),
    lock_timeout: Type.Optional(Type.Integer({ minimum: 0, default: 60, description: 'Seconds to wait for the package manager lock held by another process before failing.' })),
  },
  { additionalProperties: false },
);

/** Params of `apt`. */
export type AptParams = Static<typeof AptParams>;

/** A `name[=version]` spec. */
export interface PackageSpec {
  name: string;
  version?: string;
}

/** Splits `name=version` at the first `=`, as apt-get(8) reads it. */
export function parsePackageSpec(spec: string): PackageSpec {
  const i = spec.indexOf('=');
  return i < 0 ? { name: spec } : { name: spec.slice(0, i), version: spec.slice(i + 1) };
}

/** True when an installed version satisfies a wanted version, which may end in (or contain) `*`. */
export function versionMatches(installed: string, wanted: string): boolean {
  if (!wanted.includes('*')) return installed === wanted;
  const re = new RegExp(`^${wanted.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(installed);
}

type AptFacts = {
  effects?: FactRequest<UnitEffects>;
  installed?: FactRequest<Record<string, DpkgPackage>>;
  candidates?: FactRequest<Record<string, PackagePolicy>>;
  missing?: FactRequest<Record<string, PackagePolicy>>;
  lists?: FactRequest<ListsAge>;
  autoremovable?: FactRequest<string[]>;
  deb?: FactRequest<DebFile>;
};

/** Private plan data for apply. */
export interface AptPlan {
  update: boolean;
  install: string[];
  remove: string[];
  deb: boolean;
  autoremove: boolean;
}

function specsOf(p: AptParams): PackageSpec[] {
  const names = p.name === undefined ? [] : Array.isArray(p.name) ? p.name : [p.name];
  return names.map(parsePackageSpec);
}

function describeAge(lists: ListsAge | undefined): string {
  const age = lists?.ageSeconds ?? null;
  if (age === null) return 'never updated';
  return lists?.sourcesChanged ? `updated ${age}s ago, before the sources changed` : `updated ${age}s ago`;
}

/**
 * Module `apt`: Debian packages are installed (a version, or the latest), or removed; the
 * package lists are refreshed when older than `cache_valid_time`. Reads with dpkg-query(1) and,
 * for `latest`, apt-cache(8) policy; applies with apt-get(8) run non-interactively
 * (`DEBIAN_FRONTEND=noninteractive`, `-o Dpkg::Options::=--force-confdef --force-confold`, so a
 * changed conffile keeps the local version).
 *
 * The package manager lock (C-21): when another process (unattended-upgrades at boot, a
 * cloud-init) holds apt's or dpkg's lock, the task waits up to `lock_timeout` seconds, saying
 * so on stderr, then proceeds; when the time is up it fails naming the lock, the holder's pid
 * and its command line. A successful update touches `/var/lib/apt/periodic/update-success-stamp`
 * so that `cache_valid_time` holds on the next run.
 *
 * The refresh alone is a change when no package is named; with packages it is done only
 * before installing something (for `latest`, it is done whenever it is due, and reported,
 * since new versions can only be seen after it).
 *
 * @example apt({ name: ['nginx', 'curl'], update_cache: true, cache_valid_time: 3600 })
 */
export const apt = defineModule({
  name: 'apt',
  description: 'Install, upgrade or remove Debian packages with apt-get.',
  params: AptParams,
  validate: (p) => {
    const specs = specsOf(p);
    if (specs.length === 0 && p.deb === undefined && !p.update_cache && !p.autoremove) return 'give name, deb, update_cache or autoremove';
    if (p.state === 'latest' && specs.some((s) => s.version !== undefined)) return 'state latest takes no name=version; use state present to pin a version';
    if (p.state === 'absent' && p.deb !== undefined) return 'deb installs a file; remove its package by name';
    const bad = specs.find((s) => !/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(s.name) || s.version === '');
    if (bad) return `not a Debian package name: ${JSON.stringify(bad.name)}`;
    return undefined;
  },
  facts: (p, host) => {
    const names = specsOf(p).map((s) => s.name);
    const f: AptFacts = {};
    // Check mode: what installing them would do to systemd units, for the plans of later tasks.
    if (host?.check && names.length > 0 && p.state !== 'absent') f.effects = aptUnitEffects({ names });
    if (names.length > 0) f.installed = aptPackages({ names });
    if (names.length > 0 && p.state === 'latest') f.candidates = aptCandidates({ names });
    if (names.length > 0 && (p.state ?? 'present') === 'present') f.missing = aptMissingCandidates({ names });
    if (p.update_cache) f.lists = aptListsAge({});
    if (p.autoremove) f.autoremovable = aptAutoremovable({});
    if (p.deb !== undefined) f.deb = aptDeb({ path: p.deb });
    return f;
  },
  plan: ({ params: p, facts: f, upstreamChanged }) => {
    const installed = f.installed ?? {};
    const changes: Change[] = [];
    const data: AptPlan = { update: false, install: [], remove: [], deb: false, autoremove: false };
    const specs = specsOf(p);

    for (const s of specs) {
      const cur = installed[s.name];
      const before = isInstalled(cur) ? (cur?.version ?? null) : null;
      if (p.state === 'absent') {
        const there = p.purge ? hasFiles(cur) : hasFiles(cur) && cur?.status !== 'c';
        if (there) {
          data.remove.push(s.name);
          changes.push({ path: `packages.${s.name}`, before: before ?? (cur?.status === 'c' ? 'config-files' : cur?.version), after: null });
        }
      } else if (p.state === 'latest') {
        const candidate = f.candidates?.[s.name]?.candidate ?? null;
        if (!isInstalled(cur) || (candidate !== null && candidate !== cur?.version)) {
          data.install.push(s.name);
          changes.push({ path: `packages.${s.name}`, before, after: candidate ?? 'latest' });
        }
      } else if (!isInstalled(cur) || (s.version !== undefined && !versionMatches(cur?.version ?? '', s.version))) {
        // A package apt does not know fails now, in check mode too, unless a due refresh of the
        // lists (or an earlier change, in check mode) could make it known.
        const refreshDue = p.update_cache === true && listsDue(f.lists, p.cache_valid_time ?? 0);
        const known = isInstalled(cur) || !f.missing || refreshDue || Boolean(f.missing[s.name]?.candidate);
        requirePrerequisite(known, upstreamChanged, () =>
          new ConvergeError('CONVERGE_PLAN', `apt: package ${s.name} has no installation candidate (unknown to apt on this host)`, {
            hint: 'check the name, or refresh the lists with update_cache: true',
          }),
        );
        data.install.push(s.version !== undefined ? `${s.name}=${s.version}` : s.name);
        changes.push({ path: `packages.${s.name}`, before, after: s.version ?? 'installed' });
      }
    }

    if (p.deb !== undefined) {
      const d = f.deb;
      if (!d?.exists) {
        requirePrerequisite(false, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `apt: ${p.deb} does not exist on the host`, { hint: 'copy the .deb to the host in an earlier task' }));
        data.deb = true;
        changes.push({ path: `packages.${p.deb}`, before: null, after: 'installed' });
      } else if (!isInstalled(d.installed) || d.installed?.version !== d.version) {
        data.deb = true;
        changes.push({ path: `packages.${d.package}`, before: isInstalled(d.installed) ? d.installed?.version : null, after: d.version });
      }
    }

    if (p.update_cache) {
      const due = listsDue(f.lists, p.cache_valid_time ?? 0);
      const wanted = (specs.length === 0 && p.deb === undefined) || p.state === 'latest' || data.install.length > 0 || data.deb;
      if (due && wanted) {
        data.update = true;
        changes.unshift({ path: 'cache', before: describeAge(f.lists), after: 'updated' });
      }
    }

    if (p.autoremove && (f.autoremovable?.length ?? 0) > 0) {
      data.autoremove = true;
      changes.push({ path: 'autoremove', before: f.autoremovable, after: [] });
    }

    if (changes.length > 0) return { changes, data, ...predictsOf(data, f.effects) };
    return { changes, reason: reasonOf(p, specs, installed, f.lists) };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const opts: RawShell[] = [
      sh`-y -q`,
      ...(p.dpkg_options ?? 'force-confdef,force-confold')
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '')
        .map((o) => sh`-o ${`Dpkg::Options::=--${o}`}`),
    ];
    const installOpts = [...opts];
    if (p.install_recommends === true) installOpts.push(sh`-o APT::Install-Recommends=yes`);
    if (p.install_recommends === false) installOpts.push(sh`--no-install-recommends`);
    if (p.allow_downgrade) installOpts.push(sh`--allow-downgrades`);

    const calls: RawShell[] = [];
    if (d.update) calls.push(sh`converge_apt_get -q update && mkdir -p /var/lib/apt/periodic && touch ${UPDATE_STAMP}`);
    // For latest after a refresh, every named package is passed: only now can apt see new versions.
    const install = d.update && p.state === 'latest' ? specsOf(p).map((s) => s.name) : d.install;
    if (install.length > 0) calls.push(sh`converge_apt_get ${installOpts} install -- ${install}`);
    if (d.deb && p.deb !== undefined) calls.push(sh`converge_apt_get ${installOpts} install -- ${p.deb}`);
    if (d.remove.length > 0) calls.push(sh`converge_apt_get ${opts} ${p.purge ? raw('purge') : raw('remove')}${p.autoremove ? raw(' --autoremove') : raw('')} -- ${d.remove}`);
    if (d.autoremove && d.remove.length === 0) calls.push(sh`converge_apt_get ${opts} autoremove${p.purge ? raw(' --purge') : raw('')}`);
    const body = raw(calls.map((c) => c.text).join(' &&\n'));
    return [{ script: aptLockedStep(p.lock_timeout ?? 60, body), description: `apt ${plan.changes.map((c) => c.path).join(', ')}` }];
  },
  outcome: (out): ApplyOutcome => {
    const lines = out.stderr.split('\n').filter((l) => l.startsWith('converge: '));
    const result = { rc: out.exitCode, lockWait: lines.map((l) => l.slice('converge: '.length)) };
    if (out.exitCode === LOCK_TIMEOUT_EXIT) {
      return { result, failed: true, message: (lines.find((l) => l.includes('gave up')) ?? 'gave up waiting for the package manager lock').slice('converge: '.length) };
    }
    if (out.exitCode !== 0) {
      const said = out.stderr
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('converge: '))
        .slice(-15)
        .join('\n');
      return { result, failed: true, message: `apt-get failed with exit code ${out.exitCode}${said ? `:\n${said}` : ''}` };
    }
    return lines.length > 0 ? { result, message: lines.map((l) => l.slice('converge: '.length)).join('; ') } : { result };
  },
  /** A package's maintainer scripts may change any file, user, group or unit: everything is stale after apt changed something. */
  resources: () => ['*'],
  // apt-get's exit status is the check; `update_cache` with `cache_valid_time: 0` is an action
  // that is due again right after it ran, which a re-plan would report as "not converged".
  verify: false,
});

/**
 * Check mode: the units the packages to be installed bring, as their maintainer scripts leave
 * them (`unit:NAME` -> the unit's status), for later `systemd.service` tasks; nothing when the
 * effects could not be read, nor for a unit whose start its Condition/Assert settings decide
 * (those tasks then say their change is known after apply).
 */
function predictsOf(data: AptPlan, effects: UnitEffects | undefined): { predicts?: Record<string, unknown> } {
  if (data.install.length === 0 || !effects || 'unknown' in effects) return {};
  const predicts: Record<string, unknown> = {};
  for (const [unit, effect] of Object.entries(effects.units)) {
    // A start its unit's conditions decide is left unpredicted: the service task says known after apply.
    if (effect.started && effect.conditional) continue;
    predicts[`unit:${unit}`] = unitAfterInstall(unit, effect);
  }
  return Object.keys(predicts).length > 0 ? { predicts } : {};
}

function reasonOf(p: AptParams, specs: PackageSpec[], installed: Record<string, DpkgPackage>, lists: ListsAge | undefined): string {
  const parts: string[] = [];
  if (specs.length > 0) {
    const list = specs.map((s) => (p.state === 'absent' ? s.name : `${s.name} ${installed[s.name]?.version ?? ''}`.trim())).join(', ');
    parts.push(p.state === 'absent' ? `not installed: ${list}` : p.state === 'latest' ? `already the newest version: ${list}` : `installed: ${list}`);
  }
  if (p.deb !== undefined) parts.push(`${p.deb} is installed`);
  if (p.update_cache && specs.length === 0 && p.deb === undefined) parts.push(`package lists ${describeAge(lists)} (cache_valid_time ${p.cache_valid_time ?? 0}s)`);
  if (p.autoremove) parts.push('nothing to autoremove');
  return parts.join('; ');
}
