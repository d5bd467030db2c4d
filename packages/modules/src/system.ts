// System modules: packages, services, accounts and commands. Re-exported by the package index.
import { apt as aptPackage } from './apt/apt.js';
import { aptRepository } from './apt/repository.js';

/**
 * Module `apt` (Debian packages, see {@link aptPackage}) with the family's other module,
 * `apt.repository` (a signed third-party repository, see {@link aptRepository}).
 */
export const apt: typeof aptPackage & { readonly repository: typeof aptRepository } = Object.assign(aptPackage, { repository: aptRepository });
export { AptParams, parsePackageSpec, versionMatches } from './apt/apt.js';
export { aptRepository, AptRepositoryParams, AptPinParams, renderSources, renderPin, repositoryPaths, repositoryKeyring } from './apt/repository.js';
export type { AptRepositoryPlan } from './apt/repository.js';
export { dearmor, readPublicKeys, keyringOf, crc24 } from './apt/openpgp-key.js';
export type { OpenPgpPublicKey } from './apt/openpgp-key.js';
export type { PackageSpec, AptPlan } from './apt/apt.js';
export { aptPackages, aptCandidates, aptMissingCandidates, aptListsAge, aptAutoremovable, aptDeb, parseDpkgQuery, parseAptPolicy, parseAutoremovable, listsDue, UPDATE_STAMP, APT_SOURCE_PATHS } from './apt/package-facts.js';
export type { DpkgPackage, PackagePolicy, ListsAge, DebFile } from './apt/package-facts.js';
export { aptLockedStep, APT_LOCKS, LOCK_TIMEOUT_EXIT } from './apt/lock-wait.js';
export { systemdService, ServiceParams, enablement } from './systemd/service.js';
export type { ServicePlan } from './systemd/service.js';
export { systemdDaemonReload } from './systemd/daemon-reload.js';
export { systemdUnit, systemdUnitsNeedingReload, parseUnitStatus, parseUnitsNeedingReload, unitOnceLoaded, UNITS_CHANGED_EARLIER } from './systemd/unit-facts.js';
export type { UnitStatus } from './systemd/unit-facts.js';
export { user, UserParams, userAccount } from './user/user.js';
export type { UserAccount, UserFacts, UserAccountArgs, UserPlan } from './user/user.js';
export { group, GroupParams, groupEntry, parseGroupLine } from './group/group.js';
export type { GroupEntry } from './group/group.js';
export { command, shell, CommandParams, ShellParams } from './command/command.js';
export { commandPathExists } from './command/path-exists.js';
export type { PathExists, PathExistsArgs } from './command/path-exists.js';
/** @deprecated Import it from `@converge/core`. */
export { shlexSplit } from '@converge/core';
export { sysctl, SysctlParams, sysctlValue, editSysctlFile, procSysPath, KERNEL_PARAMETERS } from './sysctl/sysctl.js';
export type { SysctlValue } from './sysctl/sysctl.js';
export { modprobe, ModprobeParams, kernelModule, modprobeFiles } from './modprobe/modprobe.js';
export type { KernelModuleState } from './modprobe/modprobe.js';
export { hostname, HostnameParams, liveHostname } from './hostname/hostname.js';
export { timezone, TimezoneParams } from './timezone/timezone.js';
export { locale, LocaleParams, availableLocales, editLocaleGen, normalLocale } from './locale/locale.js';
export type { AvailableLocales } from './locale/locale.js';
export { cron, CronParams, userCrontab, editCrontab, cronLine, cronFilePath } from './cron/cron.js';
export type { UserCrontab } from './cron/cron.js';
export { authorizedKey, AuthorizedKeyParams, parseAuthorizedKey, formatAuthorizedKey, editAuthorizedKeys, wantedKeys } from './ssh-keys/authorized-key.js';
export type { AuthorizedKeyLine } from './ssh-keys/authorized-key.js';
export { knownHosts, KnownHostsParams, editKnownHosts, hostFieldMatches, hashHost } from './ssh-keys/known-hosts.js';
export { sshUserFile } from './ssh-keys/user-file.js';
export type { UserFile, UserFileArgs } from './ssh-keys/user-file.js';
export { pamLimits, PamLimitsParams, editLimits } from './pam-limits/pam-limits.js';
export { logrotate, LogrotateParams, renderLogrotate } from './logrotate/logrotate.js';
export { alternatives, AlternativesParams, alternativesGroup, parseAlternativesQuery } from './alternatives/alternatives.js';
export type { AlternativeGroup } from './alternatives/alternatives.js';
export { stat, StatParams, statResult } from './stat/stat.js';
