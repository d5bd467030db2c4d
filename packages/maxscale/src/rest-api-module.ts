import { Secret, SecretValue, Type, defineModule } from '@converge/core';
import type { Change, Command, FileDiff, Static } from '@converge/core';
import { defineManagedFile } from '@converge/modules';
import type { ManagedFileWrite } from '@converge/modules';
import { MAXSCALE_DEFAULTS, ObjectName, Value } from './model.js';
import { DEFAULT_REST_CREDENTIALS, parseMaxctrlConfig, renderMaxctrlConfig, restAccess, restEndpoint, restUserInput, restUserScript } from './rest-api.js';

/** JSON Schema of the `maxscale.rest_api` params. */
export const MaxscaleRestApiParams = Type.Object(
  {
    user: ObjectName('REST API account (type admin) that maxctrl and `maxscale.config` use.'),
    password: SecretValue(),
    account: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Make the account exist with this password on the running MaxScale (through its REST API, authenticated by the previous credentials or MaxScale\'s default admin:mariadb), then remove the default `admin` account. false: only write the file (a host without MaxScale yet).',
      }),
    ),
    admin_host: Type.Optional(Value('The `[maxscale]` `admin_host` (where the REST API listens). Default `127.0.0.1`.')),
    admin_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The `[maxscale]` `admin_port`. Default 8989.' })),
    maxctrl_config: Type.Optional(Value('The maxctrl defaults file written with these credentials (0600 root; `maxctrl -c`). Default `/root/.maxctrl.cnf`, so that `maxctrl` run by root needs no options.')),
    unit: Type.Optional(ObjectName('systemd unit of MaxScale. Default `maxscale`.')),
  },
  { additionalProperties: false },
);
(MaxscaleRestApiParams.properties.password as { description?: string }).description = 'REST API password, a Secret.';

/** Params of `maxscale.rest_api`. */
export type MaxscaleRestApiParams = Static<typeof MaxscaleRestApiParams>;

interface Derived {
  file: string;
  unit: string;
  endpoint: string;
}

function derive(p: MaxscaleRestApiParams): Derived {
  return {
    file: p.maxctrl_config ?? MAXSCALE_DEFAULTS.maxctrlConfig,
    unit: p.unit ?? MAXSCALE_DEFAULTS.service,
    endpoint: restEndpoint(p.admin_host ?? MAXSCALE_DEFAULTS.adminHost, p.admin_port ?? MAXSCALE_DEFAULTS.adminPort),
  };
}

/** The maxctrl defaults file: the credentials, a Secret, 0600 root (MaxCtrl refuses a file others may read). */
const maxctrlFile = defineManagedFile<MaxscaleRestApiParams>({
  path: (p) => derive(p).file,
  render: (p) => new Secret(renderMaxctrlConfig(p.user, p.password.reveal(), derive(p).endpoint), { composite: true }),
  mode: '0600',
  owner: 'root',
  group: 'root',
});

/** Private plan data of `maxscale.rest_api`. */
export interface RestApiPlan {
  file?: ManagedFileWrite;
  /** Accounts tried, in order, to authenticate setting up the wanted one. */
  fallbacks?: { user: string; password: string }[];
}

/**
 * Module `maxscale.rest_api`: the REST API / maxctrl credentials of MaxScale, as a Secret.
 *
 * Writes them to a maxctrl defaults file (`[maxctrl]` with `u`, `p`, `h`; 0600 root, as MaxCtrl
 * requires: "MaxCtrl refuses to use the file unless the rights have been removed"), and, with
 * `account`, makes the REST API account exist with that password on the running MaxScale: the fact
 * `maxscale.rest_access` asks maxctrl whether the file's credentials are accepted; when they are
 * not (or the file changes), the account is set up through the REST API ("Users" resource:
 * PATCH `/v1/users/inet/:name` or POST `/v1/users/inet`) with curl configs read from stdin,
 * authenticated by the previous file's credentials or MaxScale's default admin:mariadb; then the
 * default `admin` account is deleted, so that the well-known password no longer opens the API.
 * No credential ever appears on a command line.
 *
 * Sources: MaxScale 24.02 MaxCtrl (".maxctrl.cnf", `-c`), REST API "Users" resource.
 *
 * @example maxscale.rest_api({ user: 'ops', password: vault('kv/data/maxscale#rest') })
 */
export const maxscaleRestApi = defineModule({
  name: 'maxscale.rest_api',
  description: 'The REST API / maxctrl account of MaxScale: maxctrl defaults file and the account on the running MaxScale.',
  params: MaxscaleRestApiParams,
  facts: (p) => {
    const d = derive(p);
    return { file: maxctrlFile.fact(p), access: restAccess({ unit: d.unit, file: d.file, endpoint: d.endpoint }) };
  },
  plan: ({ params, facts: f, upstreamChanged }) => {
    const d = derive(params);
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: RestApiPlan = {};
    const planned = maxctrlFile.plan(params, f.file, { module: 'maxscale.rest_api', upstreamChanged, label: 'maxctrl_config' });
    if (planned.write) {
      changes.push(...planned.changes);
      diffs.push(...planned.diffs);
      data.file = planned.write;
    }
    const fileChanges = planned.contentChanged;
    if (params.account ?? true) {
      // Check mode: an earlier task installs or starts MaxScale; the account is set up once it runs.
      const due = f.access.state === 'denied' || (f.access.state === 'ok' && fileChanges) || ((f.access.state === 'stopped' || f.access.state === 'absent') && upstreamChanged);
      if (due) {
        const previous = f.file.target?.content !== undefined ? parseMaxctrlConfig(f.file.target.content) : undefined;
        data.fallbacks = [...(previous ? [previous] : []), { ...DEFAULT_REST_CREDENTIALS }].filter(
          (a, i, all) => all.findIndex((b) => b.user === a.user && b.password === a.password) === i,
        );
        changes.push({ path: 'account', before: f.access.state === 'ok' ? 'other credentials' : 'credentials not accepted', after: `${params.user} (admin), default admin removed` });
      }
    }
    if (changes.length === 0) {
      const why = params.account === false || f.access.state === 'ok' || f.access.state === 'denied' ? '' : f.access.state === 'stopped' ? '; MaxScale is not running, the account is set up when it runs' : '; maxctrl is not installed';
      return { changes, reason: `${d.file} holds the credentials${f.access.state === 'ok' ? ' and MaxScale accepts them' : why}` };
    }
    return { changes, diffs, data };
  },
  apply: ({ params, plan }): Command[] => {
    const d = derive(params);
    const data = plan.data;
    const steps: Command[] = [];
    if (data.file) steps.push(...maxctrlFile.apply(params, data.file));
    if (data.fallbacks) {
      const wanted = { user: params.user, password: params.password.reveal() };
      steps.push({
        script: restUserScript(d.unit, wanted.user, data.fallbacks.length),
        stdin: new Secret(restUserInput(d.endpoint, wanted, data.fallbacks), { composite: true }),
        description: `REST API account ${wanted.user}`,
      });
    }
    return steps;
  },
  resources: (p) => {
    const d = derive(p);
    return [d.file, `maxscale:rest:${d.unit}`];
  },
});
