import { ConvergeError, SECRET_MASK, Secret, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { defineManagedFile, systemdUnit } from '@converge/modules';
import type { ManagedFile, ManagedFileWrite, UnitStatus } from '@converge/modules';
import { MAXSCALE_DEFAULTS, MaxscaleConfigModel, ObjectName, Value } from './model.js';
import type { MaxscaleConfig } from './model.js';
import { checkNames, parseMaxscaleConfig, renderMaxscaleConfig } from './render.js';
import { restEndpoint } from './rest-api.js';
import { describeRuntimeChange, planRuntimeChange } from './runtime.js';
import type { RuntimeChange } from './runtime.js';

/** JSON Schema of the `maxscale.config` params: the configuration model plus where it goes and how changes are applied. */
export const MaxscaleConfigParams = Type.Object(
  {
    ...MaxscaleConfigModel,
    path: Type.Optional(Value('The configuration file. Default `/etc/maxscale.cnf` (what the package\'s maxscale.service reads).')),
    maxctrl_config: Type.Optional(Value('The maxctrl defaults file with the REST API credentials (`maxscale.rest_api` writes it) that the runtime changes authenticate with (`maxctrl -c`, when the file exists). Default `/root/.maxctrl.cnf`.')),
    unit: Type.Optional(ObjectName('systemd unit of MaxScale. Default `maxscale`.')),
    group: Type.Optional(ObjectName('Group that owns the configuration file (mode 0640, owner root): MaxScale runs as this group\'s user and reads the file. Default `maxscale`.')),
    runtime: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'When MaxScale is running and the file changed: apply the change at once, through maxctrl when every changed parameter allows it, else with `systemctl restart`. false: only write the file (a later restart reads it).',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `maxscale.config`. */
export type MaxscaleConfigParams = Static<typeof MaxscaleConfigParams>;

/** Run when MaxScale is installed: `maxscale --config-check` on the candidate file, as the maxscale user (MaxScale 24.02 "Command line options"). */
export const CONFIG_CHECK = 'if command -v maxscale >/dev/null 2>&1; then maxscale --config-check --user=maxscale --config=%s; fi';

interface Derived {
  path: string;
  maxctrlConfig: string;
  service: string;
  group: string;
  endpoint: string;
  /** The rendered maxscale.cnf. */
  text: string;
}

/** The rendered file and where things go, from a task's params (pure; the rendering is done once per params object). */
export function derive(p: MaxscaleConfigParams): Derived {
  return {
    path: configFile.path(p),
    maxctrlConfig: p.maxctrl_config ?? MAXSCALE_DEFAULTS.maxctrlConfig,
    service: p.unit ?? MAXSCALE_DEFAULTS.service,
    group: p.group ?? MAXSCALE_DEFAULTS.group,
    endpoint: restEndpoint(p.maxscale?.admin_host ?? MAXSCALE_DEFAULTS.adminHost, p.maxscale?.admin_port ?? MAXSCALE_DEFAULTS.adminPort),
    text: configFile.text(p),
  };
}

function modelOf(p: MaxscaleConfigParams): MaxscaleConfig {
  const { path: _p, maxctrl_config: _m, unit: _u, group: _g, runtime: _r, ...model } = p;
  return model;
}

/**
 * maxscale.cnf: it holds the monitor's and service's passwords, so it is a Secret, 0640
 * root:GROUP, and its diff masks only the password values.
 */
const configFile: ManagedFile<MaxscaleConfigParams> = defineManagedFile<MaxscaleConfigParams>({
  path: (p) => p.path ?? MAXSCALE_DEFAULTS.path,
  render: (p) => new Secret(renderMaxscaleConfig(modelOf(p)).text, { composite: true }),
  mode: '0640',
  owner: 'root',
  group: (p) => p.group ?? MAXSCALE_DEFAULTS.group,
  validate: CONFIG_CHECK,
  // The file's text is shown with every password value masked, changed or not.
  secretDiff: { mask: (text) => maskPasswords(text) },
});

/** Private plan data of `maxscale.config`. */
export interface MaxscaleConfigPlan {
  config?: ManagedFileWrite;
  runtime?: RuntimeChange;
}

const isActive = (u: UnitStatus | undefined) => u !== undefined && (u.activeState === 'active' || u.activeState === 'reloading');

/**
 * Module `maxscale.config`: renders maxscale.cnf from the typed model and installs it; applies a
 * change to a running MaxScale at runtime when it can, and restarts it otherwise.
 *
 * The file holds the monitor's and service's passwords: it is written 0640 root:maxscale
 * (MaxScale runs as `maxscale` and reads it), as a Secret (its diff masks the changed lines),
 * atomically (temp file in /etc, `maxscale --config-check` on it where MaxScale is installed,
 * then renamed over the live file; a refused candidate leaves the live file untouched).
 *
 * When MaxScale runs and the file changed, the old and new files are compared object by object
 * ({@link planRuntimeChange}, a pure function, so check mode shows exactly what will happen):
 * servers, links and monitor/service/global parameters that MaxScale changes at runtime are
 * applied with `maxctrl` (authenticated by `maxctrl_config`, no secret on a command line), and
 * anything else (a listener, the REST API address, a password, a removed parameter) restarts
 * the service.
 *
 * Sources: MaxScale 24.02 Configuration Guide, MaxCtrl reference ("alter", "link", "create
 * server", ".maxctrl.cnf"), REST API "Users" resource.
 *
 * @example
 * maxscale.config({
 *   servers: [{ name: 'db1', address: '10.0.0.21' }, { name: 'db2', address: '10.0.0.22' }],
 *   monitor: { user: 'maxscale_monitor', password: vault('kv/data/maxscale#monitor') },
 *   service: { user: 'maxscale', password: vault('kv/data/maxscale#service') },
 * })
 */
export const maxscaleConfig = defineModule({
  name: 'maxscale.config',
  description: 'Render maxscale.cnf from a typed model, install it atomically, and apply a change through maxctrl or a restart.',
  params: MaxscaleConfigParams,
  validate: (p) => checkNames(modelOf(p)),
  facts: (p) => ({ config: configFile.fact(p), unit: systemdUnit({ name: p.unit ?? MAXSCALE_DEFAULTS.service }) }),
  plan: ({ params, facts: f, upstreamChanged }) => {
    const d = derive(params);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: MaxscaleConfigPlan = {};
    const running = isActive(f.unit) && (params.runtime ?? true);

    const planned = configFile.plan(params, f.config, { module: 'maxscale.config', upstreamChanged });
    if (planned.write) {
      changes.push(...planned.changes);
      diffs.push(...planned.diffs);
      data.config = planned.write;
      if (running && planned.contentChanged) {
        const before = f.config.target?.content;
        const runtime = before !== undefined ? planRuntimeChange(safeParse(before), parseMaxscaleConfig(d.text)) : { restart: [`${d.path} was absent`], commands: [] };
        if (runtime.restart.length > 0 || runtime.commands.length > 0) {
          data.runtime = runtime;
          changes.push({ path: 'runtime', before: 'running with the previous configuration', after: describeRuntimeChange(runtime) });
        }
      }
    }
    if (changes.length === 0) return { changes, reason: `${d.path} already as rendered` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const d = derive(params);
    const data = plan.data;
    const steps: Command[] = [];
    if (data.config) steps.push(...configFile.apply(params, data.config));
    const r = data.runtime;
    if (r && r.restart.length > 0) {
      steps.push({ script: sh`systemctl restart -- ${d.service}`, description: `restart ${d.service}` });
    } else if (r) {
      for (const c of r.commands) {
        steps.push({ script: sh`if [ -f ${d.maxctrlConfig} ]; then set -- -c ${d.maxctrlConfig}; else set --; fi; maxctrl "$@" --hosts ${d.endpoint} ${c.args}`, description: `maxctrl ${c.args.join(' ')}` });
      }
    }
    return steps;
  },
  resources: (p) => [derive(p).path],
});

/** The text with the value of every password parameter replaced by the mask. */
export function maskPasswords(text: string): string {
  return text.replace(/^(\s*(?:[a-z_]*password|p)\s*=\s*).*$/gm, `$1${SECRET_MASK}`);
}

function safeParse(text: string) {
  try {
    return parseMaxscaleConfig(text);
  } catch (e) {
    throw new ConvergeError('CONVERGE_PLAN', `maxscale.config: the current file cannot be read as maxscale.cnf: ${(e as Error).message}`, { cause: e, hint: 'fix or remove the file; the next run writes it whole' });
  }
}
