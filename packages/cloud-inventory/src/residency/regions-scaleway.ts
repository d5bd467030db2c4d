/**
 * Where Scaleway's regions are; zones are `<region>-<n>` (`fr-par-2`).
 * Sources, retrieved 2026-11-30: Scaleway documentation, "Regions and zones"
 * (www.scaleway.com/en/docs/account/reference-content/products-availability/): Paris (fr-par),
 * Amsterdam (nl-ams), Warsaw (pl-waw), Milan (it-mil); the region lists of
 * scaleway/scaleway-sdk-js at 3bf5ad737ccb029889146fb7e510d93abbdf0987 (2026-08-20,
 * `packages_generated/ipam/src/v1/api.gen.ts`: fr-par, it-mil, nl-ams, pl-waw).
 */
export const SCALEWAY_REGIONS: Readonly<Record<string, { place: string; country: string }>> = {
  'fr-par': { place: 'Paris', country: 'FR' },
  'nl-ams': { place: 'Amsterdam', country: 'NL' },
  'pl-waw': { place: 'Warsaw', country: 'PL' },
  'it-mil': { place: 'Milan', country: 'IT' },
};

/** The Scaleway region of a region or zone name (`fr-par-2` -> `fr-par`), when it is one. */
export function scalewayRegion(name: string): string | undefined {
  const r = name.trim().toLowerCase().replace(/-\d+$/, '');
  return r in SCALEWAY_REGIONS ? r : undefined;
}
