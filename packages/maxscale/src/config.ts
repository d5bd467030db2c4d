import { ConvergeError, SECRET_MASK, Secret, SecretValue, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { applyContentWrite, contentFacts, fileDiff, planContentWrite, systemdUnit } from '@converge/modules';
import type { ContentWriteData, ContentWriteParams, FileState, UnitStatus } from '@converge/modules';
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
  text: string;
}

const cache = new WeakMap<object, Derived>();

/** The rendered files of a task's params (pure; cached per params object). */
export function derive(p: MaxscaleConfigParams): Derived {
  const hit = cache.get(p);
  if (hit) return hit;
  const { text } = renderMaxscaleConfig(modelOf(p));
  const endpoint = restEndpoint(p.maxscale?.admin_host ?? MAXSCALE_DEFAULTS.adminHost, p.maxscale?.admin_port ?? MAXSCALE_DEFAULTS.adminPort);
  const d: Derived = {
    path: p.path ?? MAXSCALE_DEFAULTS.path,
    maxctrlConfig: p.maxctrl_config ?? MAXSCALE_DEFAULTS.maxctrlConfig,
    service: p.unit ?? MAXSCALE_DEFAULTS.service,
    group: p.group ?? MAXSCALE_DEFAULTS.group,
    endpoint,
    text,
  };
  cache.set(p, d);
  return d;
}

function modelOf(p: MaxscaleConfigParams): MaxscaleConfig {
  const { path: _p, maxctrl_config: _m, unit: _u, group: _g, runtime: _r, ...model } = p;
  return model;
}

function configWrite(d: Derived): ContentWriteParams {
  return { dest: d.path, content: new Secret(d.text, { composite: true }), mode: '0640', owner: 'root', group: d.group, validate: CONFIG_CHECK };
}


/** Private plan data of `maxscale.config`. */
export interface MaxscaleConfigPlan {
  config?: ContentWriteData;
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
  facts: (p): Record<string, FactRequest> => {
    const d = derive(p);
    return { config: contentFacts(configWrite(d)).dest, unit: systemdUnit({ name: d.service }) };
  },
  plan: ({ params, facts, upstreamChanged }) => {
    const d = derive(params);
    const f = facts as { config: FileState; unit?: UnitStatus };
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: MaxscaleConfigPlan = {};
    const running = isActive(f.unit) && (params.runtime ?? true);

    const state = f.config;
    const planned = planContentWrite('maxscale.config', configWrite(d), state, upstreamChanged);
    if (planned.changes.length > 0) {
      changes.push(...planned.changes);
      const before = state.target?.content;
      // The file's text is shown with every password value masked, changed or not.
      diffs.push(fileDiff(d.path, before === undefined ? null : maskPasswords(before), maskPasswords(d.text), 'none'));
      data.config = planned.data as ContentWriteData;
      const contentChanged = planned.changes.some((c) => c.path === 'content' || c.path === 'state');
      if (running && contentChanged) {
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
    const data = plan.data as MaxscaleConfigPlan;
    const steps: Command[] = [];
    if (data.config) steps.push(...applyContentWrite(configWrite(d), data.config));
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
