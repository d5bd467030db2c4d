import { createHmac, randomBytes } from 'node:crypto';
import { ConvergeError, defineModule, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { applyUserKeyFile, planUserKeyFile } from './authorized-key.js';
import { sshUserFile } from './user-file.js';

/** Params of {@link knownHosts}. */
export const KnownHostsParams = Type.Object(
  {
    name: Type.String({ pattern: '^(\\[[^\\]\\s,]+\\]:\\d+|[^\\s,\\[\\]|]+)$', description: 'The host as ssh looks it up: `host.example` or `[host.example]:2222` for another port.' }),
    key: Type.Optional(Type.String({ pattern: '^[^\\n]+$', description: 'The known_hosts line: `HOSTS KEYTYPE BASE64` (ssh-keyscan output); its host field must name `name`. Required with state present.' })),
    path: Type.Optional(Type.String({ pattern: '^/', description: "The known_hosts file. Default: ~/.ssh/known_hosts of the task's user." })),
    hash_host: Type.Optional(Type.Boolean({ default: false, description: 'Write the host field hashed (`|1|salt|hash`, as `ssh-keygen -H`).' })),
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present: the key is known for the host (keys of the same type for it are replaced); absent: no line names the host.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof KnownHostsParams>;

/**
 * True when a known_hosts host field (comma-separated names, or one `|1|salt|hash` hashed name:
 * HMAC-SHA1 of the name keyed with the salt, sshd(8) SSH_KNOWN_HOSTS FILE FORMAT) names `host`.
 * Wildcard patterns are not matched.
 */
export function hostFieldMatches(field: string, host: string): boolean {
  for (const h of field.split(',')) {
    const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(h);
    if (m) {
      const mac = createHmac('sha1', Buffer.from(m[1] ?? '', 'base64')).update(host).digest('base64');
      if (mac === m[2]) return true;
    } else if (h === host) return true;
  }
  return false;
}

/** A hashed host field, with a fresh salt. */
export function hashHost(host: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
}

/**
 * known_hosts text where `host` has the key (`type`, `blob`): kept when there, else the host's
 * lines of the same key type go and `line` is appended; with no key, every line naming the host
 * goes (`ssh-keygen -R`). Markers (`@cert-authority`) and comments are kept.
 */
export function editKnownHosts(before: string, host: string, want: { type: string; blob: string; line: string } | undefined): string {
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let present = false;
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (l.trim() === '' || l.trim().startsWith('#') || l.startsWith('@') || !hostFieldMatches(f[0] ?? '', host)) {
      out.push(l);
      continue;
    }
    if (!want) continue;
    if (f[1] === want.type && f[2] === want.blob) {
      if (!present) out.push(l);
      present = true;
      continue;
    }
    if (f[1] === want.type) continue;
    out.push(l);
  }
  if (want && !present) out.push(want.line);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The key of the task: its type, blob, and the line to write. */
function wantedKey(p: P): { type: string; blob: string; line: string } | undefined {
  if (p.key === undefined || (p.state ?? 'present') === 'absent') return undefined;
  const f = p.key.trim().split(/\s+/);
  if (f.length < 3 || !hostFieldMatches(f[0] ?? '', p.name)) {
    throw new ConvergeError('CONVERGE_PARAMS', `knownHosts: key must be a known_hosts line whose host field names ${p.name}`, { hint: 'use the output of ssh-keyscan HOST' });
  }
  const host = p.hash_host ? hashHost(p.name) : f[0];
  return { type: f[1] as string, blob: f[2] as string, line: [host, ...f.slice(1)].join(' ') };
}

/**
 * Adds or removes a host's key in a known_hosts file, as `ansible.builtin.known_hosts`: the
 * host's lines (plain or hashed names, matched on the controller) of the key's type are replaced
 * by the given line; other key types of the host are kept. Written atomically, owned by the
 * task's user. Used to pin a host key before a `git` clone over SSH.
 *
 * @example knownHosts({ name: 'git.example.test', key: 'git.example.test ssh-ed25519 AAAAC3Nza...' })
 */
export const knownHosts = defineModule({
  name: 'known_hosts',
  description: 'Add or remove a host key in a known_hosts file.',
  params: KnownHostsParams,
  validate: (p) => {
    if ((p.state ?? 'present') === 'present' && p.key === undefined) return 'key is required with state present';
    try {
      wantedKey(p);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  },
  facts: (p, host) => ({ file: sshUserFile({ user: host.user, path: p.path ?? '.ssh/known_hosts' }) }),
  plan: ({ params: p, facts, upstreamChanged }) => {
    const want = wantedKey(p);
    return planUserKeyFile('knownHosts', facts.file, (before) => {
      const after = editKnownHosts(before, p.name, want);
      // A freshly hashed line differs by its salt only: keep the file as it is when the key is there.
      return want && editKnownHosts(before, p.name, { ...want, line: '' }) === before ? before : after;
    }, { mode: '0644', enforceMode: false, manageDir: p.path === undefined, upstreamChanged, what: 'known_hosts' });
  },
  apply: ({ plan }) => applyUserKeyFile(plan.data),
  resources: (p) => [p.path ?? 'ssh-user-file:.ssh/known_hosts'],
});
