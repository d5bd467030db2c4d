import { systemdDaemonReload, systemdService } from './system.js';

export * from './files.js';
export * from './system.js';
export { requirePrerequisite, changeNotKnownYet, NOT_KNOWN_YET, predictingEarlierChanges } from './check-mode/earlier-changes.js';
export * from './fetching.js';
export * from './storage.js';
export * from './firewall.js';
export * from './tls.js';
export * from './flow.js';

/**
 * The systemd family: `systemd.service` (start, stop, restart, reload, enable, mask a unit) and
 * `systemd.daemonReload`.
 */
export const systemd: { readonly service: typeof systemdService; readonly daemonReload: typeof systemdDaemonReload } = {
  service: systemdService,
  daemonReload: systemdDaemonReload,
};
