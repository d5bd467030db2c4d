import { Secret, Type, defineModule, isSecret, sh } from '@converge/core';
import type { Command, Static } from '@converge/core';
import { defineManagedFile } from '@converge/modules';
import type { ManagedFile } from '@converge/modules';
import { KEEPALIVED_DEFAULTS, KeepalivedConfigModel, Line, Name } from './model.js';
import type { KeepalivedConfig } from './model.js';
import { checkKeepalivedModel, maskKeepalivedSecrets, renderKeepalivedConfig } from './render.js';

/** JSON Schema of the `keepalived.config` params: the configuration model plus where and how it is installed. */
export const KeepalivedConfigParams = Type.Object(
  {
    ...KeepalivedConfigModel,
    path: Type.Optional(Line('The live configuration file. Default `/etc/keepalived/keepalived.conf` (what Debian\'s keepalived.service reads).')),
    service: Type.Optional(Name('systemd unit reloaded after a change. Default `keepalived`.')),
    reload: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Reload the running service right after a change (`systemctl reload`: SIGHUP; the master keeps its addresses). false: leave it to a handler.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `keepalived.config`. */
export type KeepalivedConfigParams = Static<typeof KeepalivedConfigParams>;

/** keepalived.conf(5) and keepalived(8): `-t` checks the file `-f` names and exits 0 only when it is usable. */
const VALIDATE = 'keepalived -t -f %s';

interface Derived {
  path: string;
  service: string;
  /** The rendered keepalived.conf. */
  text: string;
  /** True when it holds a Secret (a VRRP password). */
  secret: boolean;
}

function modelOf(p: KeepalivedConfigParams): KeepalivedConfig {
  const { path: _p, service: _s, reload: _r, ...model } = p;
  return model;
}

/**
 * keepalived.conf, checked with `keepalived -t` before it replaces the live file, then the running
 * service reloaded. keepalived runs as root and reads the file as root; peers' addresses and the
 * VRRP password are nobody else's business: 0600 root.
 */
const configFile: ManagedFile<KeepalivedConfigParams> = defineManagedFile<KeepalivedConfigParams>({
  path: (p) => p.path ?? KEEPALIVED_DEFAULTS.path,
  render: (p) => {
    const { text, secret } = renderKeepalivedConfig(modelOf(p));
    return secret ? new Secret(text, { composite: true }) : text;
  },
  mode: '0600',
  owner: 'root',
  group: 'root',
  validate: VALIDATE,
  // The configuration as it is, with the values of its password settings masked (not the whole
  // file), also when it holds no secret now (a removed setting's former value).
  secretDiff: { mask: maskKeepalivedSecrets },
  reload: (p) => {
    if (!(p.reload ?? true)) return undefined;
    const service = p.service ?? KEEPALIVED_DEFAULTS.service;
    return {
      change: { path: 'service', before: 'running', after: `reloaded (systemctl reload ${service}, when active)` },
      steps: [{ script: sh`if systemctl is-active -q -- ${service}; then systemctl reload -- ${service}; fi`, description: `reload ${service}` }],
    };
  },
});

/** The rendered file of a task's params and where it goes (pure; the rendering is done once per params object). */
export function deriveKeepalivedConfig(p: KeepalivedConfigParams): Derived {
  return { path: configFile.path(p), service: p.service ?? KEEPALIVED_DEFAULTS.service, text: configFile.text(p), secret: isSecret(configFile.content(p)) };
}

/**
 * Module `keepalived.config`: renders the VRRP model (instances, unicast peers, health-check
 * scripts, notify hooks) to keepalived.conf and installs it safely. The candidate is written next
 * to the live file (mktemp in its directory, the shared write path of `copy`), checked with
 * `keepalived -t -f CANDIDATE` (keepalived 2.2.7 exits 5 on an unknown keyword, a value out of
 * range, a missing interface or a track script it cannot run), and only then renamed over the
 * live file, mode 0600; when keepalived refuses it, the live file stays as it was and the task
 * fails with keepalived's own words. After a change the running service is reloaded
 * (`systemctl reload`: Debian's unit sends SIGHUP), which re-reads the file and keeps the
 * addresses of instances that are still master; never restarted, which would drop them.
 *
 * Sources: keepalived(8) and keepalived.conf(5) of keepalived 2.2.7 (Debian 12); Debian 12's
 * keepalived.service (`ExecReload=/bin/kill -HUP $MAINPID`).
 *
 * @example
 * keepalived.config({
 *   scripts: [{ name: 'haproxy', script: ['/usr/bin/pgrep', '-x', 'haproxy'], fall: 2, rise: 2 }],
 *   instances: [{ name: 'VI_LB', state: 'MASTER', interface: 'eth1', virtual_router_id: 51, priority: 150,
 *     unicast_src_ip: '10.0.0.11', unicast_peers: ['10.0.0.12'], authentication: vault('kv/data/lb#vrrp'),
 *     virtual_ipaddresses: [{ address: '10.0.0.100/24' }], track_scripts: [{ name: 'haproxy' }] }],
 * })
 */
export const keepalivedConfig = defineModule({
  name: 'keepalived.config',
  description: 'Render keepalived.conf from a typed VRRP model, validate it with keepalived -t, install it atomically and reload without dropping the addresses.',
  params: KeepalivedConfigParams,
  validate: (p) => checkKeepalivedModel(modelOf(p)),
  facts: (p) => ({ config: configFile.fact(p) }),
  plan: ({ params, facts, upstreamChanged }) => {
    const planned = configFile.plan(params, facts.config, { module: 'keepalived.config', upstreamChanged });
    if (!planned.write) return { changes: [], reason: `${configFile.path(params)} already as rendered` };
    return { changes: planned.changes, diffs: planned.diffs, data: planned.write };
  },
  apply: ({ params, plan }): Command[] => configFile.apply(params, plan.data),
  // Not the unit itself: a reload changes neither its file nor its state, and naming it would
  // make check mode predict a daemon-reload for a later systemd.service task of that unit.
  resources: (p) => [configFile.path(p)],
});
