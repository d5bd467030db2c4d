import { ConvergeError, isSecret, OrSecret, secret, SecretValue, Type } from '@converge/core';
import type { Secret, Static } from '@converge/core';
import type { TString } from '@sinclair/typebox';

const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';

/** JSON Schema of a repository name: the directory `<config_dir>/<name>/` and the key jobs and status use. */
export const RepositoryName = repositoryName('Repository name: lower-case letters, digits, `-`, `_` (names `<config_dir>/<name>/`).');

/** {@link RepositoryName} with another description. */
export function repositoryName(description: string): TString {
  return Type.String({ pattern: NAME, description });
}

/** The clear text of a value that may be a Secret (used only where it is written to a root-only file). */
export function clearText(v: string | Secret): string {
  return isSecret(v) ? v.reveal() : v;
}

/** A repository in a local directory (or a mounted disk) of the host. */
export const LocalLocation = Type.Object(
  {
    type: Type.Literal('local'),
    path: Type.String({ pattern: '^/', description: 'Absolute directory of the repository on the host.' }),
  },
  { additionalProperties: false },
);

/**
 * A repository on an SFTP server, reached with OpenSSH as root. converge writes a `Host` block for
 * the alias `restic-<name>` to `/etc/ssh/ssh_config.d/restic-<name>.conf`, so each repository
 * keeps its own key and known host key (restic 0.14 has one `sftp.command` for both ends of a
 * copy). Source: restic manual, "Preparing a new repository: SFTP".
 */
export const SftpLocation = Type.Object(
  {
    type: Type.Literal('sftp'),
    host: Type.String({ minLength: 1, pattern: '^[^\\s@:/]+$', description: 'Server name or address.' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 22, description: 'SSH port.' })),
    user: Type.String({ minLength: 1, pattern: '^[a-zA-Z0-9._-]+$', description: 'Login on the server.' }),
    path: Type.String({ pattern: '^/', description: 'Absolute directory of the repository on the server (created by `restic init`).' }),
    private_key: Type.Optional(SecretValue()),
    identity_file: Type.Optional(Type.String({ pattern: '^/', description: 'Path of an existing private key on the host (instead of private_key).' })),
    known_hosts: Type.String({ minLength: 1, description: "The server's host key lines in known_hosts format (`ssh-keyscan` output); the connection is refused for any other key." }),
  },
  { additionalProperties: false },
);

/**
 * A repository in an S3-compatible bucket. Targets: OVH Object Storage (endpoint
 * `https://s3.<region>.io.cloud.ovh.net`, region e.g. `gra`, `sbg`, `de`; `uk` is London, outside
 * the EU, which a `dataResidency: eu` policy refuses) and Scaleway
 * Object Storage (endpoint `https://s3.<region>.scw.cloud`, region `fr-par`, `nl-ams`,
 * `pl-waw`). Keys go to the repository's env file as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
 * the region as `AWS_DEFAULT_REGION`. Sources: restic manual "Amazon S3" / "S3-compatible
 * Storage"; OVHcloud and Scaleway Object Storage endpoint documentation.
 */
export const S3Location = Type.Object(
  {
    type: Type.Literal('s3'),
    endpoint: Type.String({ pattern: '^https?://[^/\\s]+$', description: 'Endpoint URL without a path, e.g. `https://s3.gra.io.cloud.ovh.net` or `https://s3.fr-par.scw.cloud`.' }),
    region: Type.String({ minLength: 1, pattern: '^[a-z0-9-]+$', description: 'Region of the endpoint, e.g. `gra` (OVH) or `fr-par` (Scaleway).' }),
    bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'Bucket name (must exist).' }),
    prefix: Type.Optional(Type.String({ pattern: '^[^/\\s][^\\s]*[^/\\s]$|^[^/\\s]$', description: 'Object prefix inside the bucket, e.g. `restic/web1`.' })),
    access_key_id: OrSecret(Type.String({ minLength: 1, description: 'S3 access key id.' })),
    secret_access_key: SecretValue(),
  },
  { additionalProperties: false },
);

/** A repository on a restic REST server (`rest-server`), optionally with HTTP basic auth. */
export const RestLocation = Type.Object(
  {
    type: Type.Literal('rest'),
    url: Type.String({ pattern: '^https?://[^@\\s]+$', description: 'Server URL with the repository path, without credentials, e.g. `https://backup.example.net:8000/web1/`.' }),
    user: Type.Optional(Type.String({ minLength: 1, pattern: '^[^:@/\\s]+$', description: 'HTTP basic-auth user.' })),
    password: Type.Optional(SecretValue()),
  },
  { additionalProperties: false },
);

/** Where a repository is: one of local, sftp, s3, rest (by `type`). */
export const RepositoryLocation = Type.Union([LocalLocation, SftpLocation, S3Location, RestLocation], { description: 'Where the repository is, by `type`: local, sftp, s3 or rest.' });

/** A repository location. */
export type RepositoryLocation = Static<typeof RepositoryLocation>;

/** Files of one repository under `<config_dir>/<name>/`. */
export interface RepositoryPaths {
  dir: string;
  password: string;
  env: string;
  knownHosts: string;
  identity: string;
  sshConfig: string;
}

/** Paths of a repository's files. `sshConfig` is OpenSSH's drop-in directory (Debian includes `/etc/ssh/ssh_config.d/*.conf`). */
export function repositoryPaths(configDir: string, name: string): RepositoryPaths {
  const dir = `${configDir.replace(/\/+$/, '')}/${name}`;
  return {
    dir,
    password: `${dir}/password`,
    env: `${dir}/env`,
    knownHosts: `${dir}/known_hosts`,
    identity: `${dir}/id`,
    sshConfig: `/etc/ssh/ssh_config.d/restic-${name}.conf`,
  };
}

/** The value of `RESTIC_REPOSITORY` for a location (REST credentials included: the env file is 0600). */
export function repositoryUrl(name: string, loc: RepositoryLocation): string | Secret {
  switch (loc.type) {
    case 'local':
      return loc.path;
    case 'sftp':
      return `sftp:restic-${name}:${loc.path}`;
    case 's3':
      return `s3:${loc.endpoint}/${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
    case 'rest': {
      if (!loc.user) return `rest:${loc.url}`;
      const u = new URL(loc.url);
      const auth = `${encodeURIComponent(loc.user)}${loc.password ? `:${encodeURIComponent(clearText(loc.password))}` : ''}@`;
      const withAuth = `rest:${u.protocol}//${auth}${loc.url.slice(u.protocol.length + 2)}`;
      return loc.password ? secret(withAuth) : withAuth;
    }
  }
}

/** Quotes a value for a `KEY=value` line of an env file sourced by sh(1): single quotes, `'` escaped. */
export function envValue(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Throws when a location names a secret where a plain value is needed, or the reverse. */
export function checkLocation(name: string, loc: RepositoryLocation): void {
  if (loc.type === 'sftp' && loc.private_key !== undefined && loc.identity_file !== undefined) {
    throw new ConvergeError('CONVERGE_PARAMS', `repository ${name}: give private_key or identity_file, not both`);
  }
  if (loc.type === 'rest' && loc.password !== undefined && loc.user === undefined) {
    throw new ConvergeError('CONVERGE_PARAMS', `repository ${name}: a REST password needs a user`);
  }
  if (loc.type === 's3' && !isSecret(loc.secret_access_key)) {
    throw new ConvergeError('CONVERGE_PARAMS', `repository ${name}: secret_access_key must be a Secret`);
  }
}
