import { ConvergeError, Type, defineModule, sh } from '@converge/core';
import type { Change, Static } from '@converge/core';
import { HAPROXY_DEFAULTS, Line, Name } from './model.js';
import { haproxyServersState, requireServers, runtimeResource, socketQuery } from './runtime.js';
import type { ServerAdminState } from './runtime.js';

/** JSON Schema of the `haproxy.server` module's params. */
export const HaproxyServerParams = Type.Object(
  {
    backend: Name('Backend that holds the server (haproxy.config backends[].name).'),
    server: Name('Server name in that backend (backends[].servers[].name).'),
    state: Type.Optional(
      Type.Union([Type.Literal('ready'), Type.Literal('drain'), Type.Literal('maint')], {
        description:
          '`ready`: takes traffic; `drain`: no new connections except persistent ones, still health-checked; `maint`: no traffic and no checks (runtime API `set server … state`, management guide §9.3).',
      }),
    ),
    weight: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 256, description: 'Runtime weight, 0 to 256 (`set server … weight`, compared with `srv_uweight`), e.g. a small weight for a canary.' }),
    ),
    socket: Type.Optional(Line('Runtime API socket (haproxy.config runtime_api.path). Default `/run/haproxy/admin.sock`.')),
  },
  { additionalProperties: false },
);

/** Params of `haproxy.server`. */
export type HaproxyServerParams = Static<typeof HaproxyServerParams>;

/**
 * Module `haproxy.server`: puts one server of a running HAProxy in the `ready`, `drain` or
 * `maint` state and/or gives it a runtime weight through the runtime API (`set server
 * BACKEND/SERVER state STATE`, `… weight N`, sent with socat to the admin socket), after reading
 * its current state with `show servers state BACKEND` (fact `haproxy.servers_state`): a server
 * already in the state is left alone, so the task is idempotent. The state lives in the running process only: a reload or restart brings every
 * server back to its configured state (`disabled` = maint, else ready).
 *
 * In a rolling deploy the task runs on the load balancer for each application host in turn,
 * e.g. with the engine's delegation naming the load balancer host and `server` taken from the
 * application host's vars.
 *
 * Source: HAProxy 2.6 management guide §9.3 (`set server`, `show servers state`).
 *
 * @example
 * haproxy.server({ backend: 'app', server: 'app1', state: 'drain' })
 */
export const haproxyServer = defineModule({
  name: 'haproxy.server',
  description: 'Set the runtime state (ready, drain, maint) of one HAProxy server through the admin socket.',
  params: HaproxyServerParams,
  validate: (p) => (p.state === undefined && p.weight === undefined ? 'give state, weight or both' : undefined),
  facts: (p) => ({ backend: haproxyServersState({ socket: p.socket ?? HAPROXY_DEFAULTS.socket, backend: p.backend }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const socket = p.socket ?? HAPROXY_DEFAULTS.socket;
    const state = facts.backend;
    let current: ServerAdminState;
    let weight: number | undefined;
    if (state.status !== 'ok' && state.status !== 'no-backend' && upstreamChanged) {
      // Check mode, HAProxy not installed or configured yet: a fresh process starts every
      // server that the configuration does not disable as ready, with its configured weight.
      current = 'ready';
    } else {
      const servers = requireServers(state, p.backend, socket);
      const s = servers[p.server];
      if (!s) {
        throw new ConvergeError('CONVERGE_PLAN', `haproxy.server: backend ${p.backend} has no server ${p.server} (it has: ${Object.keys(servers).join(', ') || 'none'})`, {
          hint: 'use a server name from haproxy.config backends[].servers[].name',
        });
      }
      current = s.state;
      weight = s.weight;
    }
    const changes: Change[] = [];
    if (p.state !== undefined && current !== p.state) changes.push({ path: 'state', before: current, after: p.state });
    if (p.weight !== undefined && weight !== undefined && weight !== p.weight) changes.push({ path: 'weight', before: weight, after: p.weight });
    if (changes.length === 0) return { changes, reason: `${p.backend}/${p.server} is ${current}${weight !== undefined ? `, weight ${weight}` : ''}` };
    return { changes };
  },
  apply: ({ params: p, plan }) => {
    const socket = p.socket ?? HAPROXY_DEFAULTS.socket;
    return plan.changes.map((c) => {
      const command = `set server ${p.backend}/${p.server} ${c.path} ${String(c.after)}`;
      // The runtime API answers a successful `set server` with an empty line, an error with text.
      return { script: sh`out=$(${socketQuery(socket, command)}) || exit 1; if [ -n "$(printf '%s' "$out" | tr -d '[:space:]')" ]; then printf 'haproxy: %s\\n' "$out" >&2; exit 1; fi`, description: command };
    });
  },
  resources: (p) => [runtimeResource(p.socket ?? HAPROXY_DEFAULTS.socket)],
});
