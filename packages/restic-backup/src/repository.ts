import { ConvergeError, defineModule, isSecret, raw, secret, SECRET_MASK, SecretValue, sh, Type } from '@converge/core';
import type { Command, DataEndpoint, FactRequest, Static } from '@converge/core';
import type { SecretSettings } from '@converge/modules';
import { checkLocation, clearText, envValue, RepositoryLocation, RepositoryName, repositoryPaths, repositoryUrl } from './location.js';
import type { RepositoryPaths } from './location.js';
import { applyRootFiles, planRootFiles, rootFileFacts } from './root-files.js';
import type { RootDir, RootFile, RootFileFacts, RootFilesPlan } from './root-files.js';
import { resticRepositoryConfig } from './repository-facts.js';
import type { RepositoryConfigState } from './repository-facts.js';
import { resticFromTo, resticIn } from './restic-shell.js';
import { requirePrerequisite } from '@converge/modules';

/** Default directory of repository credentials and job scripts. */
export const DEFAULT_CONFIG_DIR = '/etc/restic';

/** JSON Schema of the `restic.repository` module's params. */
export const RepositoryParams = Type.Object(
  {
    name: RepositoryName,
    location: RepositoryLocation,
    password: SecretValue(),
    config_dir: Type.Optional(Type.String({ pattern: '^/', default: DEFAULT_CONFIG_DIR, description: 'Directory of the credentials, one root-only (0700) subdirectory per repository.' })),
    chunker_params_from: Type.Optional(
      Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Name of another repository (managed earlier) whose chunker parameters a new repository copies (`restic init --copy-chunker-params`), so snapshots copied into it deduplicate.' }),
    ),
  },
  { additionalProperties: false },
);

/** Params of `restic.repository`. */
export type RepositoryParams = Static<typeof RepositoryParams>;

/**
 * The settings of a repository's env file that hold secrets: the S3 keys and the password in a
 * REST server's URL. Masked in its diff on both sides, whatever the model holds now, so that a
 * former key does not show either; the repository, password file and region lines show.
 */
export const ENV_SECRETS: SecretSettings = {
  mask: (text) =>
    text
      .replace(/^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=.*$/gm, `$1=${SECRET_MASK}`)
      .replace(/^(RESTIC_REPOSITORY='[a-z0-9]+:[a-z]+:\/\/[^:@/']*:)[^@']*@/gm, `$1${SECRET_MASK}@`),
};

/** The files and directories a repository owns on the host, in write order. */
export function repositoryFiles(p: RepositoryParams): { dirs: RootDir[]; files: RootFile[]; paths: RepositoryPaths } {
  const configDir = p.config_dir ?? DEFAULT_CONFIG_DIR;
  const paths = repositoryPaths(configDir, p.name);
  const loc = p.location;
  const url = repositoryUrl(p.name, loc);
  const lines = [`# Managed by converge: restic repository ${p.name}.`, `RESTIC_REPOSITORY=${envValue(clearText(url))}`, `RESTIC_PASSWORD_FILE=${envValue(paths.password)}`];
  let envSecret = isSecret(url);
  if (loc.type === 's3') {
    lines.push(`AWS_ACCESS_KEY_ID=${envValue(clearText(loc.access_key_id))}`, `AWS_SECRET_ACCESS_KEY=${envValue(clearText(loc.secret_access_key))}`, `AWS_DEFAULT_REGION=${envValue(loc.region)}`);
    envSecret = true;
  }
  const envText = `${lines.join('\n')}\n`;
  const dirs: RootDir[] = [
    { path: configDir, mode: '0700' },
    { path: paths.dir, mode: '0700' },
  ];
  const files: RootFile[] = [
    { path: paths.password, content: p.password, mode: '0600' },
    { path: paths.env, content: envSecret ? secret(envText) : envText, mode: '0600', secretSettings: ENV_SECRETS },
  ];
  if (loc.type === 'sftp') {
    files.push({ path: paths.knownHosts, content: loc.known_hosts.endsWith('\n') ? loc.known_hosts : `${loc.known_hosts}\n`, mode: '0644' });
    if (loc.private_key) {
      const key = clearText(loc.private_key);
      files.push({ path: paths.identity, content: secret(key.endsWith('\n') ? key : `${key}\n`), mode: '0600' });
    }
    const identity = loc.private_key ? paths.identity : loc.identity_file;
    const block = [
      `# Managed by converge: SFTP connection of restic repository ${p.name}.`,
      `Host restic-${p.name}`,
      `  HostName ${loc.host}`,
      `  Port ${loc.port ?? 22}`,
      `  User ${loc.user}`,
      ...(identity ? [`  IdentityFile ${identity}`, '  IdentitiesOnly yes'] : []),
      `  UserKnownHostsFile ${paths.knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  ServerAliveInterval 60',
      '',
    ].join('\n');
    files.push({ path: paths.sshConfig, content: block, mode: '0644' });
  }
  return { dirs, files, paths };
}

type RepoFacts = { config: FactRequest<RepositoryConfigState> } & RootFileFacts;

/** What the plan of `restic.repository` hands to apply. */
export interface RepositoryPlan extends Pick<RootFilesPlan, 'dirs' | 'files'> {
  init: boolean;
}

/**
 * Module `restic.repository`: one restic repository, ready for jobs. Writes its password file
 * (`<config_dir>/<name>/password`, 0600) and env file (`<config_dir>/<name>/env`, 0600:
 * `RESTIC_REPOSITORY`, `RESTIC_PASSWORD_FILE`, and for S3 `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`), for SFTP the known host key and an OpenSSH
 * `Host restic-<name>` block, then runs `restic init` only when `restic cat config` finds no
 * repository there (fact `restic.repository_config`). An existing repository that the
 * password does not open fails the task; it is never re-initialised.
 *
 * Secrets (password, S3 secret key, SFTP key, REST password) travel on stdin into root-only
 * files and are read by restic from there; none is ever on a command line.
 *
 * Changing the password of an existing repository is not done here (that is `restic key add` /
 * `restic key remove`): a new password makes the task fail with `wrong-password`.
 *
 * @example
 * resticRepository({ name: 'primary', password: secret(pw), location: { type: 'local', path: '/srv/restic' } })
 */
export const resticRepository = defineModule({
  name: 'restic.repository',
  description: 'Write the credentials of a restic repository (root-only) and initialise it once.',
  params: RepositoryParams,
  validate: (p) => {
    try {
      checkLocation(p.name, p.location);
    } catch (e) {
      return (e as Error).message;
    }
    if (p.chunker_params_from === p.name) return 'chunker_params_from names the repository itself';
    return undefined;
  },
  facts: (p): RepoFacts => ({ config: resticRepositoryConfig({ name: p.name, config_dir: p.config_dir ?? DEFAULT_CONFIG_DIR }), ...rootFileFacts(repositoryFiles(p)) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const { changes, diffs, dirs, files } = planRootFiles('restic.repository', repositoryFiles(p), facts, upstreamChanged);
    const data: RepositoryPlan = { dirs, files, init: false };
    const cfg = facts.config;
    const credentialsChange = data.files.length > 0;
    if (cfg.state === 'initialised' && !credentialsChange) {
      if (changes.length === 0) return { changes, reason: `repository ${p.name} is initialised (id ${cfg.id?.slice(0, 10) ?? '?'}, format ${cfg.version ?? '?'}) and its files are up to date` };
      return { changes, diffs, data };
    }
    if (cfg.state === 'wrong-password' && !credentialsChange) {
      throw new ConvergeError('CONVERGE_PLAN', `restic repository ${p.name}: the password does not open the repository there`, {
        detail: cfg.message ?? '',
        hint: 'give the repository\'s current password, or change it with "restic key add" and "restic key remove"',
      });
    }
    if (cfg.state === 'error' && !credentialsChange) {
      throw new ConvergeError('CONVERGE_PLAN', `restic repository ${p.name}: restic cannot open the repository: ${cfg.message ?? '?'}`);
    }
    requirePrerequisite(cfg.state !== 'no-restic', upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `restic repository ${p.name}: restic is not installed`, { hint: 'install it first, e.g. apt({ name: "restic" })' }),
    );
    if (cfg.state !== 'initialised') {
      data.init = true;
      changes.push({ path: 'initialised', before: cfg.state === 'absent' ? false : `unknown (${cfg.state})`, after: true });
    }
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }) => {
    const data = plan.data;
    const paths = repositoryPaths(p.config_dir ?? DEFAULT_CONFIG_DIR, p.name);
    const steps: Command[] = applyRootFiles(data);
    if (data.init) {
      const init = p.chunker_params_from
        ? resticFromTo(repositoryPaths(p.config_dir ?? DEFAULT_CONFIG_DIR, p.chunker_params_from), paths, raw('init --copy-chunker-params'))
        : resticIn(paths, raw('init'));
      steps.push({
        script: sh`if ! ${resticIn(paths, raw('--no-lock cat config'))} >/dev/null 2>&1; then ${init}; fi`,
        description: `restic init ${p.name}`,
      });
    }
    return steps;
  },
  resources: (p) => {
    const paths = repositoryPaths(p.config_dir ?? DEFAULT_CONFIG_DIR, p.name);
    return [p.config_dir ?? DEFAULT_CONFIG_DIR, paths.sshConfig, `restic:${p.name}`];
  },
  endpoints: (p) => repositoryEndpoints(p.location),
});

/** Where a repository's snapshots go, for a data-residency policy: none for a local directory. */
export function repositoryEndpoints(loc: RepositoryLocation): DataEndpoint[] {
  switch (loc.type) {
    case 'local':
      return [];
    case 'sftp':
      return [{ url: `sftp://${loc.host}:${loc.port ?? 22}${loc.path}`, kind: 'backup' }];
    case 's3':
      return [{ url: loc.endpoint, kind: 'backup' }];
    case 'rest':
      return [{ url: loc.url, kind: 'backup' }];
  }
}

