import { ConvergeError, defineFact, defineModule, isSecret, OrSecret, raw, reveal, secret, sh, Type } from '@converge/core';
import type { Change, Plan, RawShell, Secret, Static } from '@converge/core';
import { predictingEarlierChanges, requirePrerequisite } from '../check-mode/earlier-changes.js';

/** A working copy as git reports it. */
export interface GitCheckout {
  /** False when git is not installed. */
  git: boolean;
  /** What dest is: absent, an empty directory, a git working copy, or something else. */
  dest: 'absent' | 'empty' | 'repository' | 'other';
  head?: string;
  /** The checked-out branch (`refs/heads/...` without the prefix); undefined when detached. */
  branch?: string;
  /** URL of the remote. */
  remoteUrl?: string;
  /** True when tracked files have uncommitted changes (`git status --porcelain --untracked-files=no`). */
  modified?: boolean;
}

/** Fact `git.checkout`: the working copy at dest (HEAD, branch, remote URL, local changes). */
export const gitCheckout = defineFact<{ dest: string; remote: string }, GitCheckout>({
  name: 'git.checkout',
  description: 'HEAD, branch, remote URL and local changes of a git working copy.',
  command: ({ dest, remote }) =>
    sh`if ! command -v git >/dev/null 2>&1; then echo 'git no'; fi
d=${dest}
if [ ! -e "$d" ]; then echo 'dest absent'; exit 0; fi
if [ -d "$d" ] && [ -z "$(ls -A -- "$d")" ]; then echo 'dest empty'; exit 0; fi
if ! command -v git >/dev/null 2>&1 || [ ! -e "$d/.git" ]; then echo 'dest other'; exit 0; fi
echo 'dest repository'
echo "head $(git -C "$d" rev-parse -q --verify HEAD 2>/dev/null)"
echo "branch $(git -C "$d" symbolic-ref -q --short HEAD 2>/dev/null)"
echo "url $(git -C "$d" remote get-url ${remote} 2>/dev/null)"
if [ -n "$(git -C "$d" status --porcelain --untracked-files=no 2>/dev/null)" ]; then echo 'modified yes'; fi`,
  parse: (stdout) => {
    const get = (k: string) => new RegExp(`^${k} (.*)$`, 'm').exec(stdout)?.[1]?.trim();
    const dest = (get('dest') ?? 'other') as GitCheckout['dest'];
    const out: GitCheckout = { git: !/^git no$/m.test(stdout), dest };
    if (dest === 'repository') {
      const head = get('head');
      const branch = get('branch');
      const url = get('url');
      if (head) out.head = head;
      if (branch) out.branch = branch;
      if (url) out.remoteUrl = url;
      out.modified = /^modified yes$/m.test(stdout);
    }
    return out;
  },
  resources: ({ dest }) => [dest],
});

/** What `git ls-remote` said about a version: the commit it names, and whether it is a branch or a tag. */
export interface GitRemoteRef {
  sha?: string;
  kind?: 'branch' | 'tag' | 'head';
  /** The error of ls-remote (host key, authentication, network, no such repository). */
  error?: string;
}

/**
 * Which commit `version` names in `git ls-remote` output: HEAD, a branch (`refs/heads/V`), or a
 * tag (`refs/tags/V`, its peeled `^{}` commit for an annotated tag), in Ansible's order.
 */
export function resolveRemote(lsRemote: string, version: string): GitRemoteRef {
  const refs = new Map<string, string>();
  for (const line of lsRemote.split('\n')) {
    const m = /^([0-9a-f]{40,64})\t(.+)$/.exec(line.trim());
    if (m) refs.set(m[2] as string, m[1] as string);
  }
  if (version === 'HEAD') return refs.has('HEAD') ? { sha: refs.get('HEAD') as string, kind: 'head' } : {};
  const branch = refs.get(`refs/heads/${version}`);
  if (branch) return { sha: branch, kind: 'branch' };
  const tag = refs.get(`refs/tags/${version}^{}`) ?? refs.get(`refs/tags/${version}`);
  if (tag) return { sha: tag, kind: 'tag' };
  return {};
}

/** Arguments of {@link gitRemote}. */
export interface GitRemoteArgs {
  repo: string;
  version: string;
  key?: Secret | string;
  /** Stands for the key in the cache key (see secretIds); the key itself is never shown. */
  keyId?: number;
}

/** Shell text that runs `body` with GIT_SSH_COMMAND using the deploy key in `"$k"` (a 0600 mktemp file, removed on exit). */
function withKey(keyFrom: RawShell, body: RawShell): RawShell {
  return sh`k=$(mktemp) || exit 1
trap 'rm -f -- "$k"' EXIT
${keyFrom}
GIT_SSH_COMMAND="ssh -i $k -o IdentitiesOnly=yes -o BatchMode=yes"; export GIT_SSH_COMMAND
${body}`;
}

/** A here-document writing `text` (a private key) into `"$k"`, inside a probe script. */
function keyHereDoc(text: string): RawShell {
  const b64 = Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\n');
  return raw(`base64 -d > "$k" <<'CV_GIT_KEY'\n${b64}CV_GIT_KEY`);
}

/**
 * Fact `git.remote`: the commit a version names in the remote repository (`git ls-remote`),
 * asked from the host while it is probed. A deploy key is written to a 0600 temp file for the
 * request and removed right after (it travels inside the probe script, never on a command
 * line). Resources `*`: an earlier task (known_hosts, a key) may change the answer.
 */
export const gitRemote = defineFact<GitRemoteArgs, GitRemoteRef>({
  name: 'git.remote',
  description: 'The commit a branch, tag or HEAD names in a remote repository.',
  command: ({ repo, version, key }) => {
    const ls = sh`GIT_TERMINAL_PROMPT=0 git ls-remote -- ${repo} HEAD ${`refs/heads/${version}`} ${`refs/tags/${version}`} ${`refs/tags/${version}^{}`} 2>&1 || echo "ls-remote failed"`;
    const body = key === undefined ? ls : withKey(keyHereDoc(reveal(key)), ls);
    return sh`command -v git >/dev/null 2>&1 || { echo 'git missing'; exit 0; }\n${body}`;
  },
  parse: (stdout, { args }) => {
    if (/^git missing$/m.test(stdout)) return { error: 'git is not installed' };
    if (/^ls-remote failed$/m.test(stdout)) return { error: stdout.replace(/^ls-remote failed$/m, '').trim() };
    return resolveRemote(stdout, args.version);
  },
  resources: () => ['*'],
});

let keyIds = 0;
const keyIdOf = new WeakMap<object, number>();

/** Params of {@link git}. */
export const GitParams = Type.Object(
  {
    repo: Type.String({ minLength: 1, pattern: '^[^\\s]+$', description: 'Repository URL (ssh://, https://, git@host:path, file://).' }),
    dest: Type.String({ pattern: '^/', description: 'The working copy on the host.' }),
    version: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\s]+$', default: 'HEAD', description: "What to check out: HEAD (the remote's default branch), a branch, a tag, or a full 40-character commit." })),
    depth: Type.Optional(Type.Integer({ minimum: 1, description: 'Shallow clone/fetch of this many commits.' })),
    force: Type.Optional(Type.Boolean({ default: false, description: 'Discard local changes to tracked files when the version moves (else the task fails).' })),
    update: Type.Optional(Type.Boolean({ default: true, description: 'false: clone when missing, never move an existing working copy.' })),
    remote: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]+$', default: 'origin', description: 'Name of the remote.' })),
    key: Type.Optional(OrSecret(Type.String({ description: 'An SSH private key (deploy key) for the repository: given as a Secret, written to a 0600 temp file on the host only while git runs. The host key must be known (knownHosts).' }))),
  },
  { additionalProperties: false },
);

type P = Static<typeof GitParams>;

const FULL_SHA = /^[0-9a-f]{40}$/;

interface GitData {
  action: 'clone' | 'update';
  sha: string;
  kind: 'branch' | 'tag' | 'head' | 'commit';
  setUrl: boolean;
  reset: boolean;
}

/**
 * Clones a git repository and keeps a working copy at a version (Ansible's
 * `ansible.builtin.git`): the probe reads HEAD of the working copy and asks the remote
 * (`git ls-remote`) which commit the version names, so an up-to-date copy costs no round trip
 * of its own and check mode says exactly which commit a clone or update brings. A moved
 * version is fetched and checked out (a branch stays checked out as that branch); local changes
 * to tracked files fail the task unless `force`. A deploy `key` (a Secret) is used through
 * GIT_SSH_COMMAND with BatchMode, so an unknown host key fails rather than being accepted: add
 * it first with `knownHosts`. Needs git on the host. Not supported: short commit ids,
 * `accept_hostkey`, `bare`, `recursive` submodules, `archive`.
 *
 * @example git({ repo: 'ssh://git@git.example.test/app.git', dest: '/srv/app', version: 'v1.4.2', key: vault('kv/data/deploy#key') })
 */
export const git = defineModule({
  name: 'git',
  description: 'Clone a git repository and keep it at a version.',
  params: GitParams,
  validate: (p) => {
    if (/^[0-9a-f]{7,39}$/.test(p.version ?? '')) return 'give a full 40-character commit id, a branch or a tag (short ids are not resolved)';
    if (p.depth !== undefined && FULL_SHA.test(p.version ?? '')) return 'depth works with a branch, a tag or HEAD, not with a commit id';
    return undefined;
  },
  facts: (p) => {
    const version = p.version ?? 'HEAD';
    let keyId: number | undefined;
    if (p.key !== undefined && isSecret(p.key)) {
      keyId = keyIdOf.get(p.key) ?? ++keyIds;
      keyIdOf.set(p.key, keyId);
    }
    return {
      local: gitCheckout({ dest: p.dest, remote: p.remote ?? 'origin' }),
      remote: FULL_SHA.test(version) ? undefined : gitRemote({ repo: p.repo, version, ...(p.key !== undefined ? { key: p.key } : {}), ...(keyId !== undefined ? { keyId } : {}) }),
    };
  },
  plan: ({ params: p, facts, host, upstreamChanged }): Plan<GitData> => {
    const version = p.version ?? 'HEAD';
    const local = facts.local;
    const remote = facts.remote;
    requirePrerequisite(local.git, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'git: git is not installed on the host', { hint: 'install it first (apt: git)' }));
    if (local.dest === 'other') throw new ConvergeError('CONVERGE_PLAN', `git: ${p.dest} exists and is not a git working copy`, { hint: 'remove it, or choose another dest' });
    let sha: string;
    let kind: GitData['kind'];
    if (FULL_SHA.test(version)) {
      sha = version;
      kind = 'commit';
    } else if (remote?.sha !== undefined) {
      sha = remote.sha;
      kind = remote.kind ?? 'head';
    } else if (predictingEarlierChanges({ host, upstreamChanged })) {
      const action = local.dest === 'repository' ? 'update' : 'clone';
      return { changes: [{ path: 'version', before: local.head ?? null, after: `${version} (${action}; the commit is not known before the earlier changes run)` }], unknown: `the commit of ${version} after the earlier changes` };
    } else {
      throw new ConvergeError('CONVERGE_PLAN', remote?.error !== undefined ? `git: cannot read ${p.repo}: ${remote.error}` : `git: ${p.repo} has no branch or tag ${version}`, {
        hint: remote?.error?.includes('Host key verification failed') ? 'add the host key first (knownHosts)' : 'check repo, version and key',
      });
    }
    if (local.dest !== 'repository') {
      return { changes: [{ path: 'version', before: null, after: `${version} (${sha})` }], data: { action: 'clone', sha, kind, setUrl: false, reset: false } satisfies GitData };
    }
    const changes: Change[] = [];
    const setUrl = local.remoteUrl !== undefined && local.remoteUrl !== p.repo;
    if (setUrl) changes.push({ path: 'remote_url', before: local.remoteUrl, after: p.repo });
    const onBranch = kind !== 'branch' || local.branch === version;
    if ((local.head !== sha || !onBranch) && (p.update ?? true)) {
      if (local.modified && !p.force) {
        throw new ConvergeError('CONVERGE_PLAN', `git: ${p.dest} has local changes to tracked files and ${version} moved to ${sha}`, { hint: 'commit or discard them, or set force: true to discard them' });
      }
      changes.push({ path: 'version', before: `${local.branch ?? 'detached'} (${local.head ?? '?'})`, after: `${version} (${sha})` });
    }
    if (changes.length === 0) return { changes, reason: `${p.dest} is at ${version} (${sha.slice(0, 12)})` };
    return { changes, data: { action: 'update', sha, kind, setUrl, reset: Boolean(local.modified && p.force) } satisfies GitData };
  },
  apply: ({ params: p, plan }) => {
    const d = plan.data;
    const version = p.version ?? 'HEAD';
    const remote = p.remote ?? 'origin';
    const depth = p.depth !== undefined ? sh`--depth ${p.depth}` : raw('');
    const lines: RawShell[] = [raw('set -e'), raw('GIT_TERMINAL_PROMPT=0; export GIT_TERMINAL_PROMPT')];
    if (d.action === 'clone') {
      const branch = d.kind === 'branch' || d.kind === 'tag' ? sh`--branch ${version}` : raw('');
      lines.push(sh`git clone -q --origin ${remote} ${depth} ${branch} -- ${p.repo} ${p.dest}`);
      if (d.kind === 'commit') lines.push(sh`git -C ${p.dest} checkout -q --detach ${d.sha}`);
    } else {
      if (d.setUrl) lines.push(sh`git -C ${p.dest} remote set-url ${remote} ${p.repo}`);
      if (d.reset) lines.push(sh`git -C ${p.dest} reset -q --hard`);
      const ref = d.kind === 'branch' ? [`refs/heads/${version}`] : d.kind === 'tag' ? [`refs/tags/${version}`] : d.kind === 'head' ? ['HEAD'] : [];
      lines.push(sh`git -C ${p.dest} fetch -q ${depth} ${remote} ${ref}`);
      if (d.kind === 'branch') lines.push(sh`git -C ${p.dest} checkout -q ${p.force ? raw('--force') : raw('')} -B ${version} ${d.sha}`);
      else lines.push(sh`git -C ${p.dest} checkout -q ${p.force ? raw('--force') : raw('')} --detach ${d.sha}`);
    }
    const body = raw(lines.map((l) => l.text).join('\n'));
    if (p.key === undefined) return [{ script: body, description: `${d.action} ${p.repo} at ${version}` }];
    const key = reveal(p.key);
    return [{ script: withKey(raw('cat > "$k"'), body), stdin: secret(key.endsWith('\n') ? key : `${key}\n`), description: `${d.action} ${p.repo} at ${version}` }];
  },
  resources: (p) => [p.dest],
});
