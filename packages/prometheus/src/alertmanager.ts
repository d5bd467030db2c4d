import { OrSecret, SECRET_MASK, SecretValue, Type, defineModule, isSecret, reveal } from '@converge/core';
import type { Secret, Static } from '@converge/core';
import type { SecretSettings } from '@converge/modules';
import { stringify } from 'yaml';
import { Duration } from './model.js';
import { ListenAddress, PathParam, applyService, applyToServiceParam, fileContent, localUrl, planService, renderDefaultsFile, serviceFacts, serviceResources } from './service-files.js';
import type { ServiceSpec } from './service-files.js';

/*
 * The typed model of alertmanager.yml, named as Alertmanager 0.25 (Debian 12) names it:
 * https://prometheus.io/docs/alerting/0.25/configuration/
 */

/** Debian 12's `prometheus-alertmanager` (0.25): its unit, files and `--help` defaults. */
export const ALERTMANAGER_DEFAULTS = {
  unit: 'prometheus-alertmanager',
  path: '/etc/prometheus/alertmanager.yml',
  defaults_file: '/etc/default/prometheus-alertmanager',
  storage_path: '/var/lib/prometheus/alertmanager/',
  listen_address: ':9093',
  port: 9093,
  group: 'prometheus',
} as const;

const Matcher = Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', description: 'A matcher: `label=value`, `label!=value`, `label=~regex`, `label!~regex`.' });
const Matchers = (description: string) => Type.Array(Matcher, { description: `${description} Alertmanager matchers, e.g. \`severity="critical"\` (checked by \`amtool check-config\`).` });
const Url = (description: string) => OrSecret(Type.String({ pattern: '^https?://[^\\s]+$', description }));

const routeFields = {
  receiver: Type.Optional(Type.String({ minLength: 1, description: 'Receiver of the alerts this route matches; default the parent\'s.' })),
  group_by: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Labels alerts are grouped by into one notification; `...` groups by every label.' })),
  group_wait: Type.Optional(Duration('How long to wait for more alerts of a new group before the first notification.')),
  group_interval: Type.Optional(Duration('How long to wait before notifying about new alerts of a group already notified.')),
  repeat_interval: Type.Optional(Duration('How long to wait before sending a notification again.')),
};
const childFields = {
  ...routeFields,
  matchers: Type.Optional(Matchers('Alerts this route takes.')),
  continue: Type.Optional(Type.Boolean({ description: 'Keep matching the following sibling routes after this one matched.' })),
};

/** A route two levels down (it has no children). */
export const LeafRoute = Type.Object(childFields, { additionalProperties: false });
/** A route under the top one. */
export const ChildRoute = Type.Object({ ...childFields, routes: Type.Optional(Type.Array(LeafRoute, { description: 'Child routes, tried in order.' })) }, { additionalProperties: false });

/** The top route: every alert enters here. */
export const Route = Type.Object(
  { ...routeFields, receiver: Type.String({ minLength: 1, description: 'Receiver of alerts no child route takes.' }), routes: Type.Optional(Type.Array(ChildRoute, { description: 'Child routes, tried in order.' })) },
  { additionalProperties: false, description: 'The routing tree (three levels: the top route, its routes, and theirs).' },
);

/** An e-mail receiver configuration (SMTP). */
export const EmailConfig = Type.Object(
  {
    to: Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', description: 'Recipients, comma-separated.' }),
    send_resolved: Type.Optional(Type.Boolean({ description: 'Also mail when the alert is resolved. Alertmanager\'s default false.' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ pattern: '^[^\\r\\n]*$' }), { description: 'Extra headers, e.g. `Subject`.' })),
  },
  { additionalProperties: false },
);

/** A webhook receiver configuration: Alertmanager POSTs its JSON payload (version 4) to the URL. */
export const WebhookConfig = Type.Object(
  {
    url: Url('Where the payload is POSTed; a Secret when it holds a token.'),
    send_resolved: Type.Optional(Type.Boolean({ description: 'Also send resolved alerts. Alertmanager\'s default true.' })),
    max_alerts: Type.Optional(Type.Integer({ minimum: 0, description: 'At most this many alerts per message (0: all), e.g. to keep an SMS short.' })),
    basic_auth: Type.Optional(Type.Object({ username: Type.String({ minLength: 1 }), password: SecretValue() }, { additionalProperties: false, description: 'HTTP basic authentication.' })),
  },
  { additionalProperties: false },
);

/** A Slack-compatible chat webhook (Slack, Mattermost, Rocket.Chat incoming webhooks). */
export const SlackConfig = Type.Object(
  {
    api_url: Url('The incoming webhook URL, usually a Secret.'),
    channel: Type.Optional(Type.String({ minLength: 1, description: 'Channel or user, e.g. `#ops`.' })),
    send_resolved: Type.Optional(Type.Boolean({ description: 'Also post resolved alerts. Alertmanager\'s default false.' })),
    title: Type.Optional(Type.String({ description: 'Message title (Go template).' })),
    text: Type.Optional(Type.String({ description: 'Message text (Go template).' })),
  },
  { additionalProperties: false },
);

/** A receiver: where notifications go. */
export const Receiver = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', description: 'Receiver name, referenced by routes.' }),
    email_configs: Type.Optional(Type.Array(EmailConfig, { description: 'E-mail through the global SMTP settings.' })),
    slack_configs: Type.Optional(Type.Array(SlackConfig, { description: 'Chat: Slack-compatible incoming webhooks.' })),
    webhook_configs: Type.Optional(
      Type.Array(WebhookConfig, { description: 'Generic webhooks: an SMS gateway or a chat bridge that takes Alertmanager\'s payload (see the README for its fields).' }),
    ),
  },
  { additionalProperties: false },
);

/** An inhibition rule: alerts matching `target_matchers` are muted while one matching `source_matchers` fires with the same `equal` labels. */
export const InhibitRule = Type.Object(
  {
    source_matchers: Matchers('The muting alerts.'),
    target_matchers: Matchers('The muted alerts.'),
    equal: Type.Optional(Type.Array(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), { description: 'Labels that must have the same value in both.' })),
  },
  { additionalProperties: false },
);

/** JSON Schema of the `alertmanager.config` params. */
export const AlertmanagerConfigParams = Type.Object(
  {
    smtp: Type.Optional(
      Type.Object(
        {
          smarthost: Type.String({ pattern: '^[^\\s]+:[0-9]{1,5}$', description: 'SMTP server `host:port`.' }),
          from: Type.String({ minLength: 3, pattern: '^[^\\r\\n]+$', description: 'Sender address.' }),
          hello: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'Name sent in HELO/EHLO; default `localhost`.' })),
          auth_username: Type.Optional(Type.String({ minLength: 1, description: 'SMTP AUTH user.' })),
          auth_password: Type.Optional(SecretValue()),
          require_tls: Type.Optional(Type.Boolean({ description: 'Require STARTTLS; Alertmanager\'s default true.' })),
        },
        { additionalProperties: false, description: 'Global SMTP settings of the e-mail receivers.' },
      ),
    ),
    resolve_timeout: Type.Optional(Duration('How long an alert without an end time stays firing after its last update; default 5m.')),
    route: Route,
    receivers: Type.Array(Receiver, { minItems: 1, description: 'Receivers; names unique.' }),
    inhibit_rules: Type.Optional(Type.Array(InhibitRule, { description: 'Inhibition rules, e.g. no HostDown-caused alerts while the host is down.' })),
    listen_address: ListenAddress('`--web.listen-address`.', ALERTMANAGER_DEFAULTS.listen_address),
    external_url: Type.Optional(Type.String({ pattern: '^https?://[^\\s"\'\\\\$`]+$', description: '`--web.external-url`: the URL users reach Alertmanager at (links in notifications).' })),
    cluster_listen_address: Type.Optional(
      Type.String({ pattern: '^([^\\s"\']*:[0-9]{1,5})?$', default: '', description: '`--cluster.listen-address` of the high-availability gossip; empty (the default here) runs one Alertmanager alone.' }),
    ),
    cluster_peers: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s"\']+:[0-9]{1,5}$' }), { description: '`--cluster.peer` of each other Alertmanager.' })),
    path: PathParam('The configuration file. Default `/etc/prometheus/alertmanager.yml`.'),
    defaults_file: PathParam('The file holding `ARGS`. Default `/etc/default/prometheus-alertmanager`.'),
    service: applyToServiceParam,
  },
  { additionalProperties: false },
);
(AlertmanagerConfigParams.properties.smtp.properties.auth_password as { description?: string }).description = 'SMTP AUTH password, a Secret.';
(WebhookConfig.properties.basic_auth.properties.password as { description?: string }).description = 'A Secret.';

/** Params of `alertmanager.config`. */
export type AlertmanagerConfigParams = Static<typeof AlertmanagerConfigParams>;

/** The rendered configuration and whether it holds a secret. */
export interface RenderedAlertmanagerConfig {
  text: string;
  secret: boolean;
}

/**
 * The settings of alertmanager.yml that may hold a secret: `smtp_auth_password`, a basic_auth
 * `password`, a webhook `url` and a chat `api_url` (both may carry a token). Their values are
 * masked in the file's diff on both sides, whatever the model holds now, so that a former value
 * does not show either; every other line shows.
 */
export const ALERTMANAGER_SECRETS: SecretSettings = {
  mask: (text) => text.replace(/^(\s*(?:- )?(?:smtp_auth_password|password|url|api_url):)[ \t]*\S.*$/gm, `$1 ${SECRET_MASK}`),
};

/**
 * Renders alertmanager.yml (pure, deterministic). Secrets are written inline (Alertmanager 0.25
 * reads a webhook URL only inline), so a configuration holding one is itself a secret: written
 * 0640 root:prometheus, compared on the controller, its secret values masked in diffs ({@link ALERTMANAGER_SECRETS}).
 */
export function renderAlertmanagerConfig(p: AlertmanagerConfigParams): RenderedAlertmanagerConfig {
  let secret = false;
  const open = (v: string | Secret): string => {
    if (isSecret(v)) secret = true;
    return reveal(v);
  };
  const doc: Record<string, unknown> = {};
  const global: Record<string, unknown> = {};
  if (p.resolve_timeout) global.resolve_timeout = p.resolve_timeout;
  if (p.smtp) {
    global.smtp_smarthost = p.smtp.smarthost;
    global.smtp_from = p.smtp.from;
    if (p.smtp.hello) global.smtp_hello = p.smtp.hello;
    if (p.smtp.auth_username) global.smtp_auth_username = p.smtp.auth_username;
    if (p.smtp.auth_password) global.smtp_auth_password = open(p.smtp.auth_password);
    if (p.smtp.require_tls !== undefined) global.smtp_require_tls = p.smtp.require_tls;
  }
  if (Object.keys(global).length) doc.global = global;
  doc.route = p.route;
  doc.receivers = p.receivers.map((r) => {
    const out: Record<string, unknown> = { name: r.name };
    if (r.email_configs?.length) out.email_configs = r.email_configs;
    if (r.slack_configs?.length) out.slack_configs = r.slack_configs.map((s) => ({ ...s, api_url: open(s.api_url) }));
    if (r.webhook_configs?.length) {
      out.webhook_configs = r.webhook_configs.map((w) => {
        const { url, basic_auth, ...rest } = w;
        return { url: open(url), ...rest, ...(basic_auth ? { http_config: { basic_auth: { username: basic_auth.username, password: open(basic_auth.password) } } } : {}) };
      });
    }
    return out;
  });
  if (p.inhibit_rules?.length) doc.inhibit_rules = p.inhibit_rules;
  return { text: `# Managed by converge (alertmanager.config).\n${stringify(doc, { lineWidth: 0 })}`, secret };
}

/** The command-line arguments of Alertmanager. */
export function alertmanagerArgs(p: AlertmanagerConfigParams): string[] {
  return [
    `--config.file=${p.path ?? ALERTMANAGER_DEFAULTS.path}`,
    `--storage.path=${ALERTMANAGER_DEFAULTS.storage_path}`,
    `--web.listen-address=${p.listen_address ?? ALERTMANAGER_DEFAULTS.listen_address}`,
    `--cluster.listen-address=${p.cluster_listen_address ?? ''}`,
    ...(p.cluster_peers ?? []).map((x) => `--cluster.peer=${x}`),
    ...(p.external_url ? [`--web.external-url=${p.external_url}`] : []),
  ];
}

const specCache = new WeakMap<object, ServiceSpec>();

function spec(p: AlertmanagerConfigParams): ServiceSpec {
  const hit = specCache.get(p);
  if (hit) return hit;
  const { text, secret } = renderAlertmanagerConfig(p);
  const s: ServiceSpec = {
    unit: ALERTMANAGER_DEFAULTS.unit,
    dirs: [],
    files: [
      {
        write: { dest: p.path ?? ALERTMANAGER_DEFAULTS.path, content: fileContent(text, secret), mode: '0640', owner: 'root', group: ALERTMANAGER_DEFAULTS.group, validate: 'amtool check-config %s' },
        effect: 'reload',
        ...(secret ? { secretSettings: ALERTMANAGER_SECRETS } : {}),
      },
      {
        write: { dest: p.defaults_file ?? ALERTMANAGER_DEFAULTS.defaults_file, content: renderDefaultsFile('alertmanager.config', 'ARGS', alertmanagerArgs(p)), mode: '0644', owner: 'root', group: 'root' },
        effect: 'restart',
      },
    ],
    reload: { kind: 'http', url: localUrl(p.listen_address ?? ALERTMANAGER_DEFAULTS.listen_address, '/-/reload') },
    apply_to_service: p.service ?? true,
  };
  specCache.set(p, s);
  return s;
}

function checkRoute(r: { receiver?: string; routes?: unknown[] }, where: string, receivers: Set<string>): string | undefined {
  if (r.receiver !== undefined && !receivers.has(r.receiver)) return `${where}.receiver: no receiver named "${r.receiver}"`;
  for (const [i, c] of ((r.routes ?? []) as { receiver?: string; routes?: unknown[] }[]).entries()) {
    const bad = checkRoute(c, `${where}.routes[${i}]`, receivers);
    if (bad) return bad;
  }
  return undefined;
}

/** Cross-field checks: unique receivers, routes naming defined receivers, e-mail only with `smtp`, a receiver that sends somewhere. */
export function checkAlertmanagerConfig(p: AlertmanagerConfigParams): string | undefined {
  const names = new Set<string>();
  for (const [i, r] of p.receivers.entries()) {
    if (names.has(r.name)) return `receivers[${i}]: a second receiver named "${r.name}"`;
    names.add(r.name);
    if (r.email_configs?.length && !p.smtp) return `receivers[${i}].email_configs: e-mail needs smtp (smarthost and from)`;
  }
  if (p.smtp && (p.smtp.auth_password === undefined) !== (p.smtp.auth_username === undefined)) return 'smtp: give auth_username and auth_password together';
  return checkRoute(p.route, 'route', names);
}

/**
 * Module `alertmanager.config`: Alertmanager of Debian's `prometheus-alertmanager` (0.25):
 * alertmanager.yml from a typed model (global SMTP settings, the routing tree with grouping,
 * receivers for e-mail, Slack-compatible chat and generic webhooks such as an SMS gateway,
 * inhibition rules), checked with `amtool check-config` on the candidate next to the live file
 * and renamed over it only when amtool accepts it (a refused file fails the task and the old one
 * keeps serving); the file is 0640 root:prometheus and, when it holds a Secret (an SMTP
 * password, a webhook URL with a token), compared on the controller with its secret values masked in the diff. Then
 * /etc/default/prometheus-alertmanager (`ARGS`). A changed configuration is reloaded through
 * `POST /-/reload` (Alertmanager answers whether it took it), changed arguments restart it.
 *
 * Sources: Alertmanager 0.25 configuration documentation; `amtool check-config`;
 * https://prometheus.io/docs/alerting/0.25/management_api/ (`/-/reload`).
 *
 * @example
 * alertmanager.config({ smtp: { smarthost: 'smtp.example.com:587', from: 'alerts@example.com' },
 *   route: { receiver: 'ops', group_by: ['alertname', 'instance'] },
 *   receivers: [{ name: 'ops', email_configs: [{ to: 'ops@example.com' }] }] })
 */
export const alertmanagerConfig = defineModule({
  name: 'alertmanager.config',
  description: 'Alertmanager: routes, receivers (e-mail, chat, webhooks), inhibition; checked with amtool, reloaded on change.',
  params: AlertmanagerConfigParams,
  validate: checkAlertmanagerConfig,
  facts: (p) => serviceFacts(spec(p)),
  plan: ({ params, facts, upstreamChanged }) => {
    const { changes, diffs, data } = planService('alertmanager.config', spec(params), facts, upstreamChanged);
    if (changes.length === 0) return { changes, reason: `${params.path ?? ALERTMANAGER_DEFAULTS.path} and arguments are as rendered` };
    return { changes, diffs, data };
  },
  apply: ({ params, plan }) => applyService(spec(params), plan.data),
  resources: (p) => serviceResources(spec(p)),
});

