import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConvergeError } from '@converge/core';
import { DocumentBuilder, safeGroupName, type InventoryDocument } from '../document.js';
import { pickAddress, type AddressChoice } from '../plugin.js';
import type { PluginConfig } from '../plugin-config.js';

/** One managed resource instance of a Terraform state: its type, address and attributes. */
export interface StateResource {
  type: string;
  /** `module.x.type.name[index]`, for messages. */
  address: string;
  attributes: Record<string, unknown>;
}

/**
 * How a resource type becomes a host: each field is an attribute path (`name`,
 * `network[0].fixed_ip_v4`, `labels.role`), or alternatives `a|b` (the first that has a value).
 */
export interface ResourceMapping {
  type: string;
  name: string;
  id?: string;
  /** Paths of the public and private addresses; a list value gives its first element. */
  address?: string;
  privateAddress?: string;
  region?: string;
  zone?: string;
  /** Provider name given to `provider` host var (e.g. `ovhcloud`); used by the residency guard. */
  provider?: string;
  /** Paths whose values (a string, or a list of strings) become groups. */
  groups?: string[];
  /** Extra host vars: var name -> attribute path. */
  vars?: Record<string, string>;
}

/** Whether an address is in a private range (RFC 1918, RFC 6598 shared space, RFC 4193 ULA). */
export function isPrivateAddress(ip: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(ip) || /^f[cd][0-9a-f]{2}:/i.test(ip);
}

/**
 * Reads every managed resource instance of a Terraform state: a state file (format version 4,
 * `resources[].instances[].attributes`) or the JSON of `terraform show -json`
 * (`values.root_module.resources[].values`, child modules included). Data sources are skipped.
 * Sources: Terraform docs, "JSON Output Format" (terraform show -json); the state file format
 * version 4 as Terraform 0.12+ writes it (`internal/states/statefile/version4.go`).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for text that is not JSON or not a state of either form.
 */
export function readStateResources(text: string, file: string): StateResource[] {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConvergeError('CONVERGE_INVENTORY', `the Terraform state is not JSON: ${(e as Error).message}`, { location: { file }, cause: e });
  }
  const out: StateResource[] = [];
  if (j && typeof j === 'object' && Array.isArray(j['resources'])) {
    if (j['version'] !== 4) {
      throw new ConvergeError('CONVERGE_INVENTORY', `Terraform state format version ${String(j['version'])} is not supported (converge reads version 4, written by Terraform 0.12 and later)`, { location: { file }, hint: 'run terraform once with a current version, or give the output of terraform show -json' });
    }
    for (const r of j['resources'] as Record<string, unknown>[]) {
      if (r['mode'] !== 'managed') continue;
      const base = `${r['module'] ? `${String(r['module'])}.` : ''}${String(r['type'])}.${String(r['name'])}`;
      for (const inst of (r['instances'] as Record<string, unknown>[] | undefined) ?? []) {
        const key = inst['index_key'];
        out.push({ type: String(r['type']), address: key === undefined ? base : `${base}[${JSON.stringify(key)}]`, attributes: (inst['attributes'] ?? {}) as Record<string, unknown> });
      }
    }
    return out;
  }
  const values = j?.['values'] as Record<string, unknown> | undefined;
  if (j && typeof j['format_version'] === 'string' && values) {
    const walk = (mod: Record<string, unknown> | undefined): void => {
      if (!mod) return;
      for (const r of (mod['resources'] as Record<string, unknown>[] | undefined) ?? []) {
        if (r['mode'] !== 'managed') continue;
        out.push({ type: String(r['type']), address: String(r['address']), attributes: (r['values'] ?? {}) as Record<string, unknown> });
      }
      for (const c of (mod['child_modules'] as Record<string, unknown>[] | undefined) ?? []) walk(c);
    };
    walk(values['root_module'] as Record<string, unknown> | undefined);
    return out;
  }
  throw new ConvergeError('CONVERGE_INVENTORY', 'not a Terraform state: expected a state file (version 4, "resources") or the output of terraform show -json ("format_version", "values")', { location: { file } });
}

/** A value at an attribute path: `a.b`, `a[0].b`; a list where a single value is wanted gives its first element. */
export function attributePath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur) && !/^\d+$/.test(part)) cur = cur[0];
    cur = (cur as Record<string, unknown>)?.[part];
  }
  return cur;
}

/** The first non-empty value of `a|b|c` paths, as text. */
function pathValue(attributes: unknown, paths: string): string | undefined {
  for (const p of paths.split('|')) {
    const v = first(attributePath(attributes, p.trim()));
    if (v !== undefined) return v;
  }
  return undefined;
}

function first(v: unknown): string | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x !== '' ? x : typeof x === 'number' ? String(x) : undefined;
}

/**
 * The built-in mappings: OVHcloud Public Cloud instances (`ovh_cloud_project_instance`, and
 * `openstack_compute_instance_v2` for instances made through OVHcloud's OpenStack), Scaleway
 * Instances and Elastic Metal servers. Attribute names from the providers' documentation:
 * ovh/terraform-provider-ovh `docs/resources/cloud_project_instance.md`, terraform-provider-openstack
 * `compute_instance_v2` (access_ip_v4, network.*.fixed_ip_v4, flavor_name, image_name), and
 * scaleway/terraform-provider-scaleway `docs/resources/instance_server.md`, `baremetal_server.md`.
 */
export const BUILTIN_MAPPINGS: readonly ResourceMapping[] = [
  { type: 'ovh_cloud_project_instance', name: 'name', id: 'id', region: 'region', provider: 'ovhcloud', vars: { ovh_project_id: 'service_name', ovh_flavor: 'flavor_name', ovh_image_id: 'image_id' } },
  { type: 'openstack_compute_instance_v2', name: 'name', id: 'id', address: 'access_ip_v4', region: 'region', zone: 'availability_zone', groups: ['tags'], vars: { openstack_flavor: 'flavor_name', openstack_image: 'image_name' } },
  { type: 'scaleway_instance_server', name: 'name', id: 'id', address: 'public_ips[0].address|public_ip', privateAddress: 'private_ips[0].address|private_ip', zone: 'zone', provider: 'scaleway', groups: ['tags'], vars: { scw_type: 'type', scw_image: 'image', scw_project_id: 'project_id' } },
  { type: 'scaleway_baremetal_server', name: 'name', id: 'id', address: 'ipv4[0].address|ips[0].address', privateAddress: 'private_ips[0].address', zone: 'zone', provider: 'scaleway', groups: ['tags'], vars: { scw_type: 'offer_name|offer', scw_image: 'os_name|os', scw_project_id: 'project_id' } },
];

/** Options of {@link stateToDocument}. */
export interface StateOptions {
  address: AddressChoice;
  hostname: 'name' | 'id';
  groupPrefix: string;
  mappings: readonly ResourceMapping[];
}

/**
 * Turns the resources of a state into an {@link InventoryDocument}: one host per resource
 * instance of a mapped type, with `ansible_host`, `provider`, `region`, `zone`,
 * `public_ipv4`/`private_ipv4`, `tf_address`, `tf_type` and the mapping's vars; groups
 * `tf` (prefix from `groupPrefix`), `tf_type_*`, `tf_region_*`, `tf_zone_*` and one per value of
 * the mapping's `groups` paths (tags).
 *
 * When a mapping names no address paths, IPv4 addresses are taken from `addresses[].ip` or
 * `network[].fixed_ip_v4` and sorted into private (RFC 1918) and public ones.
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for two hosts of the same name.
 */
export function stateToDocument(resources: readonly StateResource[], options: StateOptions, where: { file: string }): InventoryDocument {
  const doc = new DocumentBuilder();
  const g = (kind: string, value: string) => `${options.groupPrefix}${kind}_${safeGroupName(value)}`;
  const all = options.groupPrefix ? options.groupPrefix.replace(/_+$/, '') : 'tf';
  const byType = new Map(options.mappings.map((m) => [m.type, m]));
  for (const r of resources) {
    const m = byType.get(r.type);
    if (!m) continue;
    const a = r.attributes;
    let id = pathValue(a, m.id ?? 'id') ?? r.address;
    let zone = m.zone ? pathValue(a, m.zone) : undefined;
    // Scaleway ids are `zone/uuid`.
    const zoned = /^([a-z]{2}-[a-z]{3}-\d+)\/(.+)$/.exec(id);
    if (zoned) {
      zone ??= zoned[1];
      id = zoned[2] as string;
    }
    const region = (m.region ? pathValue(a, m.region) : undefined) ?? (zone && m.provider === 'scaleway' ? zone.replace(/-\d+$/, '') : undefined);
    const candidates = [
      ...(((attributePath(a, 'addresses') as { ip?: string; version?: number }[] | undefined) ?? []).filter((x) => x?.version === 4 || (x?.ip && !x.ip.includes(':'))).map((x) => x.ip)),
      ...(Array.isArray(a['network']) ? (a['network'] as { fixed_ip_v4?: string }[]).map((n) => n?.fixed_ip_v4) : []),
    ].filter((x): x is string => typeof x === 'string' && x !== '');
    const publicV4 = (m.address ? pathValue(a, m.address) : undefined) ?? candidates.find((ip) => !isPrivateAddress(ip));
    const privateV4 = (m.privateAddress ? pathValue(a, m.privateAddress) : undefined) ?? candidates.find((ip) => isPrivateAddress(ip));
    const name = options.hostname === 'id' ? id : pathValue(a, m.name);
    if (!name) continue;
    if (doc.has(name)) {
      throw new ConvergeError('CONVERGE_INVENTORY', `two Terraform resources make a host named "${name}" (${doc.ownerOf(name)} and ${r.address})`, { location: where, hint: 'set hostname: id, or map the resources to different name attributes' });
    }
    const ansibleHost = pickAddress(options.address, privateV4, publicV4);
    const vars: Record<string, unknown> = {
      ...(ansibleHost ? { ansible_host: ansibleHost } : {}),
      ...(m.provider ? { provider: m.provider } : {}),
      ...(region ? { region } : {}),
      ...(zone ? { zone } : {}),
      ...(publicV4 ? { public_ipv4: publicV4 } : {}),
      ...(privateV4 ? { private_ipv4: privateV4 } : {}),
      tf_address: r.address,
      tf_type: r.type,
      tf_id: id,
    };
    for (const [k, path] of Object.entries(m.vars ?? {})) {
      const v = path.includes('|') ? pathValue(a, path) : attributePath(a, path);
      if (v !== undefined && v !== null && v !== '') vars[k] = v;
    }
    doc.host(name, vars, r.address);
    doc.member(all, name);
    doc.member(g('type', r.type), name);
    if (region) doc.member(g('region', region), name);
    if (zone) doc.member(g('zone', zone), name);
    for (const path of m.groups ?? []) {
      const v = attributePath(a, path.replace(/\[0\]$/, ''));
      const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      for (const x of values) if (typeof x === 'string' && x !== '') doc.member(g(path.split('.').pop()?.replace(/s$/, '') ?? 'group', x), name);
    }
  }
  return doc.build();
}

const TF_KEYS = ['plugin', 'state', 'address', 'hostname', 'group_prefix', 'resources', 'builtin_resources'] as const;
const MAPPING_KEYS = ['type', 'name', 'id', 'address', 'private_address', 'region', 'zone', 'provider', 'groups', 'vars'];

/**
 * Reads a `terraform` inventory source: `state` (path of a state file or of saved
 * `terraform show -json` output, relative to the source file), the common `address`,
 * `hostname`, `group_prefix` (default `tf_`), `resources` (more mappings: `type`, `name`, `id`,
 * `address`, `private_address`, `region`, `zone`, `provider`, `groups`, `vars`, each an attribute
 * path) and `builtin_resources` (default true).
 *
 * @throws ConvergeError `CONVERGE_INVENTORY` for bad settings, an unreadable or invalid state.
 */
export async function loadTerraformSource(c: PluginConfig): Promise<InventoryDocument> {
  c.onlyKeys(TF_KEYS);
  const statePath = c.string('state');
  if (!statePath) throw c.error('state is required: the path of a Terraform state file or of terraform show -json output', []);
  const file = isAbsolute(statePath) ? statePath : resolve(dirname(c.file), statePath);
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw c.error(`cannot read the Terraform state ${file}: ${e.message}`, ['state']);
  });
  const extra = c.values['resources'] ?? [];
  if (!Array.isArray(extra)) throw c.error('resources must be a list of mappings', ['resources']);
  const mappings: ResourceMapping[] = c.boolean('builtin_resources', true) ? [...BUILTIN_MAPPINGS] : [];
  extra.forEach((m: unknown, i) => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw c.error('each entry of resources must be a mapping', ['resources', i]);
    const o = m as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!MAPPING_KEYS.includes(k)) throw c.error(`unknown key "${k}" in a resource mapping`, ['resources', i, k], `keys are ${MAPPING_KEYS.join(', ')}`);
    const str = (k: string, required = false): string | undefined => {
      const v = o[k];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v === '') throw c.error(`resources[${i}].${k} must be a non-empty string`, ['resources', i, k]);
      return v;
    };
    const groups = o['groups'] === undefined ? undefined : Array.isArray(o['groups']) && o['groups'].every((x) => typeof x === 'string') ? (o['groups'] as string[]) : c.error(`resources[${i}].groups must be a list of attribute paths`, ['resources', i, 'groups']);
    if (groups instanceof Error) throw groups;
    const vars = o['vars'];
    if (vars !== undefined && (typeof vars !== 'object' || vars === null || Array.isArray(vars) || Object.values(vars).some((v) => typeof v !== 'string'))) throw c.error(`resources[${i}].vars must map var names to attribute paths`, ['resources', i, 'vars']);
    const mapping: ResourceMapping = { type: str('type', true) as string, name: str('name', true) as string };
    for (const [k, key] of [['id', 'id'], ['address', 'address'], ['private_address', 'privateAddress'], ['region', 'region'], ['zone', 'zone'], ['provider', 'provider']] as const) {
      const v = str(k);
      if (v !== undefined) mapping[key] = v;
    }
    if (groups) mapping.groups = groups;
    if (vars) mapping.vars = vars as Record<string, string>;
    const at = mappings.findIndex((x) => x.type === mapping.type);
    if (at >= 0) mappings[at] = mapping;
    else mappings.push(mapping);
  });
  const resources = readStateResources(text, file);
  return stateToDocument(resources, { address: c.oneOf('address', ['private-first', 'private', 'public'] as const, 'private-first'), hostname: c.oneOf('hostname', ['name', 'id'] as const, 'name'), groupPrefix: c.values['group_prefix'] === '' ? '' : (c.string('group_prefix', 'tf_') as string), mappings }, { file });
}
