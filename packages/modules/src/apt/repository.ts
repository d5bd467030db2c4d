import { isAbsolute, join } from 'node:path';
import { ConvergeError, Type, defineModule, raw, sh, sha256Hex } from '@converge/core';
import type { ApplyOutcome, Change, Command, FactRequest, FileDiff, PrepareContext, Static } from '@converge/core';
import { readSource } from '../copy/content-write.js';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';
import type { FileState } from '../file/file-state.js';
import { LOCK_TIMEOUT_EXIT, aptLockedStep } from './lock-wait.js';
import { UPDATE_STAMP, aptListsAge } from './package-facts.js';
import type { ListsAge } from './package-facts.js';
import { keyringOf } from './openpgp-key.js';
import type { OpenPgpPublicKey } from './openpgp-key.js';

const NO_SPACE = '^\\S+$';

/** What apt prints (as warnings, when old lists exist) for a repository whose signature it refuses. */
const SIGNATURE_ERRORS = "NO_PUBKEY|EXPKEYSIG|BADSIG|REVKEYSIG|signatures couldn't be verified|signature verification|is not signed|GPG error";

/** Params of the optional pin (apt_preferences(5)) of {@link aptRepository}. */
export const AptPinParams = Type.Object(
  {
    packages: Type.Optional(
      Type.Array(Type.String({ pattern: NO_SPACE }), {
        minItems: 1,
        default: ['*'],
        description: 'The `Package:` line: names, globs or /regexes/ (apt_preferences(5)); default `*`, every package.',
      }),
    ),
    version: Type.Optional(
      Type.String({ pattern: '^[^\\s"]+$', description: '`Pin: version V`, e.g. `1.5.1` or `1.5.*`. Absent: the repository is pinned by its origin (the host of its first URI).' }),
    ),
    priority: Type.Optional(
      Type.Integer({
        description: '`Pin-Priority:`. Default 1001 with a version (installed even if it is a downgrade); required without one (e.g. 100 to install only on request, 990 to prefer this repository).',
      }),
    ),
  },
  { additionalProperties: false },
);

/** JSON Schema of the `apt.repository` params. */
export const AptRepositoryParams = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'Base name of the files: `/etc/apt/sources.list.d/NAME.sources`, `/etc/apt/keyrings/NAME.gpg`, `/etc/apt/preferences.d/NAME.pref` (letters, digits, `_`, `-`, `.`: the names apt reads, sources.list(5)).',
    }),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: '`absent` removes the three files.' })),
    types: Type.Optional(
      Type.Array(Type.Union([Type.Literal('deb'), Type.Literal('deb-src')]), { minItems: 1, default: ['deb'], description: '`Types:`: binary (`deb`) and/or source (`deb-src`) packages.' }),
    ),
    uris: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9+.-]*:\\S+$' }), { minItems: 1, description: '`URIs:`, e.g. `https://apt.grafana.com`. Required with state present.' })),
    suites: Type.Optional(
      Type.Array(Type.String({ pattern: NO_SPACE }), { minItems: 1, description: '`Suites:`, e.g. `stable` or `bookworm`; an exact path ends with `/` and takes no components. Required with state present.' }),
    ),
    components: Type.Optional(Type.Array(Type.String({ pattern: NO_SPACE }), { minItems: 1, description: '`Components:`, e.g. `main`; required unless the suite is an exact path.' })),
    architectures: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }), { minItems: 1, description: '`Architectures:`, e.g. `amd64`; absent: every architecture dpkg is configured for.' }),
    ),
    enabled: Type.Optional(Type.Boolean({ default: true, description: 'false writes `Enabled: no`: the source stays but apt ignores it.' })),
    key: Type.Optional(Type.String({ minLength: 1, description: 'The repository signing key, ASCII-armored (`-----BEGIN PGP PUBLIC KEY BLOCK-----`); dearmored into NAME.gpg.' })),
    key_base64: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/\\s]*={0,2}\\s*$', description: 'The signing key as a binary OpenPGP keyring, base64-encoded.' })),
    key_src: Type.Optional(Type.String({ minLength: 1, description: "The signing key in a controller file (armored or binary), found in the role's/playbook's files/ directories; read before connecting." })),
    key_fingerprints: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9A-Fa-f ]+$' }), {
        minItems: 1,
        description: 'Primary key fingerprints the key must hold (spaces allowed); a key without them is refused before any host is contacted.',
      }),
    ),
    signed_by: Type.Optional(Type.String({ pattern: '^/\\S+$', description: 'Instead of a key: `Signed-By:` an existing keyring on the host, e.g. one a package installs in /usr/share/keyrings.' })),
    pin: Type.Optional(AptPinParams),
    update_cache: Type.Optional(Type.Boolean({ default: true, description: 'Run `apt-get update` when the source or its key changed (or a source changed since the last update).' })),
    lock_timeout: Type.Optional(Type.Integer({ minimum: 0, default: 60, description: 'Seconds to wait for the package manager lock held by another process before failing.' })),
  },
  { additionalProperties: false },
);

/** Params of `apt.repository`. */
export type AptRepositoryParams = Static<typeof AptRepositoryParams>;

/** The three files of a repository named `name`. */
export function repositoryPaths(name: string): { sources: string; keyring: string; pin: string } {
  return { sources: `/etc/apt/sources.list.d/${name}.sources`, keyring: `/etc/apt/keyrings/${name}.gpg`, pin: `/etc/apt/preferences.d/${name}.pref` };
}

/** The binary keyring a task installs (from `key` or `key_base64`), with its primary keys; undefined without one. */
export function repositoryKeyring(p: AptRepositoryParams): { bytes: Uint8Array; keys: OpenPgpPublicKey[] } | undefined {
  if (p.key !== undefined) return keyringOf(new Uint8Array(Buffer.from(p.key, 'utf8')));
  if (p.key_base64 !== undefined) return keyringOf(new Uint8Array(Buffer.from(p.key_base64.replace(/\s+/g, ''), 'base64')));
  return undefined;
}

function normalizeFingerprint(f: string): string {
  return f.replace(/\s+/g, '').toUpperCase();
}

/** Checks the key material; an error message or nothing. */
function checkKey(p: AptRepositoryParams): string | undefined {
  let ring: ReturnType<typeof repositoryKeyring>;
  try {
    ring = repositoryKeyring(p);
  } catch (e) {
    return `${p.key !== undefined ? 'key' : 'key_base64'}: ${(e as Error).message}`;
  }
  if (ring && p.key_fingerprints) {
    const have = ring.keys.map((k) => k.fingerprint);
    const missing = p.key_fingerprints.map(normalizeFingerprint).filter((f) => !have.includes(f));
    if (missing.length > 0) return `the key does not hold ${missing.join(', ')} (it holds ${have.join(', ')})`;
  }
  return undefined;
}

/**
 * The deb822 `.sources` text (sources.list(5), "DEB822-STYLE FORMAT"): one stanza with Types,
 * URIs, Suites, Components, Architectures, Signed-By and Enabled, in that order, values joined
 * by single spaces, after one `#` comment line naming the task.
 */
export function renderSources(p: AptRepositoryParams): string {
  const lines = [`# Managed by converge (apt.repository ${p.name})`];
  lines.push(`Types: ${(p.types ?? ['deb']).join(' ')}`);
  lines.push(`URIs: ${(p.uris ?? []).join(' ')}`);
  lines.push(`Suites: ${(p.suites ?? []).join(' ')}`);
  if (p.components) lines.push(`Components: ${p.components.join(' ')}`);
  if (p.architectures) lines.push(`Architectures: ${p.architectures.join(' ')}`);
  const signedBy = p.signed_by ?? (p.key !== undefined || p.key_base64 !== undefined ? repositoryPaths(p.name).keyring : undefined);
  if (signedBy) lines.push(`Signed-By: ${signedBy}`);
  if (p.enabled === false) lines.push('Enabled: no');
  return `${lines.join('\n')}\n`;
}

/**
 * The preferences text of a pin (apt_preferences(5)): `Package`, `Pin` (`version V`, or
 * `origin "HOST"` of the first URI) and `Pin-Priority`, with an `Explanation:` line naming the
 * task (the field apt_preferences(5) gives for comments).
 */
export function renderPin(p: AptRepositoryParams): string | undefined {
  if (!p.pin) return undefined;
  const pin = p.pin;
  const packages = (pin.packages ?? ['*']).join(' ');
  const what = pin.version !== undefined ? `version ${pin.version}` : `origin "${originOf(p.uris?.[0] ?? '')}"`;
  const priority = pin.priority ?? 1001;
  return `Explanation: Managed by converge (apt.repository ${p.name})\nPackage: ${packages}\nPin: ${what}\nPin-Priority: ${priority}\n`;
}

/** The origin apt matches `Pin: origin` against: the URI's host name, empty for local (`file:`) URIs. */
function originOf(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return '';
  }
}

function validateRepository(p: AptRepositoryParams): string | undefined {
  const keys = [p.key, p.key_base64, p.key_src, p.signed_by].filter((k) => k !== undefined).length;
  if (keys > 1) return 'give at most one of key, key_base64, key_src and signed_by';
  if ((p.state ?? 'present') === 'absent') return undefined;
  if (!p.uris) return 'give uris (the repository URIs)';
  if (!p.suites) return 'give suites (e.g. ["stable"])';
  const exact = p.suites.filter((s) => s.endsWith('/'));
  if (exact.length > 0 && exact.length < p.suites.length) return 'suites are either all exact paths (ending in /) or all distribution names';
  if (exact.length > 0 && p.components) return 'a suite that is an exact path (ending in /) takes no components (sources.list(5))';
  if (exact.length === 0 && !p.components) return 'give components (e.g. ["main"]); only an exact-path suite (ending in /) takes none';
  if (p.key_fingerprints && p.key === undefined && p.key_base64 === undefined && p.key_src === undefined) return 'key_fingerprints checks a key: give key, key_base64 or key_src';
  if (p.pin && p.pin.version === undefined && p.pin.priority === undefined) return 'a pin without a version pins the whole repository: give its priority (apt_preferences(5))';
  return checkKey(p);
}

type RepoFacts = {
  sources: FactRequest<FileState>;
  keyring: FactRequest<FileState>;
  pin: FactRequest<FileState>;
  lists?: FactRequest<ListsAge>;
};

/** Private plan data for apply. */
export interface AptRepositoryPlan {
  write: { path: string; base64: string }[];
  remove: string[];
  update: boolean;
}

/** What a repository wants in each of its files (`null`: the file must not exist). */
function wanted(p: AptRepositoryParams): { sources: Uint8Array | null; keyring: Uint8Array | null; pin: Uint8Array | null } {
  if ((p.state ?? 'present') === 'absent') return { sources: null, keyring: null, pin: null };
  const pin = renderPin(p);
  return {
    sources: new Uint8Array(Buffer.from(renderSources(p), 'utf8')),
    keyring: repositoryKeyring(p)?.bytes ?? null,
    pin: pin === undefined ? null : new Uint8Array(Buffer.from(pin, 'utf8')),
  };
}

/** One file's changes: content by sha256, then root:root 0644. */
function planFile(label: string, path: string, want: Uint8Array | null, state: FileState, text: boolean, out: { changes: Change[]; diffs: FileDiff[]; data: AptRepositoryPlan }): void {
  if (state.type === 'directory') throw new ConvergeError('CONVERGE_PLAN', `apt.repository: ${path} is a directory`, { hint: 'remove it or choose another name' });
  const cur = state.type === 'file' ? state.target : undefined;
  if (want === null) {
    if (state.type !== 'absent') {
      out.data.remove.push(path);
      out.changes.push({ path: label, before: cur?.sha256 ? `sha256:${cur.sha256}` : state.type, after: null });
      if (text) out.diffs.push(fileDiff(path, cur?.content ?? '', null));
    }
    return;
  }
  const sha = sha256Hex(want);
  const contentDiffers = cur?.sha256 !== sha;
  const attrs = cur !== undefined && (cur.mode !== '0644' || cur.owner !== 'root' || cur.group !== 'root');
  if (!contentDiffers && !attrs) return;
  out.data.write.push({ path, base64: Buffer.from(want).toString('base64') });
  if (contentDiffers) {
    out.changes.push({ path: label, before: cur ? `sha256:${cur.sha256 ?? '?'}` : state.type === 'absent' ? null : state.type, after: `sha256:${sha}` });
    if (text) out.diffs.push(fileDiff(path, cur ? (cur.content ?? '') : null, Buffer.from(want).toString('latin1')));
  }
  if (cur && cur.mode !== '0644') out.changes.push({ path: `${label}.mode`, before: cur.mode, after: '0644' });
  if (cur && (cur.owner !== 'root' || cur.group !== 'root')) out.changes.push({ path: `${label}.owner`, before: `${cur.owner}:${cur.group}`, after: 'root:root' });
}

/**
 * Module `apt.repository`: a third-party APT repository as a deb822 `.sources` file in
 * /etc/apt/sources.list.d (sources.list(5), "DEB822-STYLE FORMAT") whose `Signed-By:` names
 * the keyring it installs in /etc/apt/keyrings (the place sources.list(5) recommends for keys
 * the operator manages), and an optional pin in /etc/apt/preferences.d (apt_preferences(5)).
 *
 * The key is given as content (armored, binary or a controller file), never fetched by the
 * host. Armored keys are dearmored on the controller into the bytes `gpg --dearmor` writes
 * (RFC 4880 §6.2, checksum verified), so the target needs no gpg and check mode knows the exact
 * keyring; a private key, damaged armor or a key lacking `key_fingerprints` is refused before
 * any host is contacted. Files are written atomically, root:root 0644.
 *
 * `apt-get update` runs (waiting for the package manager lock like `apt`) only when the source
 * or its key changed, or when a source changed after the last update; it touches the update
 * stamp, so a later `apt` task with `cache_valid_time` does not refresh again, and an `apt` task
 * whose `update_cache` is due because a source changed sees it through its `apt.lists_age`
 * fact. A source apt cannot reach is a warning of `apt-get update` (exit 0), shown as the task's
 * message; a source apt refuses (bad signature, malformed file) fails the task. A pin change
 * needs no update (apt reads preferences at each run).
 *
 * @example
 * apt.repository({
 *   name: 'grafana', uris: ['https://apt.grafana.com'], suites: ['stable'], components: ['main'],
 *   key_src: 'grafana.gpg.key', // from https://apt.grafana.com/gpg.key
 *   pin: { packages: ['alloy'], version: '1.5.*' },
 * })
 */
export const aptRepository = defineModule({
  name: 'apt.repository',
  description: 'An APT repository: deb822 sources file, signing keyring and optional pin.',
  params: AptRepositoryParams,
  validate: validateRepository,
  prepare: async (p, ctx: PrepareContext): Promise<AptRepositoryParams> => {
    if (p.key_src === undefined) return p;
    const { bytes } = await readSource('apt.repository', p.key_src, ctx.searchPaths.files, ctx, { param: 'key_src' });
    const { key_src: _src, ...rest } = p;
    const prepared: AptRepositoryParams = { ...rest, key_base64: Buffer.from(bytes).toString('base64') };
    const problem = checkKey(prepared);
    if (problem) throw new ConvergeError('CONVERGE_PARAMS', `apt.repository ${p.name}: key_src ${p.key_src}: ${problem.replace(/^key_base64: /, '')}`);
    return prepared;
  },
  facts: (p) => {
    const paths = repositoryPaths(p.name);
    const want = wanted(p);
    const probe = (path: string, bytes: Uint8Array | null, text: boolean) =>
      fileState(bytes === null ? { path, ...(text ? { content: true } : {}) } : { path, contentUnlessSha256: sha256Hex(bytes) });
    const f: RepoFacts = {
      sources: probe(paths.sources, want.sources, true),
      keyring: probe(paths.keyring, want.keyring, false),
      pin: probe(paths.pin, want.pin, true),
    };
    if (p.update_cache ?? true) f.lists = aptListsAge({});
    return f;
  },
  plan: ({ params: p, facts: f }) => {
    const paths = repositoryPaths(p.name);
    const want = wanted(p);
    const out = { changes: [] as Change[], diffs: [] as FileDiff[], data: { write: [], remove: [], update: false } as AptRepositoryPlan };
    planFile('keyring', paths.keyring, want.keyring, f.keyring, false, out);
    planFile('sources', paths.sources, want.sources, f.sources, true, out);
    planFile('pin', paths.pin, want.pin, f.pin, true, out);
    if (p.update_cache ?? true) {
      const touched = out.changes.some((c) => c.path === 'sources' || c.path === 'keyring');
      if (touched || f.lists?.sourcesChanged) {
        out.data.update = true;
        out.changes.push({ path: 'cache', before: touched ? 'lists without this source' : 'lists older than the sources', after: 'updated' });
      }
    }
    if (out.changes.length === 0) {
      const what = (p.state ?? 'present') === 'absent' ? `${paths.sources} is absent` : `${paths.sources}${want.keyring ? ', its keyring' : ''}${want.pin ? ' and its pin' : ''} are in place`;
      return { changes: [], reason: what };
    }
    return out;
  },
  apply: ({ params: p, plan }): Command[] => {
    const d = plan.data;
    const steps: Command[] = [];
    for (const w of d.write) {
      steps.push(...writeFileSteps({ path: w.path, followLinks: false, content: new Uint8Array(Buffer.from(w.base64, 'base64')), mode: '0644', owner: 'root', group: 'root', createParents: true }));
    }
    if (d.remove.length > 0) steps.push({ script: sh`rm -f -- ${d.remove}`, description: `remove ${d.remove.join(', ')}` });
    if (d.update) {
      // apt-get update keeps the old lists and exits 0 when a signature fails to verify and old
      // lists exist: for this repository's URIs that is a failure, and the stamp stays old so
      // the next run updates again.
      const uris = (p.uris ?? []).map((u) => u.replace(/\/+$/, ''));
      const check = uris.length === 0 ? raw('') : sh`
if [ "$rc" -eq 0 ] && grep -E ${SIGNATURE_ERRORS} "$errf" | grep -q -F ${uris.flatMap((u) => ['-e', u])}; then echo "converge: apt refused the signature of this repository" >&2; rc=100; fi`;
      steps.push({
        script: aptLockedStep(
          p.lock_timeout ?? 60,
          sh`errf=$(mktemp); trap 'rm -f -- "$errf"' EXIT
converge_apt_get -q update 2>"$errf"; rc=$?; cat -- "$errf" >&2${check}
if [ "$rc" -eq 0 ]; then mkdir -p /var/lib/apt/periodic && touch ${UPDATE_STAMP}; fi
exit "$rc"`,
        ),
        description: 'apt-get update',
      });
    }
    return steps;
  },
  outcome: (out, { params: p, plan }): ApplyOutcome => {
    // The engine hands over the failed step, or the last one: only the update step's output is apt's.
    if (!plan.data.update || (out as { description?: string }).description !== 'apt-get update') return {};
    const uris = (p.uris ?? []).map((u) => u.replace(/\/+$/, ''));
    const said = out.stderr.split('\n').filter((l) => /^E:/.test(l) || l.startsWith('converge: ') || (/^(W|Err):/.test(l) && uris.some((u) => l.includes(u))));
    const text = said.map((l) => l.replace(/^converge: /, ''));
    if (out.exitCode === LOCK_TIMEOUT_EXIT) return { failed: true, message: text.find((l) => l.includes('gave up')) ?? 'gave up waiting for the package manager lock' };
    if (out.exitCode !== 0) return { failed: true, message: `apt-get update failed with exit code ${out.exitCode}${text.length ? `:\n${text.slice(-15).join('\n')}` : ''}` };
    return text.length > 0 ? { message: `apt-get update: ${text.join('; ')}` } : {};
  },
  resources: (p) => {
    const paths = repositoryPaths(p.name);
    return [paths.sources, paths.keyring, paths.pin, '/var/lib/apt/lists', UPDATE_STAMP];
  },
});
