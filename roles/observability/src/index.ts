import { join } from 'node:path';
import { checkRoleVars, defineRole, useRole } from '@converge/core';
import type { KnownVars, RoleUse, TaskContext } from '@converge/core';
import { apt, file, group, systemd, user } from '@converge/modules';
import { GRAFANA_APT, alloy } from '@converge/loki-agent';
import type { AlloyConfigParams } from '@converge/loki-agent';

/** Vars of the observability role (all under `observability`). */
export interface ObservabilityVars {
  /**
   * Grafana's APT signing key, ASCII-armored: the content of https://apt.grafana.com/gpg.key
   * (download it once, keep it with the playbook, load it with `readFileSync`).
   */
  grafana_key: string;
  /** The `alloy.config` params: sources, labels, relabel rules, multiline, Loki endpoints. */
  alloy: AlloyConfigParams;
  /** Pin Alloy to a version (`apt_preferences(5)` syntax, e.g. `1.5.*`); absent: the newest. */
  alloy_version?: string;
  /**
   * Install the `alloy` package and run its service. Default true; false leaves the repository,
   * account, groups and configuration in place for a host that gets the package another way.
   */
  install?: boolean;
}

/** Every var of {@link ObservabilityVars} (`alloy` is the `alloy.config` params, checked by its schema); complete by type. */
export const OBSERVABILITY_VARS: KnownVars<ObservabilityVars> = { grafana_key: true, alloy: true, alloy_version: true, install: true };

/**
 * A host's `observability` var, checked: undefined where the host has none.
 *
 * @throws ConvergeError `CONVERGE_VARS` for a var the role does not know ({@link OBSERVABILITY_VARS}).
 */
export function observabilityVarsOf(h: TaskContext): ObservabilityVars | undefined {
  return h.vars.observability === undefined ? undefined : checkRoleVars('observability', 'observability', h.vars.observability, OBSERVABILITY_VARS);
}

const cfg = (h: TaskContext): ObservabilityVars => observabilityVarsOf(h) as ObservabilityVars;
const installs = (h: TaskContext): boolean => cfg(h).install !== false;

/**
 * Role `observability`: Grafana Alloy shipping the journal and log files to Loki. Grafana's
 * signed APT repository (`apt.repository` with the key given in the vars, optionally pinned),
 * the `alloy` account (system user and group, as the package makes them) in `systemd-journal`
 * and `adm` so it can read the journal and /var/log, `/etc/alloy`, the configuration rendered
 * from the typed model (`alloy.config`: validated with `alloy fmt`/`alloy validate`, secrets in
 * their own 0640 root:alloy files), the `alloy` package, and the service enabled, started and
 * reloaded when the configuration changes.
 *
 * @example
 * roles: [observability({ grafana_key: readFileSync('files/grafana.asc', 'utf8'), alloy: { journal: {}, endpoints: [...] } })]
 */
export const observabilityRole = defineRole({
  name: 'observability',
  baseDir: join(import.meta.dirname, '..'),
  defaults: { observability: {} },
  tasks: [
    apt({ name: ['ca-certificates'] }, { name: 'CA certificates for https repositories' }),
    apt.repository(
      (h) => ({
        ...GRAFANA_APT,
        uris: [...GRAFANA_APT.uris],
        suites: [...GRAFANA_APT.suites],
        components: [...GRAFANA_APT.components],
        key: cfg(h).grafana_key,
        ...(cfg(h).alloy_version ? { pin: { packages: ['alloy'], version: cfg(h).alloy_version as string } } : {}),
      }),
      { name: "Grafana's APT repository" },
    ),
    group({ name: 'alloy', system: true }, { name: 'alloy group' }),
    user({ name: 'alloy', group: 'alloy', groups: ['systemd-journal', 'adm'], append: true, system: true, home: '/var/lib/alloy', create_home: false, shell: '/usr/sbin/nologin', comment: 'Alloy' }, { name: 'alloy user reads the journal and /var/log' }),
    file({ path: '/var/lib/alloy', state: 'directory', owner: 'alloy', group: 'alloy', mode: '0750' }, { name: 'Alloy storage directory' }),
    file({ path: '/etc/alloy', state: 'directory', owner: 'root', group: 'alloy', mode: '0755' }, { name: '/etc/alloy' }),
    apt({ name: 'alloy' }, { name: 'install alloy', when: installs }),
    alloy.config((h) => cfg(h).alloy, { name: 'config.alloy', notify: 'reload alloy' }),
    systemd.service({ name: 'alloy', state: 'started', enabled: true }, { name: 'alloy running and enabled', when: installs }),
  ],
  handlers: [systemd.service({ name: 'alloy', state: 'reloaded' }, { name: 'reload alloy', when: installs })],
});

/** The role with its `observability` var, typed: `roles: [observability({ ... })]`. */
export function observability(config: ObservabilityVars): RoleUse {
  return useRole(observabilityRole, { observability: config });
}

export default observabilityRole;
