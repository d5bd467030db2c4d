import { ConvergeError, type DataEndpoint } from '@converge/core';
import { countryName, EU_COUNTRIES } from './eu-countries.js';
import { endpointHost, endpointRegion } from './endpoints.js';
import { OVHCLOUD_LOCATIONS, ovhLocationCode } from './regions-ovhcloud.js';
import { SCALEWAY_REGIONS, scalewayRegion } from './regions-scaleway.js';

/** The data-residency policies converge knows: `eu`, every host and endpoint in an EU member state. */
export type DataResidencyPolicy = 'eu';

/** One host of one play, as the guard sees it before any connection. */
export interface ResidencyTarget {
  play: string;
  host: string;
  /** The host's vars for the play: inventory vars, play vars, extra vars (`--data-residency` is `dataResidency`). */
  vars: Readonly<Record<string, unknown>>;
  /** The host's tasks with the endpoints their modules declare; `undefined` when the params are known only after connecting. */
  tasks: readonly { name: string; module: string; endpoints: readonly DataEndpoint[] | undefined }[];
}

/** What {@link checkResidency} needs beside the targets: every inventory host's vars, to place endpoints that are hosts. */
export interface ResidencyContext {
  hosts: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** One broken rule: the host or task, the value and the rule. */
export interface ResidencyViolation {
  rule: 'policy' | 'host-region' | 'unknown-region' | 'endpoint' | 'unknown-endpoint' | 'endpoint-unknown-before-connecting';
  play: string;
  host: string;
  task?: string;
  value: string;
  message: string;
}

interface Placement {
  country: string;
  /** How the country was found, for messages. */
  how: string;
}

const COUNTRY = /^[A-Z]{2}$/;

/** `dataResidencyRegions` / `dataResidencyEndpoints`: names -> ISO 3166-1 alpha-2 codes, by hand. */
function declared(vars: Readonly<Record<string, unknown>>, key: string): { map: Map<string, string>; problem?: string } {
  const v = vars[key];
  const map = new Map<string, string>();
  if (v === undefined || v === null) return { map };
  if (typeof v !== 'object' || Array.isArray(v)) return { map, problem: `${key} must map names to ISO 3166-1 alpha-2 country codes` };
  for (const [name, code] of Object.entries(v)) {
    if (typeof code !== 'string' || !COUNTRY.test(code.toUpperCase())) return { map, problem: `${key}.${name} must be an ISO 3166-1 alpha-2 country code such as FR, got ${JSON.stringify(code)}` };
    map.set(name.toLowerCase(), code.toUpperCase());
  }
  return { map };
}

/**
 * Where a region is: a region declared by hand (`dataResidencyRegions`) first, then the region
 * lists of OVHcloud and Scaleway (see {@link OVHCLOUD_LOCATIONS}, {@link SCALEWAY_REGIONS});
 * `provider` (`ovhcloud`, `scaleway`) narrows the lists to one. Undefined when unknown.
 */
export function placeRegion(region: string, provider: string | undefined, byHand: ReadonlyMap<string, string>): Placement | undefined {
  const hand = byHand.get(region.toLowerCase());
  if (hand) return { country: hand, how: 'declared in dataResidencyRegions' };
  const p = provider?.toLowerCase();
  if (p === undefined || p === 'scaleway') {
    const r = scalewayRegion(region);
    if (r) return { country: (SCALEWAY_REGIONS[r] as { country: string }).country, how: `Scaleway ${r}, ${(SCALEWAY_REGIONS[r] as { place: string }).place}` };
  }
  if (p === undefined || p === 'ovhcloud' || p === 'ovh' || p === 'openstack') {
    const code = ovhLocationCode(region);
    const loc = code ? OVHCLOUD_LOCATIONS[code] : undefined;
    if (loc) return { country: loc.country, how: `OVHcloud ${loc.place}` };
  }
  return undefined;
}

/**
 * Checks a data-residency policy before any host is contacted: for each host of each play whose
 * vars say `dataResidency: eu`, the host's region (`region` var from the cloud source, or one
 * written by hand) and every endpoint its tasks send data to (backup repositories, log and
 * metrics push endpoints, as modules declare them with `endpoints`) must be in a member state of
 * the EU. An endpoint is placed by a declaration in `dataResidencyEndpoints` (host name ->
 * country), by being an inventory host (its region), or by a provider host name that says its
 * region (`s3.gra.io.cloud.ovh.net`, `s3.fr-par.scw.cloud`). Anything unknown fails closed:
 * a host without a region, a region in no list, an endpoint nobody placed, a task whose
 * endpoints are known only after connecting.
 *
 * Regions and places by hand: `dataResidencyRegions: { onprem-paris: FR }` and
 * `dataResidencyEndpoints: { loki.example.net: FR }` in the host's vars (group_vars/all).
 *
 * @returns every violation, in target order; empty when the policy holds or no host has one.
 */
export function checkResidency(targets: readonly ResidencyTarget[], ctx: ResidencyContext): ResidencyViolation[] {
  const out: ResidencyViolation[] = [];
  const seen = new Set<string>();
  const push = (v: ResidencyViolation) => {
    const key = `${v.rule}|${v.host}|${v.task ?? ''}|${v.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(v);
  };
  const inEu = (p: Placement) => Object.hasOwn(EU_COUNTRIES, p.country);
  for (const t of targets) {
    const policy = t.vars['dataResidency'];
    if (policy === undefined || policy === null || policy === false || policy === '') continue;
    const base = { play: t.play, host: t.host };
    if (policy !== 'eu') {
      push({ ...base, rule: 'policy', value: String(policy), message: `dataResidency ${JSON.stringify(policy)} is not a policy converge knows (it knows "eu")` });
      continue;
    }
    const regions = declared(t.vars, 'dataResidencyRegions');
    const endpoints = declared(t.vars, 'dataResidencyEndpoints');
    for (const problem of [regions.problem, endpoints.problem]) if (problem) push({ ...base, rule: 'policy', value: '', message: problem });

    const region = t.vars['region'];
    const provider = typeof t.vars['provider'] === 'string' ? (t.vars['provider'] as string) : undefined;
    if (typeof region !== 'string' || region === '') {
      push({ ...base, rule: 'unknown-region', value: '(none)', message: `host ${t.host} has no region: a cloud source sets one; for another host set a region var and declare it in dataResidencyRegions` });
    } else {
      const place = placeRegion(region, provider, regions.map);
      if (!place) push({ ...base, rule: 'unknown-region', value: region, message: `host ${t.host}: region ${region}${provider ? ` (${provider})` : ''} is in no region list converge has, so it cannot be shown to be in the EU` });
      else if (!inEu(place)) push({ ...base, rule: 'host-region', value: region, message: `host ${t.host}: region ${region} is in ${countryName(place.country)} (${place.how}), outside the EU` });
    }

    for (const task of t.tasks) {
      if (task.endpoints === undefined) {
        push({ ...base, task: task.name, rule: 'endpoint-unknown-before-connecting', value: task.module, message: `task "${task.name}" (${task.module}) on ${t.host}: its params depend on facts or registered results, so the endpoints it sends data to are not known before connecting` });
        continue;
      }
      for (const e of task.endpoints) {
        const host = endpointHost(e.url);
        const where = `task "${task.name}" (${task.module}) on ${t.host} sends ${e.kind} data to ${e.url}`;
        if (!host) {
          push({ ...base, task: task.name, rule: 'unknown-endpoint', value: e.url, message: `${where}, which has no host name converge can read` });
          continue;
        }
        const place = placeEndpoint(host, endpoints.map, regions.map, ctx);
        if (!place) push({ ...base, task: task.name, rule: 'unknown-endpoint', value: e.url, message: `${where}: converge cannot tell where ${host} is; declare it in dataResidencyEndpoints` });
        else if (!inEu(place)) push({ ...base, task: task.name, rule: 'endpoint', value: e.url, message: `${where}, in ${countryName(place.country)} (${place.how}), outside the EU` });
      }
    }
  }
  return out;
}

function placeEndpoint(host: string, byHand: ReadonlyMap<string, string>, regions: ReadonlyMap<string, string>, ctx: ResidencyContext): Placement | undefined {
  const hand = byHand.get(host.toLowerCase());
  if (hand) return { country: hand, how: 'declared in dataResidencyEndpoints' };
  for (const [name, vars] of ctx.hosts) {
    if (name.toLowerCase() !== host.toLowerCase() && String(vars['ansible_host'] ?? '').toLowerCase() !== host.toLowerCase()) continue;
    const region = vars['region'];
    if (typeof region !== 'string') return undefined;
    const p = placeRegion(region, typeof vars['provider'] === 'string' ? (vars['provider'] as string) : undefined, regions);
    return p ? { country: p.country, how: `inventory host ${name}, region ${region}: ${p.how}` } : undefined;
  }
  const known = endpointRegion(host);
  if (!known) return undefined;
  const p = placeRegion(known.region, known.provider, new Map());
  return p ? { country: p.country, how: p.how } : undefined;
}

/**
 * Throws when {@link checkResidency} finds violations: one `CONVERGE_RESIDENCY` error listing
 * each (host or task, value, rule), before any host is contacted.
 *
 * @throws ConvergeError `CONVERGE_RESIDENCY`.
 */
export function assertResidency(targets: readonly ResidencyTarget[], ctx: ResidencyContext): void {
  const violations = checkResidency(targets, ctx);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `- [${v.rule}] ${v.message}`);
  throw new ConvergeError('CONVERGE_RESIDENCY', `data residency "eu": ${violations.length} violation${violations.length === 1 ? '' : 's'}; no host was contacted\n${lines.join('\n')}`, {
    hint: 'move the host or endpoint into an EU region, or, for a place converge does not know, declare its country in dataResidencyRegions (regions) or dataResidencyEndpoints (endpoint host names)',
  });
}
