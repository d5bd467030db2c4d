import { OrSecret, Type, reveal } from '@converge/core';
import type { Secret, Static } from '@converge/core';
import { Name } from '../model.js';

/** Default API base URLs: OVHcloud Europe (API v1) and Scaleway. */
export const FAILOVER_ENDPOINTS = { ovh: 'https://eu.api.ovh.com/1.0', scaleway: 'https://api.scaleway.com' } as const;

const Word = (description: string) => Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:/@-]+$', description });
const Credential = (description: string) => OrSecret(Type.String({ minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$', description }));

/** OVHcloud: the failover (additional) IP and where it goes. */
export const OvhFailover = Type.Object(
  {
    application_key: Word('Application key (AK), sent as `X-Ovh-Application`.'),
    application_secret: Credential('Application secret (AS), used only to sign requests; a Secret.'),
    consumer_key: Credential('Consumer key (CK), sent as `X-Ovh-Consumer`; a Secret. Its access rules need the calls below (e.g. `GET /ip/*`, `POST /ip/*`).'),
    ip: Type.String({ minLength: 3, maxLength: 49, pattern: '^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$', description: 'The failover IP or block, e.g. `203.0.113.10` or `203.0.113.8/29`.' }),
    service: Type.Optional(Word('Dedicated server or VPS: the service name of THIS host (e.g. `ns1234567.ip-203-0-113.eu`); the hook calls `POST /ip/{ip}/move` with `{"to": service}`.')),
    project: Type.Optional(Word('Public Cloud: the project id (`serviceName`); with `failover_ip_id` and `instance_id` the hook calls `POST /cloud/project/{project}/ip/failover/{failover_ip_id}/attach`.')),
    failover_ip_id: Type.Optional(Word('Public Cloud: the failover IP\'s id in the project (`GET /cloud/project/{project}/ip/failover`).')),
    instance_id: Type.Optional(Word('Public Cloud: THIS host\'s instance id.')),
  },
  { additionalProperties: false, description: 'OVHcloud API v1, signed requests (provider `ovh`). Give `service`, or `project` + `failover_ip_id` + `instance_id`.' },
);

/** Scaleway: the flexible IP and where it goes. */
export const ScalewayFailover = Type.Object(
  {
    secret_key: Credential('API secret key, sent as `X-Auth-Token`; a Secret.'),
    zone: Type.String({ pattern: '^[a-z]{2}-[a-z]{3}-[0-9]$', description: 'Zone of the IP and the servers, e.g. `fr-par-1`.' }),
    ip_id: Word('The flexible IP\'s id (UUID).'),
    server_id: Type.Optional(Word('THIS host\'s server id (UUID). Required (a shared address fills it in from its `targets`).')),
    product: Type.Optional(
      Type.Union([Type.Literal('instance'), Type.Literal('elastic-metal')], {
        default: 'instance',
        description:
          '`instance`: `PATCH /instance/v1/zones/{zone}/ips/{ip_id}` with `{"server": server_id}`; `elastic-metal`: `POST /flexible-ip/v1alpha1/zones/{zone}/fips/attach` with `{"fips_ids": [ip_id], "server_id": server_id}`.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Scaleway API (provider `scaleway`).' },
);

/** The provider part of `keepalived.failover`'s params. */
export const FailoverProvider = {
  provider: Type.Union([Type.Literal('ovh'), Type.Literal('scaleway')], { description: 'Whose API moves the address.' }),
  endpoint: Type.Optional(
    Type.String({ pattern: '^https?://[A-Za-z0-9.:\\[\\]_-]+(/[A-Za-z0-9._~%/-]*)?$', description: 'API base URL. Default `https://eu.api.ovh.com/1.0` (ovh) or `https://api.scaleway.com` (scaleway).' }),
  ),
  ovh: Type.Optional(OvhFailover),
  scaleway: Type.Optional(ScalewayFailover),
  attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Tries of the move, 2 s apart. Default 3.' })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, description: 'Seconds per HTTP request. Default 10.' })),
};

const FailoverProviderSchema = Type.Object(FailoverProvider);
/** The provider settings of a failover hook. */
export type FailoverProviderParams = Static<typeof FailoverProviderSchema>;

/** One API call of the hook. */
export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path below the endpoint, already percent-encoded. */
  path: string;
  /** JSON body, compact ('' for none): exactly the bytes sent and signed. */
  body: string;
}

/** What the hook does: an optional check of where the address is, and the call that moves it. */
export interface FailoverRequests {
  /** GET whose answer, spaces removed, contains `match` when the address is already here. */
  check?: { path: string; match: string };
  move: ProviderRequest;
}

const seg = encodeURIComponent;

/**
 * The provider calls of a failover hook (pure). OVHcloud API v1 (https://eu.api.ovh.com/console,
 * "/ip" and "/cloud" sections): a dedicated server or VPS takes the IP with
 * `POST /ip/{ip}/move {"to": service}` after `GET /ip/{ip}` shows `routedTo.serviceName`; a
 * Public Cloud instance with `POST /cloud/project/{serviceName}/ip/failover/{id}/attach
 * {"instanceId": …}` after `GET …/ip/failover/{id}` shows `routedTo`. Scaleway
 * (https://www.scaleway.com/en/developers/api/instance/ips, "Update a flexible IP"; Elastic Metal
 * flexible IP API v1alpha1, "Attach an existing flexible IP to a server"): an Instance with
 * `PATCH /instance/v1/zones/{zone}/ips/{ip_id} {"server": server_id}`, an Elastic Metal server
 * with `POST /flexible-ip/v1alpha1/zones/{zone}/fips/attach {"fips_ids": [ip_id], "server_id": …}`.
 *
 * @throws Error when the params lack the provider's block (the module's validate refuses first).
 */
export function failoverRequests(p: FailoverProviderParams): FailoverRequests {
  if (p.provider === 'ovh') {
    const o = p.ovh;
    if (!o) throw new Error('ovh: missing');
    if (o.service) {
      const ip = `/ip/${seg(o.ip)}`;
      return { check: { path: ip, match: `"serviceName":${JSON.stringify(o.service)}` }, move: { method: 'POST', path: `${ip}/move`, body: JSON.stringify({ to: o.service }) } };
    }
    const base = `/cloud/project/${seg(o.project ?? '')}/ip/failover/${seg(o.failover_ip_id ?? '')}`;
    return {
      check: { path: base, match: `"routedTo":${JSON.stringify(o.instance_id)}` },
      move: { method: 'POST', path: `${base}/attach`, body: JSON.stringify({ instanceId: o.instance_id }) },
    };
  }
  const s = p.scaleway;
  if (!s) throw new Error('scaleway: missing');
  if ((s.product ?? 'instance') === 'instance') {
    const ip = `/instance/v1/zones/${seg(s.zone)}/ips/${seg(s.ip_id)}`;
    return { check: { path: ip, match: `"server":{"id":${JSON.stringify(s.server_id)}` }, move: { method: 'PATCH', path: ip, body: JSON.stringify({ server: s.server_id }) } };
  }
  const fips = `/flexible-ip/v1alpha1/zones/${seg(s.zone)}/fips`;
  return {
    check: { path: `${fips}/${seg(s.ip_id)}`, match: `"server_id":${JSON.stringify(s.server_id)}` },
    move: { method: 'POST', path: `${fips}/attach`, body: JSON.stringify({ fips_ids: [s.ip_id], server_id: s.server_id }) },
  };
}

/** Which provider fields are missing or contradictory; undefined when the params are complete. */
export function failoverProblem(p: FailoverProviderParams): string | undefined {
  if (p.provider === 'ovh') {
    if (!p.ovh) return 'ovh: required with provider ovh';
    if (p.scaleway) return 'scaleway: given with provider ovh';
    const cloud = [p.ovh.project, p.ovh.failover_ip_id, p.ovh.instance_id];
    if (p.ovh.service && cloud.some((x) => x !== undefined)) return 'ovh: give service (dedicated server, VPS) or project + failover_ip_id + instance_id (Public Cloud), not both';
    if (!p.ovh.service && cloud.some((x) => x === undefined)) return 'ovh: give service (dedicated server, VPS) or all of project, failover_ip_id and instance_id (Public Cloud)';
    return undefined;
  }
  if (!p.scaleway) return 'scaleway: required with provider scaleway';
  if (p.ovh) return 'ovh: given with provider scaleway';
  if (!p.scaleway.server_id) return 'scaleway.server_id: required (this host\'s server id)';
  return undefined;
}

/**
 * The hook's configuration file (KEY=VALUE lines, read by `files/cloud-failover.sh`), credentials
 * revealed: it is written as a Secret, 0600, root only.
 */
export function renderFailoverConfig(p: FailoverProviderParams): string {
  const r = failoverRequests(p);
  const lines = ['# Written by converge (@converge/keepalived, keepalived.failover). Local changes are overwritten.'];
  lines.push(`AUTH=${p.provider}`, `ENDPOINT=${p.endpoint ?? FAILOVER_ENDPOINTS[p.provider]}`);
  if (p.ovh) {
    lines.push(`OVH_APPLICATION_KEY=${p.ovh.application_key}`);
    lines.push(`OVH_APPLICATION_SECRET=${reveal(p.ovh.application_secret as string | Secret)}`);
    lines.push(`OVH_CONSUMER_KEY=${reveal(p.ovh.consumer_key as string | Secret)}`);
  }
  if (p.scaleway) lines.push(`SCW_SECRET_KEY=${reveal(p.scaleway.secret_key as string | Secret)}`);
  if (r.check) lines.push(`CHECK_PATH=${r.check.path}`, `CHECK_MATCH=${r.check.match}`);
  lines.push(`REQUEST_METHOD=${r.move.method}`, `REQUEST_PATH=${r.move.path}`, `REQUEST_BODY=${r.move.body}`);
  lines.push(`ATTEMPTS=${p.attempts ?? 3}`, `TIMEOUT=${p.timeout ?? 10}`);
  return `${lines.join('\n')}\n`;
}
