import { ConvergeError, defineModule, raw, secret, sh, Type } from '@converge/core';
import type { Change, Command, RawShell, Static } from '@converge/core';
import { commandPathExists } from '../command/path-exists.js';
import { readSource } from '../copy/content-write.js';
import { requirePrincipals } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { getRequest, hasSecret, httpClient, httpParams, requestConfig, requestScript } from '../http/http-request.js';
import { treeState } from '../tree/tree-state.js';
import type { TreeState } from '../tree/tree-state.js';
import { archiveFormat, listArchive } from './archive-list.js';
import type { ArchiveFormat, ArchiveMember } from './archive-list.js';
import { requirePrerequisite } from '../check-mode/earlier-changes.js';

const { url: _url, ...requestParams } = httpParams;

/** Params of {@link unarchive}. */
export const UnarchiveParams = Type.Object(
  {
    src: Type.Optional(Type.String({ minLength: 1, description: "An archive on the controller (the role's or playbook's files/), read and listed before connecting." })),
    url: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: 'An archive downloaded on the host instead (curl or wget); needs creates.' })),
    dest: Type.String({ pattern: '^/', description: 'An existing directory to extract into.' }),
    format: Type.Optional(Type.Union([Type.Literal('tar'), Type.Literal('tar.gz'), Type.Literal('zip')], { description: "The archive's format; default from its bytes (src) or its name (url)." })),
    creates: Type.Optional(Type.String({ minLength: 1, description: 'A path; when it exists nothing is extracted (required with url).' })),
    owner: Type.Optional(Type.String({ minLength: 1, description: 'Owner of the extracted entries (default: the task user; archive owners are never kept).' })),
    group: Type.Optional(Type.String({ minLength: 1, description: 'Group of the extracted entries.' })),
    ...requestParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof UnarchiveParams>;

/** Prepared params: a controller archive's bytes and listing. */
export type UnarchivePrepared = P & { archive?: { format: ArchiveFormat; base64: string; members: ArchiveMember[] } };

function formatOfName(url: string): ArchiveFormat | undefined {
  const path = url.replace(/[?#].*$/, '');
  if (/\.(tar\.gz|tgz)$/i.test(path)) return 'tar.gz';
  if (/\.zip$/i.test(path)) return 'zip';
  if (/\.tar$/i.test(path)) return 'tar';
  return undefined;
}

/** Members whose entry below dest differs from the archive: missing, another type, other bytes, mode or link text. */
export function differingMembers(members: readonly ArchiveMember[], tree: TreeState): string[] {
  const out: string[] = [];
  for (const m of members) {
    const e = tree.entries[m.path];
    if (!e || e.type !== m.type) out.push(m.path);
    else if (m.type === 'file' && (e.sha256 !== m.sha256 || (m.mode !== undefined && e.mode !== m.mode))) out.push(m.path);
    else if (m.type === 'link' && e.linkTarget !== m.linkTarget) out.push(m.path);
  }
  return out;
}

/** The extraction of an archive that is in `"$a"` (tar reads it from stdin when `a` is empty). */
function extract(format: ArchiveFormat, dest: string, fromStdin: boolean): RawShell {
  const input = fromStdin ? raw('-') : raw('"$a"');
  if (format === 'zip') return sh`unzip -o -qq "$a" -d ${dest}`;
  return sh`tar -x ${raw(format === 'tar.gz' ? '-z' : '')} --no-same-owner --same-permissions -f ${input} -C ${dest}`;
}

/**
 * Extracts a tar, tar.gz or zip archive into a directory of the host (Ansible's
 * `ansible.builtin.unarchive`) with tar or unzip there. A controller archive is listed before
 * connecting (with the sha256 of every file) and compared with what dest holds (one probe), so
 * it is extracted only when a member is missing or differs: list-based idempotence, a no-op
 * costs no round trip. It travels on the session (base64); a zip is written to a temp file for
 * unzip. An archive from `url` is downloaded on the host and needs `creates`, since listing it
 * would mean downloading it on every run. Archive owners are not kept (`--no-same-owner`).
 * Not supported: `remote_src` of a file already on the host, `include`/`exclude`, `keep_newer`,
 * `extra_opts`, formats other than tar, tar.gz and zip.
 *
 * @example unarchive({ src: 'app-1.2.tar.gz', dest: '/opt/app', owner: 'app' })
 */
export const unarchive = defineModule({
  name: 'unarchive',
  description: 'Extract a tar, tar.gz or zip archive (from the controller or a URL) on the host.',
  params: UnarchiveParams,
  validate: (p) => {
    if ((p.src === undefined) === (p.url === undefined)) return 'give exactly one of src and url';
    if (p.url !== undefined && p.creates === undefined) return 'an archive from url needs creates (listing it would download it on every run)';
    if (p.url !== undefined && p.format === undefined && formatOfName(p.url) === undefined) return 'give format: the url does not end in .tar.gz, .tgz, .tar or .zip';
    return undefined;
  },
  prepare: async (p, ctx): Promise<UnarchivePrepared> => {
    if (p.src === undefined) return p;
    const { path, bytes } = await readSource('unarchive', p.src, ctx.searchPaths.files, ctx);
    const format = p.format ?? archiveFormat(bytes);
    if (format === undefined) throw new ConvergeError('CONVERGE_PARAMS', `unarchive: ${path} is not a tar, tar.gz or zip archive`, { hint: 'give format when the bytes do not tell' });
    return { ...p, archive: { format, base64: Buffer.from(bytes).toString('base64'), members: await listArchive(bytes, format, path) } };
  },
  facts: (p) => {
    const files = p.archive?.members.filter((m) => m.type === 'file').map((m) => m.path) ?? [];
    return {
      dest: p.archive ? treeState({ path: p.dest, hash: files }) : undefined,
      clients: p.archive ? undefined : httpClient({}),
      creates: p.creates !== undefined ? commandPathExists({ path: p.creates }) : undefined,
      unzip: p.archive?.format === 'zip' || (p.url !== undefined && (p.format ?? formatOfName(p.url)) === 'zip') ? commandPathExists({ path: '/usr/bin/unzip' }) : undefined,
      ...principalFacts(p),
    };
  },
  plan: ({ params: p, facts, upstreamChanged }) => {
    if (p.creates !== undefined && facts.creates?.exists) return { changes: [], reason: `creates: ${p.creates} exists` };
    // what follows extracts and chowns: an owner chown would refuse fails check mode too
    requirePrincipals(p, { principals: facts.principals, upstreamChanged });
    requirePrerequisite(!facts.unzip || facts.unzip.exists, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'unarchive: a zip archive needs unzip on the host', { hint: 'install it first (apt: unzip)' }));
    if (p.archive && facts.dest) {
      const tree = facts.dest;
      if (tree.root !== 'directory') {
        if (upstreamChanged) return { changes: [{ path: 'members', before: null, after: `${p.archive.members.length} entries of ${p.src ?? ''}` }] };
        throw new ConvergeError('CONVERGE_PLAN', `unarchive: dest ${p.dest} is not a directory`, { hint: 'create it first with file: { state: directory }' });
      }
      const differ = differingMembers(p.archive.members, tree);
      if (differ.length === 0) return { changes: [], reason: `${p.dest} holds the ${p.archive.members.length} entries of ${p.src ?? ''}` };
      const changes: Change[] = [{ path: 'members', before: null, after: differ }];
      return { changes };
    }
    requestScript(getRequest(p), facts.clients ?? { curl: false, wget: false }, 'stdin', { file: raw('"$a"') });
    return { changes: [{ path: 'extracted', before: null, after: `${p.url ?? ''} into ${p.dest}` }] };
  },
  apply: ({ params: p, facts }) => {
    const steps: Command[] = [];
    const owner = [p.owner, p.group].filter((x) => x !== undefined).join(':');
    const chown = (members: string[]): RawShell => (owner === '' || members.length === 0 ? raw('') : sh`\ncd -- ${p.dest} && chown -h -- ${owner} ${members}`);
    if (p.archive) {
      const bytes = new Uint8Array(Buffer.from(p.archive.base64, 'base64'));
      const members = p.archive.members.map((m) => m.path);
      if (p.archive.format === 'zip') {
        steps.push({ script: sh`set -e\na=$(mktemp)\ntrap 'rm -f -- "$a"' EXIT\ncat > "$a"\n${extract('zip', p.dest, false)}${chown(members)}`, stdin: bytes, description: `extract ${p.src ?? ''} into ${p.dest}` });
      } else {
        steps.push({ script: sh`set -e\n${extract(p.archive.format, p.dest, true)}${chown(members)}`, stdin: bytes, description: `extract ${p.src ?? ''} into ${p.dest}` });
      }
      return steps;
    }
    const format = p.format ?? (formatOfName(p.url ?? '') as ArchiveFormat);
    const clients = facts.clients ?? { curl: false, wget: false };
    const r = getRequest(p);
    const config = requestConfig(r, clients);
    const owned = owner === '' ? raw('') : sh`\nchown -R -h -- ${owner} ${p.dest}`;
    steps.push({
      script: sh`set -e\na=$(mktemp)\ntrap 'rm -f -- "$a"' EXIT\n${requestScript(r, clients, 'stdin', { file: raw('"$a"') })}\n${extract(format, p.dest, false)}${owned}`,
      stdin: hasSecret(r) ? secret(config) : config,
      description: `download ${p.url ?? ''} and extract it into ${p.dest}`,
    });
    return steps;
  },
  resources: (p) => [p.dest, ...(p.creates !== undefined ? [p.creates] : [])],
});

