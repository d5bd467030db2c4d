import { ConvergeError, Type, defineModule, factValue, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Secret, Static } from '@converge/core';
import { defineManagedFile, fileState, requirePrerequisite } from '@converge/modules';
import type { FileState, ManagedFileWrite } from '@converge/modules';
import { AlloyLogsConfig, configProblems, renderAlloyConfig, secretPath } from './alloy-config.js';

/** JSON Schema of the `alloy.config` params: the configuration plus where it goes. */
export const AlloyConfigParams = Type.Composite(
  [
    AlloyLogsConfig,
    Type.Object({
      path: Type.Optional(Type.String({ pattern: '^/\\S+$', default: '/etc/alloy/config.alloy', description: 'The configuration file (the Debian package\'s `CONFIG_FILE` in /etc/default/alloy).' })),
      secrets_dir: Type.Optional(Type.String({ pattern: '^/\\S+[^/]$', default: '/etc/alloy/secrets', description: 'Directory of the endpoint password and token files (created 0750 root:GROUP).' })),
      group: Type.Optional(Type.String({ minLength: 1, default: 'alloy', description: 'Group that may read the configuration and the secrets (files root:GROUP 0640): the one the service runs as.' })),
      validate: Type.Optional(Type.Boolean({ default: true, description: 'Check the new file with `alloy fmt` (and `alloy validate` where this Alloy has it) before it replaces the old one, when the `alloy` binary is installed.' })),
    }),
  ],
  { additionalProperties: false },
);

/** Params of `alloy.config`. */
export type AlloyConfigParams = Static<typeof AlloyConfigParams>;

interface WantedFile {
  path: string;
  content: string | Secret;
  secret: boolean;
  /** Checked before it replaces the old file (config.alloy, when asked). */
  validate: boolean;
  group: string;
}

function wantedFiles(p: AlloyConfigParams): WantedFile[] {
  const dir = p.secrets_dir ?? '/etc/alloy/secrets';
  const group = p.group ?? 'alloy';
  const files: WantedFile[] = [{ path: p.path ?? '/etc/alloy/config.alloy', content: renderAlloyConfig(p, dir), secret: false, validate: p.validate ?? true, group }];
  for (const e of p.endpoints) {
    if (e.basic_auth) files.push({ path: secretPath(dir, e.name, 'password'), content: e.basic_auth.password, secret: true, validate: false, group });
    if (e.bearer_token) files.push({ path: secretPath(dir, e.name, 'token'), content: e.bearer_token, secret: true, validate: false, group });
  }
  return files;
}

/** Private plan data for apply. */
export interface AlloyConfigPlan {
  secretsDir: boolean;
  write: { path: string; write: ManagedFileWrite }[];
}

/**
 * `alloy fmt` parses the file and fails on a syntax error; `alloy validate` (newer Alloy) also
 * checks components and references. Skipped when alloy is not installed (the file is then used
 * by the first start, which fails loudly).
 */
const VALIDATE = "if command -v alloy >/dev/null 2>&1; then alloy fmt %s >/dev/null && if alloy validate --help >/dev/null 2>&1; then alloy validate %s; fi; fi";

/**
 * config.alloy and the secret files: root:GROUP 0640. A change is reported under the file's path
 * (its content) and `PATH.attributes` (owner, group and mode together).
 */
const alloyFile = defineManagedFile<WantedFile>({
  path: (w) => w.path,
  render: (w) => w.content,
  mode: '0640',
  owner: 'root',
  group: (w) => w.group,
  validate: (w) => (w.validate ? VALIDATE : undefined),
  // Any difference rewrites the whole file (validated), as a new one.
  attributes: 'rewrite',
  changes: (d, w) => [
    ...(d.content ? [{ ...d.content, path: d.path }] : []),
    ...(d.current && d.attributes.length > 0 ? [{ path: `${d.path}.attributes`, before: `${d.current.owner}:${d.current.group} ${d.current.mode}`, after: `root:${w.group} 0640` }] : []),
  ],
});

/**
 * Module `alloy.config`: Grafana Alloy's configuration for shipping logs to Loki, rendered from
 * a typed model into `/etc/alloy/config.alloy` (deterministic: the same model gives the same
 * bytes; see {@link renderAlloyConfig}), root:GROUP 0640, validated with `alloy fmt` /
 * `alloy validate` before it replaces the old file when alloy is installed. Endpoint passwords
 * and tokens (`Secret`s) go to their own files in `secrets_dir` (root:GROUP 0640, the directory
 * 0750), read by Alloy with `local.file`, so they are never in config.alloy, a diff, or a
 * command line; their diffs and changes are masked.
 *
 * Notify a `systemd.service({ name: 'alloy', state: 'reloaded' })` handler: Alloy rereads its
 * configuration on SIGHUP, which the unit's reload sends.
 *
 * @example
 * alloy.config({ labels: { host: 'web1', environment: 'production' }, journal: {},
 *   endpoints: [{ name: 'main', url: 'https://loki.example.com/loki/api/v1/push', tenant_id: 'ops',
 *     basic_auth: { username: 'web', password: secret('...') } }] }, { notify: 'reload alloy' })
 */
export const alloyConfig = defineModule({
  name: 'alloy.config',
  description: 'Grafana Alloy configuration for Loki (journal, files, relabel, multiline, endpoints).',
  params: AlloyConfigParams,
  validate: (p) => {
    const problems = configProblems(p);
    return problems.length > 0 ? problems.join('; ') : undefined;
  },
  facts: (p) => {
    const f: { secrets_dir: FactRequest<FileState> } & Record<`file${number}`, FactRequest<FileState>> = { secrets_dir: fileState({ path: p.secrets_dir ?? '/etc/alloy/secrets' }) };
    wantedFiles(p).forEach((w, i) => (f[`file${i}`] = alloyFile.fact(w)));
    return f;
  },
  plan: ({ params: p, facts: f, upstreamChanged }) => {
    const group = p.group ?? 'alloy';
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: AlloyConfigPlan = { secretsDir: false, write: [] };
    const wanted = wantedFiles(p);
    const dir = f.secrets_dir;
    if (dir.type !== 'absent' && dir.type !== 'directory') throw new ConvergeError('CONVERGE_PLAN', `alloy.config: ${p.secrets_dir ?? '/etc/alloy/secrets'} is not a directory`);
    const t = dir.target;
    if (wanted.some((w) => w.secret) && (!t || t.mode !== '0750' || t.owner !== 'root' || t.group !== group)) {
      data.secretsDir = true;
      changes.push({ path: 'secrets_dir', before: t ? `${t.owner}:${t.group} ${t.mode}` : null, after: `root:${group} 0750` });
    }
    requirePrerequisite(factValue(f, 'file0').parentExists, upstreamChanged, () =>
      new ConvergeError('CONVERGE_PLAN', `alloy.config: the directory of ${wanted[0]?.path} does not exist`, { hint: "install alloy first, or create /etc/alloy with file({ state: 'directory' })" }),
    );
    wanted.forEach((w, i) => {
      const s = factValue(f, `file${i}`);
      if (s.type !== 'absent' && s.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `alloy.config: ${w.path} is not a regular file`);
      const planned = alloyFile.plan(w, s, { module: 'alloy.config', upstreamChanged, parentCreated: w.secret });
      if (!planned.write) return;
      data.write.push({ path: w.path, write: planned.write });
      changes.push(...planned.changes);
      diffs.push(...planned.diffs);
    });
    if (changes.length === 0) return { changes, reason: `${wanted[0]?.path}${wanted.length > 1 ? ' and its secrets are' : ' is'} in place` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const group = p.group ?? 'alloy';
    const steps: Command[] = [];
    const dir = p.secrets_dir ?? '/etc/alloy/secrets';
    if (d.secretsDir) steps.push({ script: sh`install -d -o root -g ${group} -m 0750 -- ${dir}`, description: `create ${dir}` });
    for (const w of wantedFiles(p)) {
      const write = d.write.find((x) => x.path === w.path)?.write;
      if (write) steps.push(...alloyFile.apply(w, write));
    }
    return steps;
  },
  resources: (p) => wantedFiles(p).map((w) => w.path).concat(p.secrets_dir ?? '/etc/alloy/secrets'),
  endpoints: (p) => p.endpoints.map((e) => ({ url: e.url, kind: 'logs' as const })),
});

