import { Secret, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { applyContentWrite, contentFacts, fileDiff, planContentWrite } from '@converge/modules';
import type { ContentWriteData, ContentWriteParams, FileState } from '@converge/modules';
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
  text: string;
  secret: boolean;
}

const derivedCache = new WeakMap<object, Derived>();

/** The rendered file of a task's params (pure; cached per params object). */
export function deriveKeepalivedConfig(p: KeepalivedConfigParams): Derived {
  const hit = derivedCache.get(p);
  if (hit) return hit;
  const { text, secret } = renderKeepalivedConfig(modelOf(p));
  const d: Derived = { path: p.path ?? KEEPALIVED_DEFAULTS.path, service: p.service ?? KEEPALIVED_DEFAULTS.service, text, secret };
  derivedCache.set(p, d);
  return d;
}

function modelOf(p: KeepalivedConfigParams): KeepalivedConfig {
  const { path: _p, service: _s, reload: _r, ...model } = p;
  return model;
}

// keepalived runs as root and reads the file as root; peers' addresses and the VRRP password are
// nobody else's business.
function configWrite(d: Derived): ContentWriteParams {
  return { dest: d.path, content: d.secret ? new Secret(d.text, { composite: true }) : d.text, validate: VALIDATE, mode: '0600', owner: 'root', group: 'root' };
}

/** Private plan data of `keepalived.config`. */
export interface KeepalivedConfigPlan {
  config: ContentWriteData;
  reload: boolean;
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
  facts: (p) => ({ config: contentFacts(configWrite(deriveKeepalivedConfig(p))).dest }),
  plan: ({ params, facts, upstreamChanged }) => {
    const d = deriveKeepalivedConfig(params);
    const state = facts.config as FileState;
    const planned = planContentWrite('keepalived.config', configWrite(d), state, upstreamChanged);
    if (planned.changes.length === 0) return { changes: [], reason: `${d.path} already as rendered` };
    const changes: Change[] = [...planned.changes];
    // The configuration as it is, with the value of its password setting masked (not the whole file).
    const diffs: FileDiff[] = (planned.diffs ?? []).length > 0 ? [fileDiff(d.path, state.target ? (state.target.content ?? '') : null, Buffer.from(d.text, 'utf8').toString('latin1'), { mask: maskKeepalivedSecrets })] : [];
    const reload = params.reload ?? true;
    if (reload) changes.push({ path: 'service', before: 'running', after: `reloaded (systemctl reload ${d.service}, when active)` });
    return { changes, diffs, data: { config: planned.data as ContentWriteData, reload } satisfies KeepalivedConfigPlan };
  },
  apply: ({ params, plan }): Command[] => {
    const d = deriveKeepalivedConfig(params);
    const data = plan.data as KeepalivedConfigPlan;
    const steps = applyContentWrite(configWrite(d), data.config);
    if (data.reload) {
      steps.push({ script: sh`if systemctl is-active -q -- ${d.service}; then systemctl reload -- ${d.service}; fi`, description: `reload ${d.service}` });
    }
    return steps;
  },
  // Not the unit itself: a reload changes neither its file nor its state, and naming it would
  // make check mode predict a daemon-reload for a later systemd.service task of that unit.
  resources: (p) => [deriveKeepalivedConfig(p).path],
});
