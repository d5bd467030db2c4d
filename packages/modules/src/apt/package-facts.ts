import { ConvergeError, defineFact, raw, sh } from '@converge/core';

/** One package as dpkg knows it (dpkg-query(1) `${db:Status-Abbrev}`). */
export interface DpkgPackage {
  /** Installed (or, for `config-files`, last installed) version. */
  version: string;
  /**
   * dpkg's current status letter: `i` installed, `c` config-files only (removed, not purged),
   * `n` not installed, `U` unpacked, `F` half-configured, `H` half-installed, `W`/`t` awaiting
   * triggers (installed).
   */
  status: string;
}

/** True when dpkg counts the package as installed (status `i`, or only triggers pending). */
export function isInstalled(p: DpkgPackage | undefined): boolean {
  return p !== undefined && (p.status === 'i' || p.status === 'W' || p.status === 't');
}

/** True when any file of the package is on disk (anything but `n`; `c` keeps conffiles). */
export function hasFiles(p: DpkgPackage | undefined): boolean {
  return p !== undefined && p.status !== 'n';
}

/** Resource keys of a package: its key and dpkg's database. */
export function packageResources(names: string[]): string[] {
  return [...names.map((n) => `package:${n}`), '/var/lib/dpkg/status'];
}

/**
 * Parses `dpkg-query -W -f '${binary:Package}\t${Package}\t${Version}\t${db:Status-Abbrev}\n'`
 * into a map keyed by both the plain and the architecture-qualified name, so that `libc6` and
 * `libc6:amd64` both find the entry. Of several architectures, an installed one wins.
 */
export function parseDpkgQuery(stdout: string): Record<string, DpkgPackage> {
  const out: Record<string, DpkgPackage> = {};
  for (const line of stdout.split('\n')) {
    const [binary, name, version, abbrev] = line.split('\t');
    if (!binary || !name || version === undefined || abbrev === undefined) continue;
    const entry: DpkgPackage = { version, status: abbrev.charAt(1) || 'n' };
    for (const key of new Set([binary, name])) {
      if (!isInstalled(out[key])) out[key] = entry;
    }
  }
  return out;
}

/**
 * Fact `apt.packages`: the dpkg status and version of the named packages (dpkg-query(1); no
 * lock taken, runs as any user). Packages dpkg never heard of are absent from the map.
 *
 * @example aptPackages({ names: ['nginx', 'curl'] })
 */
export const aptPackages = defineFact<{ names: string[] }, Record<string, DpkgPackage>>({
  name: 'apt.packages',
  description: 'Installed versions of packages (dpkg-query).',
  command: ({ names }) => sh`dpkg-query -W -f '\${binary:Package}\\t\${Package}\\t\${Version}\\t\${db:Status-Abbrev}\\n' -- ${names} 2>/dev/null; :`,
  parse: (stdout) => parseDpkgQuery(stdout),
  resources: ({ names }) => packageResources(names),
});

/** What apt-cache policy says of one package. */
export interface PackagePolicy {
  installed: string | null;
  /** The version `apt-get install` would install, `null` when none is available. */
  candidate: string | null;
}

/** Parses `apt-cache policy NAME...` (apt-cache(8)); packages apt does not know are left out. */
export function parseAptPolicy(stdout: string): Record<string, PackagePolicy> {
  const out: Record<string, PackagePolicy> = {};
  let cur: PackagePolicy | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      out[head[1] as string] = cur = { installed: null, candidate: null };
      continue;
    }
    const m = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
    if (m && cur) {
      const v = m[2] === '(none)' ? null : (m[2] as string);
      if (m[1] === 'Installed') cur.installed = v;
      else cur.candidate = v;
    }
  }
  return out;
}

/**
 * Fact `apt.candidates`: installed and candidate versions from the local package lists
 * (`apt-cache policy`); asked only for `state: latest`.
 */
export const aptCandidates = defineFact<{ names: string[] }, Record<string, PackagePolicy>>({
  name: 'apt.candidates',
  description: 'Candidate versions of packages (apt-cache policy).',
  command: ({ names }) => sh`apt-cache policy -- ${names}`,
  parse: (stdout, { exitCode, stderr }) => {
    if (exitCode !== 0) throw new ConvergeError('CONVERGE_FACT', `apt-cache policy failed with exit code ${exitCode}`, { detail: stderr });
    return parseAptPolicy(stdout);
  },
  resources: ({ names }) => [...packageResources(names), '/var/lib/apt/lists', '/etc/apt'],
});

/**
 * Fact `apt.missing_candidates`: for the named packages that are not installed, their candidate
 * versions from the local package lists (`apt-cache policy`); installed packages cost one
 * `dpkg-query` each and nothing more. A name absent from the result is unknown to apt, which is
 * how check mode tells a typo from a package it would install.
 */
export const aptMissingCandidates = defineFact<{ names: string[] }, Record<string, PackagePolicy>>({
  name: 'apt.missing_candidates',
  description: 'Candidate versions of the named packages that are not installed.',
  command: ({ names }) =>
    sh`missing=''; for n in ${names}; do dpkg-query -W -f='${raw("${db:Status-Abbrev}")}' -- "$n" 2>/dev/null | grep -q '^ii' || missing="$missing $n"; done; if [ -n "$missing" ]; then apt-cache policy -- $missing; fi`,
  parse: (stdout, { exitCode, stderr }) => {
    if (exitCode !== 0) throw new ConvergeError('CONVERGE_FACT', `apt-cache policy failed with exit code ${exitCode}`, { detail: stderr });
    return parseAptPolicy(stdout);
  },
  resources: ({ names }) => [...packageResources(names), '/var/lib/apt/lists', '/etc/apt'],
});

/** Where Ansible's apt module (and Ubuntu's update-notifier hook) records a successful `apt-get update`. */
export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';

/** Age of the package lists. */
export interface ListsAge {
  /** Seconds since the last successful `apt-get update`; `null` when the lists were never fetched. */
  ageSeconds: number | null;
  /**
   * True when a source or an operator keyring changed after that update (a file in
   * {@link APT_SOURCE_PATHS} newer than it): the lists do not cover the sources as they are, so
   * an update is due whatever its age.
   */
  sourcesChanged: boolean;
}

/** Where apt reads its sources (sources.list(5)) and where operators put repository keyrings. */
export const APT_SOURCE_PATHS = ['/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/apt/keyrings'] as const;

/** True when the lists must be refreshed for a `cache_valid_time` in seconds. */
export function listsDue(lists: ListsAge | undefined, cacheValidTime: number): boolean {
  const age = lists?.ageSeconds ?? null;
  return age === null || lists?.sourcesChanged === true || age > cacheValidTime;
}

/**
 * Fact `apt.lists_age`: seconds since the package lists were last updated, measured on the host
 * (no clock skew): the mtime of {@link UPDATE_STAMP} when it exists, else of
 * /var/lib/apt/lists - Ansible's rule. `null` when no `*_Packages` list exists at all. Also
 * whether a sources file, the sources.list.d directory or a keyring in /etc/apt/keyrings is newer
 * than that (find(1) `-newer`, nanosecond precision).
 */
export const aptListsAge = defineFact<Record<string, never>, ListsAge>({
  name: 'apt.lists_age',
  description: 'Seconds since apt-get update, and whether the sources changed since.',
  command: () =>
    sh`now=$(date +%s); if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then echo never; else if [ -e ${UPDATE_STAMP} ]; then ref=${UPDATE_STAMP}; else ref=/var/lib/apt/lists; fi; echo $(( now - $(stat -c %Y "$ref") )); if [ -n "$(find ${[...APT_SOURCE_PATHS]} -newer "$ref" -print 2>/dev/null | head -n 1)" ]; then echo sources-changed; fi; fi`,
  parse: (stdout) => {
    const [s = '', flag] = stdout.trim().split('\n');
    if (s === 'never') return { ageSeconds: null, sourcesChanged: false };
    if (!/^-?\d+$/.test(s)) throw new ConvergeError('CONVERGE_FACT', `unexpected apt lists age ${JSON.stringify(s)}`);
    return { ageSeconds: Math.max(0, Number(s)), sourcesChanged: flag === 'sources-changed' };
  },
  resources: () => ['/var/lib/apt/lists', UPDATE_STAMP, ...APT_SOURCE_PATHS],
});

/** Parses `apt-get -s autoremove` (simulation) into the names it would remove. */
export function parseAutoremovable(stdout: string): string[] {
  return [...stdout.matchAll(/^Remv (\S+)/gm)].map((m) => m[1] as string).sort();
}

/**
 * Fact `apt.autoremovable`: the packages `apt-get autoremove` would remove now, from a
 * simulation (`apt-get -s`, read-only, needs no root); asked only with `autoremove: true`.
 */
export const aptAutoremovable = defineFact<Record<string, never>, string[]>({
  name: 'apt.autoremovable',
  description: 'Packages apt-get autoremove would remove (simulated).',
  command: () => sh`apt-get -s -q autoremove`,
  parse: (stdout, { exitCode, stderr }) => {
    if (exitCode !== 0) throw new ConvergeError('CONVERGE_FACT', `apt-get -s autoremove failed with exit code ${exitCode}`, { detail: stderr });
    return parseAutoremovable(stdout);
  },
  resources: () => ['/var/lib/dpkg/status', 'package:*'],
});

/** A local .deb file and the installed state of the package it holds. */
export interface DebFile {
  exists: boolean;
  package?: string;
  version?: string;
  installed?: DpkgPackage;
}

/**
 * Fact `apt.deb`: the package name and version inside a .deb on the host (dpkg-deb(1)) and
 * that package's dpkg status.
 */
export const aptDeb = defineFact<{ path: string }, DebFile>({
  name: 'apt.deb',
  description: 'Package and version in a .deb file, and its installed state.',
  command: ({ path }) =>
    sh`[ -f ${path} ] || { echo missing; exit 0; }; p=$(dpkg-deb -f -- ${path} Package) && v=$(dpkg-deb -f -- ${path} Version) || exit 1; printf 'deb\t%s\t%s\n' "$p" "$v"; dpkg-query -W -f '\${binary:Package}\\t\${Package}\\t\${Version}\\t\${db:Status-Abbrev}\\n' -- "$p" 2>/dev/null; :`,
  parse: (stdout, { exitCode, stderr, args }) => {
    if (stdout.startsWith('missing')) return { exists: false };
    const first = stdout.split('\n')[0] ?? '';
    const [tag, pkg, version] = first.split('\t');
    if (exitCode !== 0 || tag !== 'deb' || !pkg || !version) throw new ConvergeError('CONVERGE_FACT', `cannot read the package in ${args.path}`, { detail: stderr });
    const installed = parseDpkgQuery(stdout.split('\n').slice(1).join('\n'))[pkg];
    return installed ? { exists: true, package: pkg, version, installed } : { exists: true, package: pkg, version };
  },
  resources: ({ path }) => [path, '/var/lib/dpkg/status', 'package:*'],
});
