import { ConvergeError } from '@converge/core';
import type { AptRepositoryParams } from '@converge/modules';

/**
 * Fingerprint of MariaDB's release-signing key for Debian and Ubuntu repositories, as MariaDB
 * documents it ("GPG", https://mariadb.com/kb/en/gpg/, "Debian / Ubuntu key": long key ID
 * `0xF1656F24C74CD1D8`, full fingerprint `177F 4010 FE56 CA33 3630 0305 F165 6F24 C74C D1D8`).
 * MariaDB ships it in https://supplychain.mariadb.com/mariadb-keyring-2019.gpg, the keyring its
 * `mariadb_repo_setup` installs for the server and MaxScale repositories.
 */
export const MARIADB_SIGNING_KEY_FINGERPRINT = '177F4010FE56CA3336300305F1656F24C74CD1D8';

/**
 * Fingerprint of the MariaDB Enterprise signing key, the other key of that keyring ("GPG",
 * "MariaDB Enterprise GPG Keys": `4C47 0FFF EFC4 D3DC 5977 8655 CE1A 3DD5 E3C9 4F49`).
 */
export const MARIADB_ENTERPRISE_KEY_FINGERPRINT = '4C470FFFEFC4D3DC59778655CE1A3DD5E3C94F49';

/** Where MariaDB publishes MaxScale for Debian ("MariaDB Package Repository Setup and Usage": `https://dlm.mariadb.com/repo/maxscale/VERSION/apt`, suite = the Debian codename, component `main`). */
export const MAXSCALE_APT_BASE = 'https://dlm.mariadb.com/repo/maxscale';

/** What {@link maxscaleRepository} sets up. */
export interface MaxscaleRepositoryOptions {
  /** MariaDB's repository signing keyring, ASCII-armored (`gpg --armor --export` of mariadb-keyring-2019.gpg). */
  key: string;
  /** MaxScale release series of the repository, e.g. `24.02` (or `latest`). Default `24.02`. */
  version?: string;
  /** Debian codename. Default `bookworm` (Debian 12). */
  suite?: string;
  /** Fingerprints the key must hold. Default: MariaDB's release-signing key. */
  key_fingerprints?: string[];
  /** Pin the `maxscale` package to a version (apt_preferences(5), e.g. `24.02.*`). Default: the series of `version`. */
  pin_version?: string;
  /** Base name of the repository files. Default `maxscale`. */
  name?: string;
  /** Repository URL without the version. Default {@link MAXSCALE_APT_BASE}. */
  base_url?: string;
}

/**
 * The `apt.repository` params of MariaDB's MaxScale repository for one release series: a deb822
 * source `https://dlm.mariadb.com/repo/maxscale/SERIES/apt SUITE main` (amd64, arm64, as MariaDB
 * publishes it), signed by the given key, which must hold MariaDB's documented release-signing
 * key ({@link MARIADB_SIGNING_KEY_FINGERPRINT}; `apt.repository` refuses another key before any
 * host is contacted), and `maxscale` pinned to that series (`Pin: version 24.02.*`, priority 1001).
 *
 * @throws ConvergeError `CONVERGE_PARAMS` for a version that is neither a series (`24.02`,
 * `24.02.4`) nor `latest`.
 */
export function maxscaleRepository(o: MaxscaleRepositoryOptions): AptRepositoryParams {
  const version = o.version ?? '24.02';
  if (!/^([0-9]+\.[0-9]+(\.[0-9]+)?|latest)$/.test(version)) {
    throw new ConvergeError('CONVERGE_PARAMS', `maxscaleRepository: version ${JSON.stringify(version)} is not a MaxScale release series such as "24.02" (or "latest")`);
  }
  const pin = o.pin_version ?? (version === 'latest' ? undefined : /^[0-9]+\.[0-9]+$/.test(version) ? `${version}.*` : `${version}*`);
  return {
    name: o.name ?? 'maxscale',
    uris: [`${(o.base_url ?? MAXSCALE_APT_BASE).replace(/\/+$/, '')}/${version}/apt`],
    suites: [o.suite ?? 'bookworm'],
    components: ['main'],
    architectures: ['amd64', 'arm64'],
    key: o.key,
    key_fingerprints: o.key_fingerprints ?? [MARIADB_SIGNING_KEY_FINGERPRINT],
    ...(pin ? { pin: { packages: ['maxscale'], version: pin } } : {}),
  };
}
