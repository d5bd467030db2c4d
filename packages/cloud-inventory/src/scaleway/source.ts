import pLimit from 'p-limit';
import { ConvergeError, type Secret } from '@converge/core';
import { resolveCredential } from '../credentials.js';
import { DocumentBuilder, safeGroupName, type InventoryDocument } from '../document.js';
import { HttpClient } from '../http/http-client.js';
import { COMMON_KEYS, commonSettings, pickAddress, readThroughCache, type SourceContext } from '../plugin.js';

/**
 * The zones of each Scaleway region where Instances and Elastic Metal servers run.
 * Source: scaleway/scaleway-sdk-js at 3bf5ad737ccb029889146fb7e510d93abbdf0987 (2026-08-20),
 * the `LOCALITY` of `packages_generated/instance/src/v1/api.gen.ts` and
 * `packages_generated/baremetal/src/v1/api.gen.ts` (generated from Scaleway's API definitions).
 */
export const SCALEWAY_ZONES = {
  instance: { 'fr-par': ['fr-par-1', 'fr-par-2', 'fr-par-3'], 'nl-ams': ['nl-ams-1', 'nl-ams-2', 'nl-ams-3'], 'pl-waw': ['pl-waw-1', 'pl-waw-2', 'pl-waw-3'], 'it-mil': ['it-mil-1'] },
  elastic_metal: { 'fr-par': ['fr-par-1', 'fr-par-2'], 'nl-ams': ['nl-ams-1', 'nl-ams-2'], 'pl-waw': ['pl-waw-2', 'pl-waw-3'], 'it-mil': [] },
} as const satisfies Record<string, Record<string, readonly string[]>>;

/** The regions a `scaleway` source reads when it names none. */
export const DEFAULT_SCALEWAY_REGIONS = ['fr-par', 'nl-ams', 'pl-waw'] as const;

const KEYS = [...COMMON_KEYS, 'api_url', 'secret_key', 'regions', 'zones', 'services', 'project', 'tags', 'private_addresses'] as const;
const PAGE = 100;

/*
 * Response shapes, from the Scaleway API reference (www.scaleway.com/en/developers/api/instance,
 * .../elastic-metal, .../ipam) and the generated unmarshallers of scaleway-sdk-js (raw JSON
 * field names): instance.v1 Server, ServerIp, PrivateNIC; baremetal.v1 Server, IP, OS;
 * baremetal.v3 ServerPrivateNetwork; ipam.v1 IP.
 */
interface InstanceServer {
  id: string;
  name: string;
  hostname?: string;
  commercial_type: string;
  image?: { id: string; name: string } | null;
  public_ip?: { address: string } | null;
  public_ips?: { address: string; family: string }[];
  ipv6?: { address: string } | null;
  private_ip?: string | null;
  private_nics?: { id: string; private_network_id: string; ipam_ip_ids?: string[] }[];
  project: string;
  organization: string;
  state: string;
  tags: string[];
  zone: string;
}
interface MetalServer {
  id: string;
  name: string;
  offer_name: string;
  ips: { address: string; version: 'IPv4' | 'IPv6' }[];
  project_id: string;
  organization_id: string;
  status: string;
  tags: string[];
  zone: string;
  install?: { os_id: string; hostname?: string } | null;
}
interface IpamIp {
  id: string;
  address: string;
  is_ipv6: boolean;
}

const AUTH_HINT = 'check the secret key (SCW_SECRET_KEY, sent as X-Auth-Token) and that its IAM policy allows InstancesReadOnly, ElasticMetalReadOnly and IPAMReadOnly (or broader) in the projects the source reads';

/**
 * Reads a `scaleway` inventory source: Instances and Elastic Metal servers of every zone of the
 * chosen regions, with their Private Network addresses from IPAM.
 *
 * Settings: `secret_key` (`{ env }`, `{ file }`, `{ vault }`; default `SCW_SECRET_KEY`),
 * `regions` (default fr-par, nl-ams, pl-waw), `zones` (instead of every zone of the regions),
 * `services` (`instance`, `elastic_metal`; default both), `project` (a project id filter),
 * `tags` (only servers with all of them), `private_addresses` (default true: read IPAM), `api_url`
 * (default https://api.scaleway.com), and the common settings. Lists are read page by page
 * (`page`/`per_page` and `X-Total-Count` for Instances, `page`/`page_size` and `total_count`
 * for Elastic Metal and IPAM).
 *
 * Each host gets `ansible_host` (its Private Network address when it has one, else the public
 * one; see `address`), `provider: scaleway`, `region`, `zone`, `public_ipv4`, `public_ipv6`,
 * `private_ipv4`, and `scw_*` vars (ids, type, image, tags, state); groups are `scw`,
 * `scw_region_*`, `scw_zone_*`, `scw_type_*`, `scw_image_*`, `scw_project_*`, `scw_tag_*` and
 * `scw_service_*`.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for bad settings or a missing key, `CONVERGE_CLOUD`
 *   when the API refuses or fails.
 */
export async function loadScalewaySource(ctx: SourceContext): Promise<InventoryDocument> {
  const c = ctx.config;
  c.onlyKeys(KEYS);
  const common = commonSettings(c, 'scw_', ctx.env);
  const apiUrl = (c.string('api_url', 'https://api.scaleway.com') as string).replace(/\/+$/, '');
  const regions = c.strings('regions', [...DEFAULT_SCALEWAY_REGIONS]);
  for (const [i, r] of regions.entries()) {
    if (!(r in SCALEWAY_ZONES.instance)) throw c.error(`regions: unknown Scaleway region "${r}"`, ['regions', i], `regions are ${Object.keys(SCALEWAY_ZONES.instance).join(', ')}`);
  }
  const zones = c.strings('zones');
  const allZones = Object.values(SCALEWAY_ZONES.instance).flat() as string[];
  for (const [i, z] of zones.entries()) if (!allZones.includes(z)) throw c.error(`zones: unknown Scaleway zone "${z}"`, ['zones', i], `zones are ${allZones.join(', ')}`);
  const services = c.strings('services', ['instance', 'elastic_metal']);
  for (const [i, s] of services.entries()) if (s !== 'instance' && s !== 'elastic_metal') throw c.error(`services: unknown service "${s}"`, ['services', i], 'services are instance and elastic_metal');
  const project = c.string('project');
  const tags = c.strings('tags');
  const privateAddresses = c.boolean('private_addresses', true);
  const key = await resolveCredential(c.values['secret_key'], { name: 'secret_key', envDefault: 'SCW_SECRET_KEY', location: c.at('secret_key'), env: ctx.env, ...(ctx.readVault ? { readVault: ctx.readVault } : {}) });
  if (!key) throw c.error('no Scaleway secret key', [], 'set SCW_SECRET_KEY, or give secret_key as { env }, { file } or { vault }');

  const zonesOf = (service: 'instance' | 'elastic_metal'): string[] => {
    const of = regions.flatMap((r) => [...SCALEWAY_ZONES[service][r as keyof typeof SCALEWAY_ZONES.instance]]);
    return zones.length > 0 ? zones.filter((z) => (Object.values(SCALEWAY_ZONES[service]).flat() as string[]).includes(z)) : of;
  };
  const usedRegions = zones.length > 0 ? [...new Set(zones.map(regionOf))] : regions;

  return readThroughCache(ctx, common, async () => {
    const api = new ScalewayApi(apiUrl, key, new HttpClient({ provider: 'Scaleway', timeoutMs: common.timeoutMs, authHint: AUTH_HINT }));
    const limit = pLimit(8);
    const filters = { ...(project ? { project } : {}), ...(tags.length > 0 ? { tags: tags.join(',') } : {}) };
    const [instances, metal, metalNets, osNames, ipam] = await Promise.all([
      services.includes('instance') ? Promise.all(zonesOf('instance').map((z) => limit(() => api.list<InstanceServer>(`/instance/v1/zones/${z}/servers`, 'servers', filters, 'per_page')))).then((l) => l.flat()) : [],
      services.includes('elastic_metal')
        ? Promise.all(zonesOf('elastic_metal').map((z) => limit(() => api.list<MetalServer>(`/baremetal/v1/zones/${z}/servers`, 'servers', { ...(project ? { project_id: project } : {}), ...(tags.length > 0 ? { tags: tags.join(',') } : {}) }, 'page_size')))).then((l) => l.flat())
        : [],
      services.includes('elastic_metal') && privateAddresses
        ? Promise.all(zonesOf('elastic_metal').map((z) => limit(() => api.list<{ server_id: string; ipam_ip_ids?: string[] }>(`/baremetal/v3/zones/${z}/server-private-networks`, 'server_private_networks', project ? { project_id: project } : {}, 'page_size')))).then((l) => l.flat())
        : [],
      services.includes('elastic_metal') ? Promise.all(zonesOf('elastic_metal').map((z) => limit(() => api.list<{ id: string; name: string; version?: string }>(`/baremetal/v1/zones/${z}/os`, 'os', {}, 'page_size')))).then((l) => l.flat()) : [],
      privateAddresses ? Promise.all(usedRegions.map((r) => limit(() => api.list<IpamIp>(`/ipam/v1/regions/${r}/ips`, 'ips', { attached: 'true', is_ipv6: 'false', ...(project ? { project_id: project } : {}) }, 'page_size')))).then((l) => l.flat()) : [],
    ]);
    const ipamById = new Map(ipam.map((ip) => [ip.id, ip.address.replace(/\/\d+$/, '')]));
    const privateOf = (ids: readonly string[] | undefined): string | undefined => (ids ?? []).map((id) => ipamById.get(id)).find((a) => a !== undefined);
    const os = new Map(osNames.map((o) => [o.id, o.version ? `${o.name} ${o.version}` : o.name]));

    const doc = new DocumentBuilder();
    const prefix = common.groupPrefix;
    const g = (kind: string, value: string) => `${prefix}${kind}_${safeGroupName(value)}`;
    const all = prefix ? prefix.replace(/_+$/, '') : 'scw';
    const add = (name: string, id: string, vars: Record<string, unknown>, groups: string[]) => {
      if (doc.has(name)) throw new ConvergeError('CONVERGE_INVENTORY', `two Scaleway servers are named "${name}" (${doc.ownerOf(name)} and ${id})`, { location: c.at('hostname'), hint: 'rename one, or set hostname: id' });
      doc.host(name, vars, id);
      doc.member(all, name);
      for (const grp of groups) doc.member(grp, name);
    };
    const addressed = (what: string, priv: string | undefined, pub: string | undefined) => {
      const a = pickAddress(common.address, priv, pub);
      if (!a && common.address === 'private') throw new ConvergeError('CONVERGE_INVENTORY', `Scaleway ${what} has no Private Network address and the source says address: private`, { hint: 'attach it to a Private Network with IPAM, or use address: private-first' });
      return a ? { ansible_host: a } : {};
    };

    /** One server of either service, as the common fields the two APIs give. */
    const server = (x: { service: 'instance' | 'elastic_metal'; what: string; id: string; name: string; zone: string; project: string; organization: string; type: string; image: string | undefined; tags: string[]; state: string; publicV4: string | undefined; publicV6: string | undefined; privateV4: string | undefined }) => {
      const region = regionOf(x.zone);
      const vars = {
        ...addressed(`${x.what} ${x.name} (${x.id})`, x.privateV4, x.publicV4),
        provider: 'scaleway',
        region,
        zone: x.zone,
        ...(x.publicV4 ? { public_ipv4: x.publicV4 } : {}),
        ...(x.publicV6 ? { public_ipv6: x.publicV6 } : {}),
        ...(x.privateV4 ? { private_ipv4: x.privateV4 } : {}),
        scw_service: x.service,
        scw_server_id: x.id,
        scw_project_id: x.project,
        scw_organization_id: x.organization,
        scw_type: x.type,
        ...(x.image ? { scw_image: x.image } : {}),
        scw_tags: [...x.tags],
        scw_state: x.state,
      };
      const groups = [g('service', x.service), g('region', region), g('zone', x.zone), g('type', x.type), ...(x.image ? [g('image', x.image)] : []), g('project', x.project), ...x.tags.map((t) => g('tag', t))];
      add(common.hostname === 'id' ? x.id : x.name, `${x.what} ${x.id}`, vars, groups);
    };
    for (const s of instances) {
      server({
        service: 'instance',
        what: 'Instance',
        id: s.id,
        name: s.name,
        zone: s.zone,
        project: s.project,
        organization: s.organization,
        type: s.commercial_type,
        image: s.image?.name,
        tags: s.tags,
        state: s.state,
        publicV4: s.public_ips?.find((ip) => ip.family === 'inet')?.address ?? s.public_ip?.address ?? undefined,
        publicV6: s.public_ips?.find((ip) => ip.family === 'inet6')?.address ?? s.ipv6?.address ?? undefined,
        privateV4: privateOf(s.private_nics?.flatMap((n) => n.ipam_ip_ids ?? [])) ?? s.private_ip ?? undefined,
      });
    }
    const metalNics = new Map<string, string[]>();
    for (const n of metalNets) metalNics.set(n.server_id, [...(metalNics.get(n.server_id) ?? []), ...(n.ipam_ip_ids ?? [])]);
    for (const s of metal) {
      server({
        service: 'elastic_metal',
        what: 'Elastic Metal server',
        id: s.id,
        name: s.name,
        zone: s.zone,
        project: s.project_id,
        organization: s.organization_id,
        type: s.offer_name,
        image: s.install?.os_id ? (os.get(s.install.os_id) ?? s.install.os_id) : undefined,
        tags: s.tags,
        state: s.status,
        publicV4: s.ips.find((ip) => ip.version === 'IPv4')?.address,
        publicV6: s.ips.find((ip) => ip.version === 'IPv6')?.address,
        privateV4: privateOf(metalNics.get(s.id)),
      });
    }
    return doc.build();
  });
}

/** `fr-par-1` -> `fr-par`. */
function regionOf(zone: string): string {
  return zone.replace(/-\d+$/, '');
}

/** The list calls of the Scaleway APIs, page by page. */
class ScalewayApi {
  constructor(
    readonly base: string,
    readonly key: Secret,
    readonly http: HttpClient,
  ) {}

  /**
   * Every item of a paginated list: pages of 100 until the total (`X-Total-Count`, else the
   * body's `total_count`) is read or a page comes back short.
   */
  async list<T>(path: string, field: string, query: Record<string, string>, sizeParam: 'per_page' | 'page_size'): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= 10_000; page++) {
      const qs = new URLSearchParams({ ...query, page: String(page), [sizeParam]: String(PAGE) });
      const res = await this.http.request<Record<string, unknown>>({ method: 'GET', url: `${this.base}${path}?${qs}`, sign: () => ({ 'X-Auth-Token': this.key.reveal() }) });
      const items = res.body?.[field];
      if (!Array.isArray(items)) throw new ConvergeError('CONVERGE_CLOUD', `Scaleway API: GET ${path} answered without a "${field}" list`);
      out.push(...(items as T[]));
      const header = res.headers.get('x-total-count');
      const total = header !== null && /^\d+$/.test(header) ? Number(header) : typeof res.body['total_count'] === 'number' ? (res.body['total_count'] as number) : undefined;
      if (items.length < PAGE || (total !== undefined && out.length >= total)) break;
    }
    return out;
  }
}
