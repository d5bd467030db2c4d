import { createHash } from 'node:crypto';
import { ConvergeError, SECRET_MASK, Type, defineModule, reveal, sh } from '@converge/core';
import type { Change, Command, FactRequest, FileDiff, Secret, Static } from '@converge/core';
import { fileDiff, fileState, writeFileSteps } from '@converge/modules';
import type { FileState } from '@converge/modules';
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
}

function wantedFiles(p: AlloyConfigParams): WantedFile[] {
  const dir = p.secrets_dir ?? '/etc/alloy/secrets';
  const files: WantedFile[] = [{ path: p.path ?? '/etc/alloy/config.alloy', content: renderAlloyConfig(p, dir), secret: false }];
  for (const e of p.endpoints) {
    if (e.basic_auth) files.push({ path: secretPath(dir, e.name, 'password'), content: e.basic_auth.password, secret: true });
    if (e.bearer_token) files.push({ path: secretPath(dir, e.name, 'token'), content: e.bearer_token, secret: true });
  }
  return files;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Private plan data for apply. */
export interface AlloyConfigPlan {
  secretsDir: boolean;
  write: string[];
}

/**
 * `alloy fmt` parses the file and fails on a syntax error; `alloy validate` (newer Alloy) also
 * checks components and references. Skipped when alloy is not installed (the file is then used
 * by the first start, which fails loudly).
 */
const VALIDATE = "if command -v alloy >/dev/null 2>&1; then alloy fmt %s >/dev/null && if alloy validate --help >/dev/null 2>&1; then alloy validate %s; fi; fi";

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
    const f: Record<string, FactRequest> = { secrets_dir: fileState({ path: p.secrets_dir ?? '/etc/alloy/secrets' }) };
    wantedFiles(p).forEach((w, i) => {
      f[`file${i}`] = w.secret ? fileState({ path: w.path, content: true }) : fileState({ path: w.path, contentUnlessSha256: sha256(w.content as string) });
    });
    return f;
  },
  plan: ({ params: p, facts, upstreamChanged }) => {
    const f = facts as unknown as Record<string, FileState>;
    const group = p.group ?? 'alloy';
    const changes: Change[] = [];
    const diffs: FileDiff[] = [];
    const data: AlloyConfigPlan = { secretsDir: false, write: [] };
    const wanted = wantedFiles(p);
    const dir = f.secrets_dir as FileState;
    if (dir.type !== 'absent' && dir.type !== 'directory') throw new ConvergeError('CONVERGE_PLAN', `alloy.config: ${p.secrets_dir ?? '/etc/alloy/secrets'} is not a directory`);
    const t = dir.target;
    if (wanted.some((w) => w.secret) && (!t || t.mode !== '0750' || t.owner !== 'root' || t.group !== group)) {
      data.secretsDir = true;
      changes.push({ path: 'secrets_dir', before: t ? `${t.owner}:${t.group} ${t.mode}` : null, after: `root:${group} 0750` });
    }
    const configDir = (f.file0 as FileState).parentExists;
    if (!configDir && !upstreamChanged) {
      throw new ConvergeError('CONVERGE_PLAN', `alloy.config: the directory of ${wanted[0]?.path} does not exist`, { hint: "install alloy first, or create /etc/alloy with file({ state: 'directory' })" });
    }
    wanted.forEach((w, i) => {
      const s = f[`file${i}`] as FileState;
      const cur = s.type === 'file' ? s.target : undefined;
      if (s.type !== 'absent' && s.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `alloy.config: ${w.path} is not a regular file`);
      const text = reveal(w.content);
      const differs = w.secret ? cur?.content !== Buffer.from(text, 'utf8').toString('latin1') : cur?.sha256 !== sha256(text);
      const attrs = cur !== undefined && (cur.mode !== '0640' || cur.owner !== 'root' || cur.group !== group);
      if (!differs && !attrs) return;
      data.write.push(w.path);
      if (differs) {
        changes.push({ path: w.path, before: cur ? (w.secret ? SECRET_MASK : `sha256:${cur.sha256 ?? '?'}`) : null, after: w.secret ? SECRET_MASK : `sha256:${sha256(text)}` });
        diffs.push(fileDiff(w.path, cur ? (cur.content ?? '') : null, Buffer.from(text, 'utf8').toString('latin1'), w.secret ? 'all' : 'none'));
      }
      if (attrs && cur) changes.push({ path: `${w.path}.attributes`, before: `${cur.owner}:${cur.group} ${cur.mode}`, after: `root:${group} 0640` });
    });
    if (changes.length === 0) return { changes, reason: `${wanted[0]?.path}${wanted.length > 1 ? ' and its secrets are' : ' is'} in place` };
    return { changes, diffs, data };
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data as AlloyConfigPlan;
    const group = p.group ?? 'alloy';
    const steps: Command[] = [];
    const dir = p.secrets_dir ?? '/etc/alloy/secrets';
    if (d.secretsDir) steps.push({ script: sh`install -d -o root -g ${group} -m 0750 -- ${dir}`, description: `create ${dir}` });
    for (const w of wantedFiles(p)) {
      if (!d.write.includes(w.path)) continue;
      const content = w.secret ? (w.content as Secret) : new Uint8Array(Buffer.from(w.content as string, 'utf8'));
      steps.push(...writeFileSteps({ path: w.path, followLinks: false, content, mode: '0640', owner: 'root', group, ...(!w.secret && (p.validate ?? true) ? { validate: VALIDATE } : {}) }));
    }
    return steps;
  },
  resources: (p) => wantedFiles(p).map((w) => w.path).concat(p.secrets_dir ?? '/etc/alloy/secrets'),
  endpoints: (p) => p.endpoints.map((e) => ({ url: e.url, kind: 'logs' as const })),
});

