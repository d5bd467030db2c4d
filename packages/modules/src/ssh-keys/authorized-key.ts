import { ConvergeError, defineModule, sh, Type } from '@converge/core';
import type { Change, Command, Static } from '@converge/core';
import { writeFileSteps } from '../file/atomic-write.js';
import { fileDiff } from '../file/file-diff.js';
import { fromBinary } from '../file/text-lines.js';
import { sshUserFile } from './user-file.js';
import type { UserFile } from './user-file.js';
import { changeNotKnownYet, requirePrerequisite } from '../check-mode/earlier-changes.js';

/** One line of an authorized_keys file (sshd(8) AUTHORIZED_KEYS FILE FORMAT). */
export interface AuthorizedKeyLine {
  options?: string;
  type: string;
  blob: string;
  comment?: string;
}

/** Key types sshd accepts in authorized_keys (sshd(8)); certificates' `-cert-v01@openssh.com` types too. */
const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v01@openssh\.com)?$/;

/** Splits off the options field: commas and quoted strings (which may hold spaces) up to the first unquoted blank. */
function splitOptions(line: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return [line.slice(0, i), line.slice(i).trimStart()];
  }
  return [line, ''];
}

/**
 * Parses one authorized_keys line: `[options] keytype base64 [comment]`; `undefined` for a
 * blank line, a comment or anything that is not a key.
 */
export function parseAuthorizedKey(line: string): AuthorizedKeyLine | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  let options: string | undefined;
  let rest = t;
  const first = t.split(/\s+/, 1)[0] ?? '';
  if (!KEY_TYPE.test(first)) {
    [options, rest] = splitOptions(t);
  }
  const m = /^(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/.exec(rest);
  if (!m || !KEY_TYPE.test(m[1] ?? '')) return undefined;
  return { ...(options !== undefined ? { options } : {}), type: m[1] as string, blob: m[2] as string, ...(m[3] ? { comment: m[3].trim() } : {}) };
}

/** A key line as written: options, type, blob, comment separated by single spaces (as Ansible writes them). */
export function formatAuthorizedKey(k: AuthorizedKeyLine): string {
  return [k.options, k.type, k.blob, k.comment].filter((x) => x !== undefined && x !== '').join(' ');
}

/** Params of {@link authorizedKey}. */
export const AuthorizedKeyParams = Type.Object(
  {
    user: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$', description: 'The account whose authorized_keys is managed; owns the file and ~/.ssh.' }),
    key: Type.String({ minLength: 1, description: 'One public key per line (`ssh-ed25519 AAAA... comment`, options allowed in front). Blank lines and # comments are skipped.' }),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'Absolute path of the file. Default: ~USER/.ssh/authorized_keys.' })),
    manage_dir: Type.Optional(Type.Boolean({ default: true, description: "Create the file's directory (0700, owned by user) when missing. Only with the default path." })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: the keys are in the file; absent: they are not.' })),
    key_options: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\n]*$', description: 'sshd options for every key of `key` (`from="10.0.0.0/8",no-agent-forwarding`), replacing options written in key.' })),
    exclusive: Type.Optional(Type.Boolean({ default: false, description: 'Remove every key not in `key` (state present only).' })),
    comment: Type.Optional(Type.String({ pattern: '^[^\\n]*$', description: "Comment for every key of `key`, replacing the keys' own." })),
  },
  { additionalProperties: false },
);

type P = Static<typeof AuthorizedKeyParams>;

/** The keys a task names, with its key_options and comment applied. */
export function wantedKeys(p: P): AuthorizedKeyLine[] {
  const out: AuthorizedKeyLine[] = [];
  for (const line of p.key.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const k = parseAuthorizedKey(t);
    if (!k) throw new ConvergeError('CONVERGE_PARAMS', `authorizedKey: not a public key line: ${JSON.stringify(t.slice(0, 60))}`);
    const { options: _o, comment: _c, ...bare } = k;
    out.push({ ...bare, ...(p.key_options !== undefined ? { options: p.key_options } : k.options !== undefined ? { options: k.options } : {}), ...(p.comment !== undefined ? { comment: p.comment } : k.comment !== undefined ? { comment: k.comment } : {}) });
  }
  return out;
}

/**
 * An authorized_keys text with the wanted keys present (a key, known by type and blob, whose
 * options or comment differ is rewritten in place; a new one is appended), absent, or (exclusive)
 * as the only keys. Other lines are kept as they are.
 */
export function editAuthorizedKeys(before: string, wanted: AuthorizedKeyLine[], state: 'present' | 'absent', exclusive: boolean): string {
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const id = (k: AuthorizedKeyLine): string => `${k.type} ${k.blob}`;
  const want = new Map(wanted.map((k) => [id(k), k]));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const k = parseAuthorizedKey(line);
    if (!k) {
      if (!exclusive || state === 'absent' || line.trim() === '' || line.trim().startsWith('#')) out.push(line);
      continue;
    }
    const w = want.get(id(k));
    if (state === 'absent') {
      if (!w) out.push(line);
      continue;
    }
    if (!w) {
      if (!exclusive) out.push(line);
      continue;
    }
    if (seen.has(id(k))) continue;
    seen.add(id(k));
    out.push(formatAuthorizedKey(k) === formatAuthorizedKey(w) ? line : formatAuthorizedKey(w));
  }
  if (state === 'present') for (const w of wanted) if (!seen.has(id(w))) out.push(formatAuthorizedKey(w));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** What {@link applyUserKeyFile} writes. */
export interface KeysData {
  content: string;
  /** Mode to set; absent: an existing file keeps its own. */
  mode?: string;
  mkdir: boolean;
  path: string;
  uid: number;
  gid: number;
}

/**
 * Plans a file of user-owned SSH lines (authorized_keys, known_hosts): the new text, ~/.ssh made
 * when missing (0700), the file owned by the user with `mode`.
 */
export function planUserKeyFile(module: string, uf: UserFile, after: (before: string) => string, opts: { mode: string; enforceMode: boolean; manageDir: boolean; upstreamChanged: boolean; what: string }) {
  if (!uf.user) {
    requirePrerequisite(false, opts.upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `${module}: no such user`, { hint: 'create the user first (user module), earlier in the play' }));
    return { changes: [changeNotKnownYet(opts.what, 'as wanted')], data: undefined, unknown: 'the user is made by an earlier task' };
  }
  if (uf.file.target && uf.file.target.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `${module}: ${uf.path} is not a regular file`);
  const before = uf.file.target?.content === undefined ? '' : fromBinary(uf.file.target.content);
  const text = after(before);
  const changes: Change[] = [];
  const mkdir = uf.dir.type === 'absent';
  if (mkdir && !opts.manageDir) throw new ConvergeError('CONVERGE_PLAN', `${module}: the directory of ${uf.path} does not exist`, { hint: 'create it first, or use the default path with manage_dir' });
  if (mkdir) changes.push({ path: 'directory', before: null, after: `${uf.dir.path} (0700)` });
  if (text !== before || !uf.file.target) changes.push({ path: opts.what, before: uf.file.target ? 'other lines' : null, after: 'as wanted' });
  const t = uf.file.target;
  if (t && text === before && ((opts.enforceMode && t.mode !== opts.mode) || t.uid !== uf.user.uid)) changes.push({ path: 'attributes', before: `${t.mode} ${t.owner}`, after: `${opts.mode} uid ${uf.user.uid}` });
  if (changes.length === 0) return { changes, reason: `${uf.path} is as wanted`, data: undefined };
  const data: KeysData = { content: text, mkdir, path: uf.path, uid: uf.user.uid, gid: uf.user.gid, ...(opts.enforceMode || !t ? { mode: opts.mode } : {}) };
  return { changes, diffs: text !== before ? [fileDiff(uf.path, uf.file.target ? before : null, text)] : [], data };
}

/** The steps of {@link planUserKeyFile}'s data: the directory, then the atomic write owned by the user. */
export function applyUserKeyFile(d: KeysData | undefined): Command[] {
  if (!d) return [];
  const steps: Command[] = [];
  if (d.mkdir) steps.push({ script: sh`p=${d.path}; install -d -m 0700 -o ${d.uid} -g ${d.gid} -- "\${p%/*}"`, description: 'create the .ssh directory' });
  steps.push(...writeFileSteps({ path: d.path, followLinks: true, content: new Uint8Array(Buffer.from(d.content, 'utf8')), ...(d.mode !== undefined ? { mode: d.mode } : {}), owner: `+${d.uid}`, group: `+${d.gid}` }));
  return steps;
}

/**
 * Adds or removes SSH public keys in a user's authorized_keys, as `ansible.posix.authorized_key`:
 * keys are known by type and blob, so a key already there with other options or another comment
 * is rewritten in place; `exclusive` leaves only the given keys. The file is written atomically,
 * owned by the user, mode 0600, ~/.ssh made 0700 when missing. Keys come as text (a key from a
 * URL, `follow` and `validate_certs` are not supported).
 *
 * @example authorizedKey({ user: 'deploy', key: 'ssh-ed25519 AAAAC3Nza... ci@example', key_options: 'from="10.0.0.0/8"' })
 */
export const authorizedKey = defineModule({
  name: 'authorized_key',
  description: "Manage SSH public keys in a user's authorized_keys.",
  params: AuthorizedKeyParams,
  validate: (p) => {
    try {
      if (wantedKeys(p).length === 0) return 'key holds no public key';
    } catch (e) {
      return (e as Error).message;
    }
    if (p.exclusive && p.state === 'absent') return 'exclusive is only used with state present';
    return undefined;
  },
  facts: (p) => ({ file: sshUserFile({ user: p.user, path: p.path ?? '.ssh/authorized_keys' }) }),
  plan: ({ params: p, facts, upstreamChanged }) =>
    planUserKeyFile('authorizedKey', facts.file, (before) => editAuthorizedKeys(before, wantedKeys(p), p.state ?? 'present', p.exclusive ?? false), {
      mode: '0600',
      enforceMode: true,
      manageDir: p.path === undefined && (p.manage_dir ?? true),
      upstreamChanged,
      what: 'keys',
    }),
  apply: ({ plan }) => applyUserKeyFile(plan.data),
  resources: (p) => [p.path ?? 'ssh-user-file:.ssh/authorized_keys'],
});

