import { ConvergeError, SECRET_MASK, Secret, SecretValue, Type, defineModule, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Static } from '@converge/core';
import { applyContentWrite, contentFacts, fileDiff, planContentWrite, systemdUnit } from '@converge/modules';
import type { ContentWriteData, ContentWriteParams, FileState, UnitStatus } from '@converge/modules';
import { MAXSCALE_DEFAULTS, MaxscaleConfigModel, ObjectName, Value } from './model.js';
import type { MaxscaleConfig } from './model.js';
import { checkNames, parseMaxscaleConfig, renderMaxscaleConfig } from './render.js';
import { DEFAULT_REST_CREDENTIALS, parseMaxctrlConfig, renderMaxctrlConfig, restEndpoint, restUserInput, restUserScript } from './rest-api.js';
import { describeRuntimeChange, planRuntimeChange } from './runtime.js';
import type { RuntimeChange } from './runtime.js';

/** JSON Schema of the `maxscale.config` params: the configuration model plus where it goes and the REST API account. */
export const MaxscaleConfigParams = Type.Object(
  {
    ...MaxscaleConfigModel,
    rest_api: Type.Optional(
      Type.Object(
        {
          user: ObjectName('REST API account (type admin) that maxctrl and this module use.'),
          password: SecretValue(),
        },
        {
          additionalProperties: false,
          description:
            'The REST API / maxctrl credentials. Written to `maxctrl_config` (0600 root) for maxctrl, and made to exist on a running MaxScale through the REST API (the previous credentials or MaxScale\'s default admin:mariadb authenticate the change), after which the default `admin` account is removed. Absent: maxctrl uses MaxScale\'s default admin account.',
        },
      ),
    ),
    path: Type.Optional(Value('The configuration file. Default `/etc/maxscale.cnf` (what the package\'s maxscale.service reads).')),
    maxctrl_config: Type.Optional(Value('The maxctrl defaults file holding `rest_api` (read with `maxctrl -c`). Default `/root/.maxctrl.cnf`, so that `maxctrl` run by root needs no options.')),
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
(MaxscaleConfigParams.properties.rest_api.properties.password as { description?: string }).description = 'REST API password, a Secret.';

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
  maxctrlText?: string;
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
    ...(p.rest_api ? { maxctrlText: renderMaxctrlConfig(p.rest_api.user, p.rest_api.password.reveal(), endpoint) } : {}),
  };
  cache.set(p, d);
  return d;
}

function modelOf(p: MaxscaleConfigParams): MaxscaleConfig {
  const { rest_api: _a, path: _p, maxctrl_config: _m, unit: _u, group: _g, runtime: _r, ...model } = p;
  return model;
}

function configWrite(d: Derived): ContentWriteParams {
  return { dest: d.path, content: new Secret(d.text), mode: '0640', owner: 'root', group: d.group, validate: CONFIG_CHECK };
}

function maxctrlWrite(d: Derived): ContentWriteParams | undefined {
  return d.maxctrlText === undefined ? undefined : { dest: d.maxctrlConfig, content: new Secret(d.maxctrlText), mode: '0600', owner: 'root', group: 'root' };
}

/** Private plan data of `maxscale.config`. */
export interface MaxscaleConfigPlan {
  config?: ContentWriteData;
  maxctrl?: ContentWriteData;
  /** The REST API account to set up, with the accounts tried to authenticate the change. */
  restUser?: { fallbacks: { user: string; password: string }[] };
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
 * the service. `rest_api` sets the REST API account through the REST API itself (curl configs on
 * stdin) and writes it 0600 for maxctrl.
 *
 * Sources: MaxScale 24.02 Configuration Guide, MaxCtrl reference ("alter", "link", "create
 * server", ".maxctrl.cnf"), REST API "Users" resource.
 *
 * @example
 * maxscale.config({
 *   servers: [{ name: 'db1', address: '10.0.0.21' }, { name: 'db2', address: '10.0.0.22' }],
 *   monitor: { user: 'maxscale_monitor', password: vault('kv/data/maxscale#monitor') },
 *   service: { user: 'maxscale', password: vault('kv/data/maxscale#service') },
 *   rest_api: { user: 'ops', password: vault('kv/data/maxscale#rest') },
 * })
 */
export const maxscaleConfig = defineModule({
  name: 'maxscale.config',
  description: 'Render maxscale.cnf from a typed model, install it atomically, and apply a change through maxctrl or a restart.',
  params: MaxscaleConfigParams,
  validate: (p) => checkNames(modelOf(p)),
  facts: (p): Record<string, FactRequest> => {
    const d = derive(p);
    const f: Record<string, FactRequest> = { config: contentFacts(configWrite(d)).dest, unit: systemdUnit({ name: d.service }) };
    const m = maxctrlWrite(d);
    if (m) f.maxctrl = contentFacts(m).dest;
    return f;
  },
  plan: ({ params, facts, upstreamChanged }) => {
    const d = derive(params);
    const f = facts as { config: FileState; unit?: UnitStatus; maxctrl?: FileState };
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: MaxscaleConfigPlan = {};
    const running = isActive(f.unit) && (params.runtime ?? true);

    const m = maxctrlWrite(d);
    if (m && f.maxctrl && params.rest_api) {
      const planned = planContentWrite('maxscale.config', m, f.maxctrl, upstreamChanged);
      if (planned.changes.length > 0) {
        changes.push(...planned.changes.map((c) => ({ ...c, path: `maxctrl_config.${c.path}` })));
        diffs.push(...(planned.diffs ?? []));
        data.maxctrl = planned.data as ContentWriteData;
        if (running) {
          const previous = f.maxctrl.target?.content !== undefined ? parseMaxctrlConfig(f.maxctrl.target.content) : undefined;
          const fallbacks = [...(previous ? [previous] : []), { ...DEFAULT_REST_CREDENTIALS }].filter(
            (a, i, all) => all.findIndex((b) => b.user === a.user && b.password === a.password) === i,
          );
          data.restUser = { fallbacks };
          changes.push({ path: 'rest_api.user', before: 'other credentials', after: `${params.rest_api.user} (admin)` });
        }
      }
    }

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
    if (changes.length === 0) return { changes, reason: `${d.path}${m ? ` and ${d.maxctrlConfig}` : ''} already as rendered` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const d = derive(params);
    const data = plan.data as MaxscaleConfigPlan;
    const steps: Command[] = [];
    const m = maxctrlWrite(d);
    if (m && data.maxctrl) steps.push(...applyContentWrite(m, data.maxctrl));
    if (data.restUser && params.rest_api) {
      const wanted = { user: params.rest_api.user, password: params.rest_api.password.reveal() };
      steps.push({
        script: restUserScript(d.service, wanted.user, data.restUser.fallbacks.length),
        stdin: new Secret(restUserInput(d.endpoint, wanted, data.restUser.fallbacks)),
        description: `REST API account ${wanted.user}`,
      });
    }
    if (data.config) steps.push(...applyContentWrite(configWrite(d), data.config));
    const r = data.runtime;
    if (r && r.restart.length > 0) {
      steps.push({ script: sh`systemctl restart -- ${d.service}`, description: `restart ${d.service}` });
    } else if (r) {
      const auth = params.rest_api ? ['-c', d.maxctrlConfig] : [];
      for (const c of r.commands) {
        steps.push({ script: sh`maxctrl ${auth} --hosts ${d.endpoint} ${c.args}`, description: `maxctrl ${c.args.join(' ')}` });
      }
    }
    return steps;
  },
  resources: (p) => {
    const d = derive(p);
    return [d.path, ...(p.rest_api ? [d.maxctrlConfig] : [])];
  },
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
