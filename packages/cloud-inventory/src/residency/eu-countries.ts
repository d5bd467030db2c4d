/**
 * The member states of the European Union, by ISO 3166-1 alpha-2 code (Greece as `GR`).
 * Source: European Union, "EU countries" (european-union.europa.eu/principles-countries-history/eu-countries_en),
 * 27 member states since the United Kingdom left on 2020-01-31; retrieved 2026-11-30.
 * Not members: the United Kingdom (GB), Switzerland (CH), Norway (NO), Iceland (IS), Liechtenstein (LI).
 */
export const EU_COUNTRIES: Readonly<Record<string, string>> = {
  AT: 'Austria',
  BE: 'Belgium',
  BG: 'Bulgaria',
  HR: 'Croatia',
  CY: 'Cyprus',
  CZ: 'Czechia',
  DK: 'Denmark',
  EE: 'Estonia',
  FI: 'Finland',
  FR: 'France',
  DE: 'Germany',
  GR: 'Greece',
  HU: 'Hungary',
  IE: 'Ireland',
  IT: 'Italy',
  LV: 'Latvia',
  LT: 'Lithuania',
  LU: 'Luxembourg',
  MT: 'Malta',
  NL: 'Netherlands',
  PL: 'Poland',
  PT: 'Portugal',
  RO: 'Romania',
  SK: 'Slovakia',
  SI: 'Slovenia',
  ES: 'Spain',
  SE: 'Sweden',
};

/** Names of countries outside the EU that the provider region lists use, for messages. */
export const OTHER_COUNTRIES: Readonly<Record<string, string>> = {
  GB: 'United Kingdom',
  CA: 'Canada',
  US: 'United States',
  SG: 'Singapore',
  AU: 'Australia',
  IN: 'India',
  CH: 'Switzerland',
};

/** The name of a country code, for messages. */
export function countryName(code: string): string {
  return EU_COUNTRIES[code] ?? OTHER_COUNTRIES[code] ?? code;
}
