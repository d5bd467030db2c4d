import pLimit from 'p-limit';
import { ConvergeError } from '@converge/core';
import { resolveCredential } from '../credentials.js';
import { DocumentBuilder, safeGroupName, type InventoryDocument } from '../document.js';
import { HttpClient } from '../http/http-client.js';
import { COMMON_KEYS, commonSettings, pickAddress, readThroughCache, type CommonSettings, type SourceContext } from '../plugin.js';
import { OVH_ENDPOINTS, OvhClient, type OvhAuth } from './client.js';

/** Kinds of OVHcloud services an `ovh` source lists. */
export type OvhService = 'public_cloud' | 'dedicated' | 'vps';

const KEYS = [...COMMON_KEYS, 'endpoint', 'oauth2_token_url', 'application_key', 'application_secret', 'consumer_key', 'client_id', 'client_secret', 'services', 'projects', 'regions'] as const;

/*
 * Response shapes, from the OVHcloud API v1 schemas (eu.api.ovh.com/1.0/cloud.json,
 * dedicated/server.json, vps.json: cloud.instance.Instance, cloud.instance.IpAddress,
 * cloud.Project, cloud.flavor.Flavor, cloud.image.Image, dedicated.server.Dedicated, vps.VPS,
 * vps.Datacenter).
 */
interface Instance {
  id: string;
  name: string;
  region: string;
  flavorId: string;
  imageId: string;
  status: string;
  ipAddresses: { ip: string; type: string; version: number; networkId?: string }[];
}
interface Project {
  project_id?: string;
  description?: string | null;
}
interface Named {
  id: string;
  name: string;
}
interface Dedicated {
  name: string;
  ip: string;
  reverse?: string | null;
  datacenter: string;
  region?: string;
  availabilityZone?: string;
  commercialRange?: string | null;
  os?: string;
  state?: string;
  serverId?: number;
}
interface Vps {
  name: string;
  displayName?: string | null;
  zone?: string;
  model?: { name?: string };
  state?: string;
}

const AUTH_HINT =
  'check the credentials (OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY, or OVH_CLIENT_ID and OVH_CLIENT_SECRET), that the consumer key was validated, and that its access rules allow GET on /cloud/project/*, /dedicated/server/* and /vps/* as the source needs; also the endpoint (ovh-eu, ovh-ca, ovh-us) of the account';

/**
 * Reads an `ovh` inventory source: OVHcloud Public Cloud instances of one or more projects,
 * dedicated servers and VPS, through the API v1, as an {@link InventoryDocument}.
 *
 * Settings (a YAML file with `plugin: ovh`, or the same keys from TypeScript): `endpoint`
 * (`ovh-eu` default, `ovh-ca`, `ovh-us`, or an API URL), credentials (`application_key`,
 * `application_secret`, `consumer_key`, or `client_id`, `client_secret` for a service account;
 * each `{ env }`, `{ file }`, `{ vault }`, defaulting to the `OVH_*` variables), `services`
 * (`public_cloud` default, `dedicated`, `vps`), `projects` (default: every project the
 * credentials see), `regions` (filter of Public Cloud regions), and the common settings
 * (`address`, `hostname`, `group_prefix`, `timeout`, `cache_ttl`, `cache_dir`).
 *
 * Each host gets `ansible_host` (the private vRack address of an instance when it has one,
 * else the public one, see `address`), `provider: ovhcloud`, `region`, `zone` where known,
 * `public_ipv4`, `public_ipv6`, `private_ipv4` and `ovh_*` vars with the service's ids and
 * metadata; groups are `ovh` and `ovh_region_*`, `ovh_type_*` (flavor, commercial range or
 * model), `ovh_image_*`, `ovh_project_*` and `ovh_service_*` (prefix from `group_prefix`).
 * OVHcloud instances carry no tags in API v1, so there are no tag groups.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for bad settings or missing credentials,
 *   `CONVERGE_CLOUD` when the API refuses or fails (see {@link HttpClient}).
 */
export async function loadOvhSource(ctx: SourceContext): Promise<InventoryDocument> {
  const c = ctx.config;
  c.onlyKeys(KEYS);
  const common = commonSettings(c, 'ovh_', ctx.env);
  const services = c.strings('services', ['public_cloud']);
  for (const [i, s] of services.entries()) {
    if (!['public_cloud', 'dedicated', 'vps'].includes(s)) throw c.error(`services: unknown service "${s}"`, ['services', i], 'services are public_cloud, dedicated and vps');
  }
  const endpointName = c.string('endpoint', 'ovh-eu') as string;
  const known = OVH_ENDPOINTS[endpointName as keyof typeof OVH_ENDPOINTS];
  if (!known && !/^https?:\/\//.test(endpointName)) throw c.error(`endpoint must be ovh-eu, ovh-ca, ovh-us or an API URL (got "${endpointName}")`, ['endpoint']);
  const apiUrl = known ? known.api : endpointName.replace(/\/+$/, '');
  const auth = await ovhAuth(ctx, known?.token);
  const projects = c.strings('projects');
  const regions = new Set(c.strings('regions').map((r) => r.toUpperCase()));

  return readThroughCache(ctx, common, async () => {
    const client = new OvhClient({ apiUrl, auth, http: new HttpClient({ provider: 'OVHcloud', timeoutMs: common.timeoutMs, authHint: AUTH_HINT }) });
    const limit = pLimit(8);
    const doc = new DocumentBuilder();
    const g = (kind: string, value: string) => `${common.groupPrefix}${kind}_${safeGroupName(value)}`;
    const all = common.groupPrefix ? common.groupPrefix.replace(/_+$/, '') : 'ovh';
    const add = (name: string, id: string, vars: Record<string, unknown>, groups: string[]) => {
      if (doc.has(name)) {
        throw new ConvergeError('CONVERGE_INVENTORY', `two OVHcloud hosts are named "${name}" (${doc.ownerOf(name)} and ${id})`, { location: c.at('hostname'), hint: 'rename one, or set hostname: id' });
      }
      doc.host(name, vars, id);
      doc.member(all, name);
      for (const grp of groups) doc.member(grp, name);
    };

    if (services.includes('public_cloud')) {
      const ids = projects.length > 0 ? projects : await client.get<string[]>('/cloud/project');
      const perProject = await Promise.all(
        ids.map(async (p) => {
          const base = `/cloud/project/${encodeURIComponent(p)}`;
          const [project, instances, flavors, images] = await Promise.all([
            limit(() => client.get<Project>(base)),
            limit(() => client.get<Instance[]>(`${base}/instance`)),
            limit(() => client.get<Named[]>(`${base}/flavor`)),
            limit(() => client.get<Named[]>(`${base}/image`)),
          ]);
          return { p, project, instances, flavors: new Map(flavors.map((f) => [f.id, f.name])), images: new Map(images.map((i) => [i.id, i.name])) };
        }),
      );
      for (const { p, project, instances, flavors, images } of perProject) {
        const projectName = project.description || p;
        for (const i of instances) {
          if (regions.size > 0 && !regions.has(i.region.toUpperCase())) continue;
          const v4 = (type: string) => i.ipAddresses.find((a) => a.type === type && a.version === 4)?.ip;
          const publicV4 = v4('public');
          const privateV4 = v4('private');
          const publicV6 = i.ipAddresses.find((a) => a.type === 'public' && a.version === 6)?.ip;
          const flavor = flavors.get(i.flavorId) ?? i.flavorId;
          const image = images.get(i.imageId) ?? i.imageId;
          const name = common.hostname === 'id' ? i.id : i.name;
          const vars = hostVars(common, `instance ${i.id}`, privateV4, publicV4, {
            provider: 'ovhcloud',
            region: i.region,
            ...(publicV4 ? { public_ipv4: publicV4 } : {}),
            ...(publicV6 ? { public_ipv6: publicV6 } : {}),
            ...(privateV4 ? { private_ipv4: privateV4 } : {}),
            ovh_service: 'public_cloud',
            ovh_project_id: p,
            ovh_project: projectName,
            ovh_instance_id: i.id,
            ovh_flavor: flavor,
            ovh_image: image,
            ovh_status: i.status,
          });
          add(name, `instance ${i.id}`, vars, [g('service', 'public_cloud'), g('region', i.region), g('type', flavor), g('image', image), g('project', projectName)]);
        }
      }
    }

    if (services.includes('dedicated')) {
      const names = await client.get<string[]>('/dedicated/server');
      const servers = await Promise.all(names.map((n) => limit(() => client.get<Dedicated>(`/dedicated/server/${encodeURIComponent(n)}`))));
      for (const s of servers) {
        const region = s.region || s.datacenter;
        const vars = hostVars(common, `dedicated server ${s.name}`, undefined, s.ip, {
          provider: 'ovhcloud',
          region,
          zone: s.availabilityZone || s.datacenter,
          public_ipv4: s.ip,
          ovh_service: 'dedicated',
          ovh_server_id: s.serverId,
          ovh_datacenter: s.datacenter,
          ...(s.commercialRange ? { ovh_type: s.commercialRange } : {}),
          ...(s.os ? { ovh_image: s.os } : {}),
          ...(s.reverse ? { ovh_reverse: s.reverse } : {}),
          ...(s.state ? { ovh_status: s.state } : {}),
        });
        const groups = [g('service', 'dedicated'), g('region', region)];
        if (s.commercialRange) groups.push(g('type', s.commercialRange));
        if (s.os) groups.push(g('image', s.os));
        add(common.hostname === 'id' ? String(s.serverId ?? s.name) : s.name, `dedicated server ${s.name}`, vars, groups);
      }
    }

    if (services.includes('vps')) {
      const names = await client.get<string[]>('/vps');
      const all = await Promise.all(
        names.map(async (n) => {
          const base = `/vps/${encodeURIComponent(n)}`;
          const [vps, dc, ips] = await Promise.all([limit(() => client.get<Vps>(base)), limit(() => client.get<{ name: string; country?: string }>(`${base}/datacenter`)), limit(() => client.get<string[]>(`${base}/ips`))]);
          return { vps, dc, ips };
        }),
      );
      for (const { vps, dc, ips } of all) {
        const publicV4 = ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
        const publicV6 = ips.find((ip) => ip.includes(':'));
        const model = vps.model?.name;
        const vars = hostVars(common, `VPS ${vps.name}`, undefined, publicV4, {
          provider: 'ovhcloud',
          region: dc.name,
          ...(vps.zone ? { zone: vps.zone } : {}),
          ...(publicV4 ? { public_ipv4: publicV4 } : {}),
          ...(publicV6 ? { public_ipv6: publicV6 } : {}),
          ovh_service: 'vps',
          ...(vps.displayName ? { ovh_display_name: vps.displayName } : {}),
          ...(model ? { ovh_type: model } : {}),
          ...(vps.state ? { ovh_status: vps.state } : {}),
        });
        const groups = [g('service', 'vps'), g('region', dc.name)];
        if (model) groups.push(g('type', model));
        add(vps.name, `VPS ${vps.name}`, vars, groups);
      }
    }
    return doc.build();
  });
}

function hostVars(common: CommonSettings, what: string, privateV4: string | undefined, publicV4: string | undefined, vars: Record<string, unknown>): Record<string, unknown> {
  const address = pickAddress(common.address, privateV4, publicV4);
  if (!address && common.address === 'private') {
    throw new ConvergeError('CONVERGE_INVENTORY', `OVHcloud ${what} has no private (vRack) address and the source says address: private`, { hint: 'attach it to the vRack, or use address: private-first' });
  }
  return { ...(address ? { ansible_host: address } : {}), ...vars };
}

async function ovhAuth(ctx: SourceContext, defaultTokenUrl: string | undefined): Promise<OvhAuth> {
  const c = ctx.config;
  const cred = (key: string, env: string) => resolveCredential(c.values[key], { name: key, envDefault: env, location: c.at(key), env: ctx.env, ...(ctx.readVault ? { readVault: ctx.readVault } : {}) });
  const plain = (key: string, env: string) => c.string(key) ?? (ctx.env[env] || undefined);
  const applicationKey = plain('application_key', 'OVH_APPLICATION_KEY');
  const clientId = plain('client_id', 'OVH_CLIENT_ID');
  if (c.values['application_key'] !== undefined && c.values['client_id'] !== undefined) {
    throw c.error('give either an application key (application_key, application_secret, consumer_key) or an OAuth2 service account (client_id, client_secret), not both', ['client_id']);
  }
  const useOauth = c.values['client_id'] !== undefined || (!applicationKey && clientId !== undefined);
  if (!useOauth && applicationKey) {
    const applicationSecret = await cred('application_secret', 'OVH_APPLICATION_SECRET');
    const consumerKey = await cred('consumer_key', 'OVH_CONSUMER_KEY');
    if (!applicationSecret || !consumerKey) {
      throw c.error(`OVHcloud credentials are incomplete: ${!applicationSecret ? 'application_secret' : 'consumer_key'} is not given and ${!applicationSecret ? 'OVH_APPLICATION_SECRET' : 'OVH_CONSUMER_KEY'} is not set`, [], 'an application key needs application_secret and consumer_key (https://help.ovhcloud.com: "First steps with the OVHcloud APIs")');
    }
    return { kind: 'application', applicationKey, applicationSecret, consumerKey };
  }
  if (clientId) {
    const clientSecret = await cred('client_secret', 'OVH_CLIENT_SECRET');
    if (!clientSecret) throw c.error('OVHcloud OAuth2 credentials are incomplete: client_secret is not given and OVH_CLIENT_SECRET is not set', []);
    const tokenUrl = c.string('oauth2_token_url') ?? defaultTokenUrl;
    if (!tokenUrl) throw c.error('oauth2_token_url is needed with an endpoint given as a URL', ['endpoint']);
    return { kind: 'oauth2', clientId, clientSecret, tokenUrl };
  }
  throw c.error('no OVHcloud credentials', [], 'set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (or OVH_CLIENT_ID and OVH_CLIENT_SECRET), or give them in the source file as { env }, { file } or { vault }');
}
