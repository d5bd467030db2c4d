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
