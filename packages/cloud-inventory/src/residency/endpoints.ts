/**
 * The provider region of a well-known endpoint host name, when the name says it:
 * - OVHcloud Object Storage `s3.<region>.io.cloud.ovh.net`, the legacy
 *   `s3.<region>.perf.cloud.ovh.net` and `s3.<region>.cloud.ovh.net`, with or without a bucket
 *   in front (virtual-host style). Source: OVHcloud, "Object Storage - Endpoints and Object
 *   Storage geoavailability" (updated 2026-02-03).
 * - Scaleway services under `<region>.scw.cloud`: Object Storage `s3.<region>.scw.cloud`
 *   (`<bucket>.s3.<region>.scw.cloud`), Cockpit push endpoints
 *   `<id>.logs.cockpit.<region>.scw.cloud` and `<id>.metrics.cockpit.<region>.scw.cloud`.
 *   Source: Scaleway docs, "Object Storage - Endpoints" and "Cockpit - Push data".
 * Other hosts are unknown: declare them with `dataResidencyEndpoints`.
 */
export function endpointRegion(host: string): { provider: 'ovhcloud' | 'scaleway'; region: string } | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const ovh = /(?:^|\.)s3\.([a-z0-9-]+)\.(?:io\.|perf\.)?cloud\.ovh\.net$/.exec(h);
  if (ovh) return { provider: 'ovhcloud', region: ovh[1] as string };
  const scw = /(?:^|\.)([a-z]{2}-[a-z]{3})\.scw\.cloud$/.exec(h);
  if (scw) return { provider: 'scaleway', region: scw[1] as string };
  return undefined;
}

/** The host name of an endpoint: a URL (`https://h:443/x`, `s3:https://h/b`, `sftp://u@h:22/p`) or `host[:port]`. */
export function endpointHost(endpoint: string): string | undefined {
  const e = endpoint.trim().replace(/^(?:s3|rest|swift|b2|rclone):(?=[a-z]+:\/\/)/i, '');
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `tcp://${e}`);
    return u.hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}
