import { readFileSync } from 'node:fs';
import { ConvergeError, Secret, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { contentFile, fileState, requirePrerequisite } from '@converge/modules';
import type { ContentWriteParams, ManagedFileWrite } from '@converge/modules';
import { Line, Name } from '../model.js';
import { FailoverProvider, failoverProblem, renderFailoverConfig } from './provider-requests.js';

/** Where the hook and its configuration go unless the params say otherwise. */
export const FAILOVER_DEFAULTS = { script_path: '/usr/local/sbin/converge-cloud-failover', config_dir: '/etc/keepalived/cloud-failover' } as const;

/** JSON Schema of the `keepalived.failover` params. */
export const KeepalivedFailoverParams = Type.Object(
  {
    name: Name('The hook\'s configuration is CONFIG_DIR/NAME.conf (one per address).'),
    ...FailoverProvider,
    script_path: Type.Optional(Line('Where the hook script goes (root, 0755). Default `/usr/local/sbin/converge-cloud-failover`.')),
    config_dir: Type.Optional(Line('Directory of the hook configurations (made 0700 when missing). Default `/etc/keepalived/cloud-failover`.')),
  },
  { additionalProperties: false },
);

/** Params of `keepalived.failover`. */
export type KeepalivedFailoverParams = Static<typeof KeepalivedFailoverParams>;

let scriptText: string | undefined;
/** The hook script (`files/cloud-failover.sh` of this package), read once. */
export function failoverScript(): string {
  scriptText ??= readFileSync(new URL('../../files/cloud-failover.sh', import.meta.url), 'utf8');
  return scriptText;
}

function paths(p: KeepalivedFailoverParams): { script: string; dir: string; config: string } {
  const dir = (p.config_dir ?? FAILOVER_DEFAULTS.config_dir).replace(/\/+$/, '');
  return { script: p.script_path ?? FAILOVER_DEFAULTS.script_path, dir, config: `${dir}/${p.name}.conf` };
}

/**
 * The command keepalived runs to move the address: `[script, config]`, for a VRRP instance's
 * `notify_master`.
 *
 * @example keepalived.config({ instances: [{ ..., notify_master: failoverNotifyCommand(failover) }] })
 */
export function failoverNotifyCommand(p: Pick<KeepalivedFailoverParams, 'name' | 'script_path' | 'config_dir'>): string[] {
  const x = paths(p as KeepalivedFailoverParams);
  return [x.script, x.config];
}

function writes(p: KeepalivedFailoverParams): { script: ContentWriteParams; config: ContentWriteParams } {
  const x = paths(p);
  return {
    script: { dest: x.script, content: failoverScript(), mode: '0755', owner: 'root', group: 'root' },
    config: { dest: x.config, content: new Secret(renderFailoverConfig(p), { composite: true }), mode: '0600', owner: 'root', group: 'root' },
  };
}

/** Private plan data of `keepalived.failover`. */
export interface FailoverPlan {
  makeDir: boolean;
  script?: ManagedFileWrite;
  config?: ManagedFileWrite;
}

/**
 * Module `keepalived.failover`: the notify hook that moves a cloud provider's address to the new
 * VRRP master. On OVHcloud and Scaleway a virtual address that keepalived adds on an interface
 * moves no traffic by itself: the provider routes the public failover IP (OVHcloud failover or
 * additional IP) or flexible IP (Scaleway) to one server, and only its API changes that. This
 * module installs a small POSIX sh script (`files/cloud-failover.sh`: sh, curl, openssl; 0755,
 * root) and its configuration (`CONFIG_DIR/NAME.conf`: endpoint, credentials and the request,
 * written as a Secret, 0600, root only, in a 0700 directory); give
 * {@link failoverNotifyCommand} as the instance's `notify_master`. When run, the script checks
 * where the address is routed, and when it is not here makes the provider call (see
 * `failoverRequests`), retrying; it logs to syslog (tag `converge-cloud-failover`). Credentials
 * never appear on a command line: headers reach curl on its stdin, the OVHcloud signature is
 * computed by openssl from stdin.
 *
 * @example
 * keepalived.failover((h) => ({ name: 'www', provider: 'ovh', ovh: { application_key: 'AK',
 *   application_secret: vault('kv/data/ovh#as'), consumer_key: vault('kv/data/ovh#ck'),
 *   ip: '203.0.113.10', service: String(h.vars.ovh_service) } }))
 */
export const keepalivedFailover = defineModule({
  name: 'keepalived.failover',
  description: 'Install the keepalived notify hook that moves an OVHcloud failover IP or a Scaleway flexible IP to the new master, with its credentials in a 0600 file.',
  params: KeepalivedFailoverParams,
  validate: (p) => failoverProblem(p),
  facts: (p) => {
    const w = writes(p);
    return { dir: fileState({ path: paths(p).dir }), script: contentFile.fact(w.script), config: contentFile.fact(w.config) };
  },
  plan: ({ params, facts: f, upstreamChanged }) => {
    const x = paths(params);
    const w = writes(params);
    const module = 'keepalived.failover';
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: FailoverPlan = { makeDir: false };
    const dir = f.dir;
    if (dir.type !== 'directory' && !(dir.type === 'link' && dir.target?.type === 'directory')) {
      if (dir.type !== 'absent') throw new ConvergeError('CONVERGE_PLAN', `keepalived.failover: ${x.dir} exists and is not a directory`);
      requirePrerequisite(dir.parentExists, upstreamChanged, () =>
        new ConvergeError('CONVERGE_PLAN', `keepalived.failover: the directory of ${x.dir} does not exist`, { hint: "install keepalived first: apt({ name: 'keepalived' })" }),
      );
      data.makeDir = true;
      changes.push({ path: 'config_dir', before: 'absent', after: 'directory' });
    }
    const script = contentFile.plan(w.script, f.script, { module, upstreamChanged, label: 'script' });
    if (script.write) {
      changes.push(...script.changes);
      diffs.push(...script.diffs);
      data.script = script.write;
    }
    const config = contentFile.plan(w.config, f.config, { module, upstreamChanged, parentCreated: data.makeDir, label: 'config' });
    if (config.write) {
      changes.push(...config.changes);
      diffs.push(...config.diffs);
      data.config = config.write;
    }
    if (changes.length === 0) return { changes, reason: `${x.script} and ${x.config} in place` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const x = paths(params);
    const w = writes(params);
    const data = plan.data;
    const steps: Command[] = [];
    if (data.makeDir) steps.push({ script: sh`install -d -m 0700 -o root -g root -- ${x.dir}`, description: `create ${x.dir}` });
    if (data.script) steps.push(...contentFile.apply(w.script, data.script));
    if (data.config) steps.push(...contentFile.apply(w.config, data.config));
    return steps;
  },
  resources: (p) => {
    const x = paths(p);
    return [x.dir, x.script, x.config];
  },
});
