/**
 * Where OVHcloud's locations are, by the location code in region and datacenter names.
 *
 * OVHcloud names a place several ways: Public Cloud regions `GRA11`, `UK1`, `DE1`, `BHS5`;
 * 3-AZ and newer regions `EU-WEST-PAR`, `CA-EAST-TOR`, `AP-SOUTH-MUM`; dedicated server
 * datacenters `gra3`, `rbx7`, `eri1`, `lim1`, `bhs8`; API regions `eu-west-gra`; Object Storage
 * regions `gra`, `uk`, `de`, `bhs`, `eu-west-par`. The code is the letters before the digits of
 * the short forms, and the last part of the dashed forms. An `EU-` prefix does not make a region
 * European Union: `UK1`, `uk`, `eri1` (London, Erith) are in the United Kingdom.
 *
 * Sources, retrieved 2026-11-30:
 * - OVHcloud, "Object Storage - Endpoints and Object Storage geoavailability" (ovh/docs
 *   pages/storage_and_backup/object_storage/s3_location/guide.en-gb.md, updated 2026-02-03):
 *   gra Gravelines, rbx Roubaix, sbg Strasbourg, eu-west-par Paris, eu-south-mil Milan,
 *   de Frankfurt, uk London, waw Warsaw, bhs Beauharnois, ca-east-tor Toronto, sgp Singapore,
 *   ap-southeast-syd Sydney, ap-south-mum Mumbai.
 * - OVHcloud API v1 schema `dedicated.DatacenterEnum` (bhs1-8, eri1-2, gra1-3, hil1, lim1-3,
 *   rbx1-10, sbg1-5, sgp1, syd1-2, vin1, waw1, yyz01, p19), as generated in
 *   UrielCh/api-ovh-node at edbd42e89ca711f64ad85063086f5d77625598d3 (2024-07-23); the places of
 *   the codes from OVHcloud's datacenter pages (Erith and Limburg; Hillsboro, Oregon and Vint
 *   Hill, Virginia: the US regions US-WEST-OR and US-EAST-VA).
 * Codes not listed (local zones, new regions) are unknown and fail closed: declare them with
 * `dataResidencyRegions`.
 */
export const OVHCLOUD_LOCATIONS: Readonly<Record<string, { place: string; country: string }>> = {
  GRA: { place: 'Gravelines', country: 'FR' },
  RBX: { place: 'Roubaix', country: 'FR' },
  SBG: { place: 'Strasbourg', country: 'FR' },
  PAR: { place: 'Paris', country: 'FR' },
  P: { place: 'Paris (P19)', country: 'FR' },
  MIL: { place: 'Milan', country: 'IT' },
  DE: { place: 'Frankfurt', country: 'DE' },
  LIM: { place: 'Limburg', country: 'DE' },
  WAW: { place: 'Warsaw', country: 'PL' },
  UK: { place: 'London', country: 'GB' },
  ERI: { place: 'Erith (London)', country: 'GB' },
  BHS: { place: 'Beauharnois', country: 'CA' },
  TOR: { place: 'Toronto', country: 'CA' },
  YYZ: { place: 'Toronto', country: 'CA' },
  HIL: { place: 'Hillsboro, Oregon', country: 'US' },
  OR: { place: 'Hillsboro, Oregon', country: 'US' },
  VIN: { place: 'Vint Hill, Virginia', country: 'US' },
  VA: { place: 'Vint Hill, Virginia', country: 'US' },
  SGP: { place: 'Singapore', country: 'SG' },
  SYD: { place: 'Sydney', country: 'AU' },
  MUM: { place: 'Mumbai', country: 'IN' },
};

/**
 * The location code of an OVHcloud region or datacenter name: `GRA11` -> `GRA`, `eri1` -> `ERI`,
 * `EU-WEST-PAR` -> `PAR`, `eu-west-gra-a` -> `GRA`, `US-EAST-VA-1` -> `VA`, `p19` -> `P`.
 */
export function ovhLocationCode(region: string): string | undefined {
  const r = region.trim().toUpperCase();
  const short = /^([A-Z]+)-?\d*(?:-[A-Z])?$/.exec(r);
  if (short && !r.includes('-', 1)) return short[1];
  const dashed = /^(?:[A-Z]{2})-[A-Z]+-([A-Z]+)(?:-[A-Z0-9]+)?$/.exec(r);
  if (dashed) return dashed[1];
  return short?.[1];
}
