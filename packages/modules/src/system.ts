// System modules: packages, services, accounts and commands. Re-exported by the package index.
export { apt, AptParams, parsePackageSpec, versionMatches } from './apt/apt.js';
export type { PackageSpec, AptPlan } from './apt/apt.js';
export { aptPackages, aptCandidates, aptMissingCandidates, aptListsAge, aptAutoremovable, aptDeb, parseDpkgQuery, parseAptPolicy, parseAutoremovable, UPDATE_STAMP } from './apt/package-facts.js';
export type { DpkgPackage, PackagePolicy, ListsAge, DebFile } from './apt/package-facts.js';
export { aptLockedStep, APT_LOCKS, LOCK_TIMEOUT_EXIT } from './apt/lock-wait.js';
export { systemdService, ServiceParams, enablement } from './systemd/service.js';
export type { ServicePlan } from './systemd/service.js';
export { systemdDaemonReload } from './systemd/daemon-reload.js';
export { systemdUnit, systemdUnitsNeedingReload, parseUnitStatus, parseUnitsNeedingReload } from './systemd/unit-facts.js';
export type { UnitStatus } from './systemd/unit-facts.js';
export { user, UserParams, userAccount } from './user/user.js';
export type { UserAccount, UserFacts, UserAccountArgs, UserPlan } from './user/user.js';
export { group, GroupParams, groupEntry, parseGroupLine } from './group/group.js';
export type { GroupEntry } from './group/group.js';
export { command, shell, CommandParams, ShellParams } from './command/command.js';
export { commandPathExists } from './command/path-exists.js';
export type { PathExists, PathExistsArgs } from './command/path-exists.js';
export { shlexSplit } from './command/shlex.js';
