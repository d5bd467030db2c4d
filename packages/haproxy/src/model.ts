import { OrSecret, Type } from '@converge/core';
import type { Static } from '@converge/core';

/*
 * The typed model of haproxy.cfg. Every directive is named as in the HAProxy 2.6 configuration
 * manual (Debian 12 ships 2.6): https://docs.haproxy.org/2.6/configuration.html — section
 * numbers below refer to it.
 */

/** Values the renderer uses when a field is absent; the schema's `default`s are these. */
export const HAPROXY_DEFAULTS = {
  path: '/etc/haproxy/haproxy.cfg',
  certificates_dir: '/etc/haproxy/certs',
  service: 'haproxy',
  user: 'haproxy',
  group: 'haproxy',
  log: [{ target: '/dev/log', facility: 'local0' }],
  mode: 'http',
  options: ['httplog', 'dontlognull'],
  timeouts: { connect: '5s', client: '30s', server: '30s' },
  socket: '/run/haproxy/admin.sock',
  socketMode: '660',
  socketLevel: 'admin',
  statsBind: '*:8404',
  statsUri: '/stats',
  checkMethod: 'GET',
  checkPath: '/',
  checkStatus: '200',
} as const;

/** A proxy, server or ACL name: HAProxy allows letters, digits, `-`, `_`, `.` and `:` (§4). */
export const Name = (description: string) => Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$', description });

/** One line of configuration text (no line break, so one value cannot add directives). */
export const Line = (description: string) => Type.String({ minLength: 1, pattern: '^[^\\r\\n]*$', description });

/** An HAProxy time value (§2.5): integer milliseconds, or a number with a unit `us`, `ms`, `s`, `m`, `h`, `d`. */
export const Duration = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(us|ms|s|m|h|d)$' })], { description: `${description} HAProxy time (§2.5): integer ms or e.g. "5s".` });

const extra = (section: string) =>
  Type.Optional(
    Type.Array(Line('A raw line.'), {
      description: `Raw lines appended verbatim at the end of the ${section}: the escape hatch for directives the model lacks (validated by \`haproxy -c\` like the rest).`,
    }),
  );

const condition = {
  if: Type.Optional(Line('Condition (§7.2), e.g. `is_api` or `{ path_beg /api }`: rendered as `if COND`.')),
  unless: Type.Optional(Line('Condition rendered as `unless COND`.')),
};

const Mode = Type.Union([Type.Literal('http'), Type.Literal('tcp')], { description: 'Proxy mode (§4.2 `mode`).' });

/** The `global` section (§3). */
export const GlobalSection = Type.Object(
  {
    log: Type.Optional(
      Type.Array(
        Type.Object(
          {
            target: Line('Syslog target: a socket path (`/dev/log`) or `host:port` (§3.1 `log`).'),
            facility: Name('Syslog facility, e.g. `local0`.'),
            level: Type.Optional(Name('Highest level sent, e.g. `notice`.')),
          },
          { additionalProperties: false },
        ),
        { default: HAPROXY_DEFAULTS.log, description: 'Syslog targets (§3.1 `log`). Default `/dev/log local0`, as Debian\'s own haproxy.cfg.' },
      ),
    ),
    user: Type.Optional(Name('User the workers run as (§3.1 `user`). Default `haproxy`.')),
    group: Type.Optional(Name('Group the workers run as (§3.1 `group`). Default `haproxy`.')),
    chroot: Type.Optional(Line('Directory to chroot into after start (§3.1 `chroot`), e.g. `/var/lib/haproxy`.')),
    maxconn: Type.Optional(Type.Integer({ minimum: 1, description: 'Process-wide maximum of concurrent connections (§3.2 `maxconn`).' })),
    nbthread: Type.Optional(Type.Integer({ minimum: 1, description: 'Number of threads (§3.1 `nbthread`). Default: one per CPU.' })),
    server_state_file: Type.Optional(
      Line(
        'Keep the runtime state of servers (haproxy.server: drain, maint, weight) across reloads: haproxy.config writes `show servers state` to this file just before it reloads, and the new workers read it (§3.1 `server-state-file`, §4.2 `load-server-state-from-file global`; management guide §4). E.g. `/var/lib/haproxy/server-state`.',
      ),
    ),
    ssl_default_bind_ciphers: Type.Optional(Line('TLS ≤ 1.2 cipher list for every `bind … ssl` (§3.1 `ssl-default-bind-ciphers`).')),
    ssl_default_bind_ciphersuites: Type.Optional(Line('TLS 1.3 cipher suites for every `bind … ssl` (§3.1 `ssl-default-bind-ciphersuites`).')),
    ssl_default_bind_options: Type.Optional(Line('Options for every `bind … ssl`, e.g. `ssl-min-ver TLSv1.2 no-tls-tickets` (§3.1 `ssl-default-bind-options`).')),
    extra: extra('global section'),
  },
  { additionalProperties: false, description: 'The `global` section (§3).' },
);

/** The `defaults` section (§4). */
export const DefaultsSection = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('tcp')], { default: 'http', description: 'Default proxy mode (§4.2 `mode`). Default `http`.' })),
    log_global: Type.Optional(Type.Boolean({ default: true, description: 'Use the global log targets (§4.2 `log global`). Default true.' })),
    options: Type.Optional(
      Type.Array(Line('An option.'), { default: HAPROXY_DEFAULTS.options, description: 'Each rendered as `option X` (§4.2), e.g. `httplog`, `forwardfor`. Default `httplog`, `dontlognull`.' }),
    ),
    idle_close_on_response: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Hitless reloads for keep-alive clients (HTTP mode): the old process keeps its idle client connections open and closes each one after the response to its next request (`option idle-close-on-response`, §4.2, HAProxy 2.6 and later), instead of closing them when the reload starts, which resets a client that sends a request at that moment. Default true; false renders nothing.',
      }),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          connect: Type.Optional(Duration('`timeout connect`: wait for a TCP connection to a server. Default 5s.')),
          client: Type.Optional(Duration('`timeout client`: client inactivity. Default 30s.')),
          server: Type.Optional(Duration('`timeout server`: server inactivity. Default 30s.')),
          http_request: Type.Optional(Duration('`timeout http-request`: time to receive a complete request.')),
          http_keep_alive: Type.Optional(Duration('`timeout http-keep-alive`: wait for the next request.')),
          queue: Type.Optional(Duration('`timeout queue`: time in the queue when servers are full.')),
          check: Type.Optional(Duration('`timeout check`: extra read timeout of health checks.')),
          tunnel: Type.Optional(Duration('`timeout tunnel`: inactivity of tunnels (WebSocket).')),
        },
        { additionalProperties: false, description: 'Timeouts (§4.2 `timeout …`).' },
      ),
    ),
    retries: Type.Optional(Type.Integer({ minimum: 0, description: 'Connection retries to a server (§4.2 `retries`).' })),
    maxconn: Type.Optional(Type.Integer({ minimum: 1, description: 'Per-frontend connection limit (§4.2 `maxconn`).' })),
    extra: extra('defaults section'),
  },
  { additionalProperties: false, description: 'The `defaults` section (§4).' },
);

/** A `bind` line (§4.2 `bind`, §5.1 bind options). */
export const Bind = Type.Object(
  {
    address: Line('Listening address `[ADDR]:PORT`, e.g. `*:80`, `10.0.0.1:443`, `:::443` (§4.2 `bind`).'),
    ssl: Type.Optional(
      Type.Object(
        {
          certificates: Type.Array(Name('A certificate name.'), {
            minItems: 1,
            description: 'Names of entries of the task\'s `certificates`: each becomes `crt CERTIFICATES_DIR/NAME.pem` (§5.1 `crt`).',
          }),
          alpn: Type.Optional(Type.Array(Name('A protocol.'), { description: 'ALPN protocols, e.g. `["h2", "http/1.1"]` (§5.1 `alpn`).' })),
        },
        { additionalProperties: false, description: 'Terminate TLS on this bind (§5.1 `ssl`).' },
      ),
    ),
    options: Type.Optional(Type.Array(Line('A bind option.'), { description: 'More bind options verbatim, e.g. `v4v6`, `accept-proxy` (§5.1).' })),
  },
  { additionalProperties: false },
);

/** A frontend (§4): where clients connect and which backend serves them. */
export const Frontend = Type.Object(
  {
    name: Name('Frontend name (unique among frontends).'),
    mode: Type.Optional(Mode),
    binds: Type.Array(Bind, { minItems: 1, description: 'Listening addresses (§4.2 `bind`).' }),
    maxconn: Type.Optional(Type.Integer({ minimum: 1, description: 'Connection limit of this frontend (§4.2 `maxconn`).' })),
    options: Type.Optional(Type.Array(Line('An option.'), { description: 'Each rendered as `option X` (§4.2), e.g. `forwardfor`.' })),
    acls: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Name('ACL name.'), criterion: Line('Fetch, flags and values, e.g. `path_beg /api` (§7.1): rendered as `acl NAME CRITERION`.') },
          { additionalProperties: false },
        ),
        { description: 'Named conditions (§7 "Using ACLs"), in order.' },
      ),
    ),
    redirects: Type.Optional(
      Type.Array(
        Type.Object(
          {
            type: Type.Union([Type.Literal('location'), Type.Literal('prefix'), Type.Literal('scheme')], { description: 'Redirect kind (§4.2 `redirect`).' }),
            to: Line('The location, prefix or scheme, e.g. `https`.'),
            code: Type.Optional(
              Type.Union([Type.Literal(301), Type.Literal(302), Type.Literal(303), Type.Literal(307), Type.Literal(308)], { description: 'HTTP status. HAProxy\'s default is 302.' }),
            ),
            ...condition,
          },
          { additionalProperties: false },
        ),
        { description: 'HTTP redirects (§4.2 `redirect`), rendered before the `use_backend` rules.' },
      ),
    ),
    use_backends: Type.Optional(
      Type.Array(Type.Object({ backend: Name('Backend name.'), ...condition }, { additionalProperties: false }), {
        description: 'Backend switching rules (§4.2 `use_backend`), first match wins.',
      }),
    ),
    default_backend: Type.Optional(Name('Backend when no `use_backends` rule matches (§4.2 `default_backend`).')),
    extra: extra('frontend'),
  },
  { additionalProperties: false },
);

/** A server line of a backend (§4.2 `server`, §5.2 server options). */
export const Server = Type.Object(
  {
    name: Name('Server name (unique in its backend); what `haproxy.server` addresses.'),
    address: Line('`HOST:PORT` or `IP:PORT` (§5.2).'),
    check: Type.Optional(Type.Boolean({ description: 'Health-check this server (§5.2 `check`). Default: true when the backend has a `health_check`.' })),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 256, description: 'Relative load (§5.2 `weight`, 0 to 256; HAProxy\'s default 1).' })),
    maxconn: Type.Optional(Type.Integer({ minimum: 1, description: 'Concurrent connections to this server; more wait in the queue (§5.2 `maxconn`).' })),
    backup: Type.Optional(Type.Boolean({ description: 'Used only when every non-backup server is down (§5.2 `backup`).' })),
    disabled: Type.Optional(Type.Boolean({ description: 'Start in maintenance (§5.2 `disabled`).' })),
    options: Type.Optional(Type.Array(Line('A server option.'), { description: 'More server options verbatim, e.g. `inter 2s`, `send-proxy` (§5.2).' })),
  },
  { additionalProperties: false },
);

/** The load-balancing algorithms of §4.2 `balance`. */
export const BalanceAlgorithm = Type.Union(
  [
    Type.Literal('roundrobin'),
    Type.Literal('static-rr'),
    Type.Literal('leastconn'),
    Type.Literal('first'),
    Type.Literal('source'),
    Type.Literal('uri'),
    Type.Literal('url_param'),
    Type.Literal('hdr'),
    Type.Literal('random'),
    Type.Literal('rdp-cookie'),
  ],
  { description: 'Load-balancing algorithm (§4.2 `balance`).' },
);

/** A backend (§4): a pool of servers. */
export const Backend = Type.Object(
  {
    name: Name('Backend name (unique among backends).'),
    mode: Type.Optional(Mode),
    balance: Type.Optional(BalanceAlgorithm),
    balance_arguments: Type.Optional(Line('Arguments of the algorithm, e.g. the parameter of `url_param` or `hdr(Host)`\'s header.')),
    health_check: Type.Optional(
      Type.Object(
        {
          method: Type.Optional(Name('HTTP method of the check. Default GET.')),
          path: Type.Optional(Line('Request URI of the check. Default `/`.')),
          host: Type.Optional(Line('Host header sent with the check (HTTP/1.1).')),
          expect_status: Type.Optional(Line('Expected status: codes or ranges (`200`, `200-399`, `200,204`) give `http-check expect status`, anything else is a regex for `rstatus`. Default 200.')),
          interval: Type.Optional(Duration('Time between checks (§5.2 `inter`, HAProxy\'s default 2s).')),
          fall: Type.Optional(Type.Integer({ minimum: 1, description: 'Failed checks before a server is down (§5.2 `fall`, default 3).' })),
          rise: Type.Optional(Type.Integer({ minimum: 1, description: 'Passed checks before a server is up (§5.2 `rise`, default 2).' })),
        },
        {
          additionalProperties: false,
          description: 'HTTP health check: `option httpchk`, `http-check send meth … uri … [ver HTTP/1.1 hdr host …]`, `http-check expect status …` (§4.2), and `default-server inter/fall/rise`.',
        },
      ),
    ),
    options: Type.Optional(Type.Array(Line('An option.'), { description: 'Each rendered as `option X` (§4.2), e.g. `redispatch`.' })),
    servers: Type.Array(Server, { description: 'The servers, in order.' }),
    extra: extra('backend'),
  },
  { additionalProperties: false },
);

/** The statistics page, rendered as its own `frontend stats` (§4.2 `stats …`). */
export const StatsPage = Type.Object(
  {
    bind: Type.Optional(Line('Listening address of the page. Default `*:8404`.')),
    uri: Type.Optional(Line('Path of the page (§4.2 `stats uri`). Default `/stats`.')),
    refresh: Type.Optional(Duration('Browser refresh interval (§4.2 `stats refresh`).')),
    auth: Type.Optional(
      Type.Object(
        {
          user: Name('User name.'),
          password: OrSecret(Line('Password; a Secret keeps it out of every output (a diff shows the file with the password masked, also a former one).')),
        },
        { additionalProperties: false, description: 'HTTP basic authentication (§4.2 `stats auth`).' },
      ),
    ),
    admin: Type.Optional(Type.Boolean({ description: 'Allow changing server states from the page (`stats admin if TRUE`); only sensible with `auth`.' })),
    extra: extra('stats frontend'),
  },
  { additionalProperties: false },
);

/** The runtime API (admin socket) in `global` (§3.1 `stats socket`; management guide §9.3). */
export const RuntimeApi = Type.Object(
  {
    path: Type.Optional(Line('Socket path. Default `/run/haproxy/admin.sock` (Debian\'s).')),
    mode: Type.Optional(Type.String({ pattern: '^[0-7]{3,4}$', description: 'Permission bits of the socket. Default 660.' })),
    level: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('operator'), Type.Literal('admin')], { description: 'Command level (§5.1 `level`); `haproxy.server` needs admin. Default admin.' })),
    timeout: Type.Optional(Duration('Idle timeout of a CLI connection (§3.1 `stats timeout`).')),
  },
  { additionalProperties: false, description: 'Always rendered, with `expose-fd listeners` so that a reload hands the listening sockets over to the new workers (§5.1 `expose-fd`).' },
);

/** The whole configuration model: the sections of haproxy.cfg. */
export const HaproxyConfigModel = {
  global: Type.Optional(GlobalSection),
  defaults: Type.Optional(DefaultsSection),
  frontends: Type.Optional(Type.Array(Frontend, { description: 'Frontends, in order (§4).' })),
  backends: Type.Optional(Type.Array(Backend, { description: 'Backends, in order (§4).' })),
  stats: Type.Optional(StatsPage),
  runtime_api: Type.Optional(RuntimeApi),
};

/** The configuration as the renderer takes it. */
export const HaproxyConfig = Type.Object(HaproxyConfigModel, { additionalProperties: false });

/** A configuration model value. */
export type HaproxyConfig = Static<typeof HaproxyConfig>;
export type HaproxyFrontend = Static<typeof Frontend>;
export type HaproxyBackend = Static<typeof Backend>;
export type HaproxyServer = Static<typeof Server>;
