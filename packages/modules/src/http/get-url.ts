import { ConvergeError, defineModule, raw, secret, sh, Type } from '@converge/core';
import type { Change, Static } from '@converge/core';
import { attributeSteps, writeFileSteps } from '../file/atomic-write.js';
import { attributeParams, planAttributes, validateAttributes } from '../file/file-attributes.js';
import { principalFacts } from '../file/principals.js';
import { fileState } from '../file/file-state.js';
import { getRequest, hasSecret, httpClient, httpParams, httpResponse, requestConfig, requestScript, secretIds } from './http-request.js';
import { predictingEarlierChanges, requirePrerequisite } from '../check-mode/earlier-changes.js';

/** Params of {@link getUrl}. */
export const GetUrlParams = Type.Object(
  {
    ...httpParams,
    dest: Type.String({ pattern: '^/.*[^/]$', description: 'Absolute path of the file to write (not a directory).' }),
    checksum: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-fA-F]{64}$', description: '`sha256:HEX`: the download must have this digest (else the task fails and dest is left alone); a dest with it is not downloaded again.' })),
    force: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'false: an existing dest is kept (unless checksum differs). true: the URL is read in the probe (streamed through sha256sum, nothing written) and dest replaced when the digest differs.',
      }),
    ),
    ...attributeParams,
  },
  { additionalProperties: false },
);

type P = Static<typeof GetUrlParams>;


interface GetUrlData {
  download: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Downloads a file on the host with curl or wget, as Ansible's `ansible.builtin.get_url`: into a
 * temp file beside dest, checked against `checksum`, given its mode/owner/group, then renamed
 * over dest (atomic; a failed or mismatching download leaves dest as it was). An existing dest
 * is downloaded again only when `checksum` differs, or with `force` when the URL's content
 * differs: the probe streams it through sha256sum (nothing is written), so "changed" means the
 * bytes changed and a no-op costs no round trip of its own. Not supported: a directory as dest,
 * `checksum` as a URL or with another algorithm, `backup`, `tmp_dest`.
 *
 * @example getUrl({ url: 'https://downloads.example.test/app-1.2.tar.gz', dest: '/opt/app-1.2.tar.gz', checksum: 'sha256:9f86d0...', mode: '0644' })
 */
export const getUrl = defineModule({
  name: 'get_url',
  description: 'Download a file from a URL on the host.',
  params: GetUrlParams,
  validate: (p) => (p.url_password !== undefined && p.url_username === undefined ? 'url_password needs url_username' : validateAttributes(p)),
  facts: (p) => {
    const r = getRequest(p);
    return {
      dest: fileState({ path: p.dest }),
      clients: httpClient({}),
      remote: p.force && p.checksum === undefined ? httpResponse({ request: r, clients: 'probe', sink: 'sha256', secrets: secretIds(r) }) : undefined,
      ...principalFacts(p),
    };
  },
  plan: ({ params: p, facts, host, upstreamChanged }) => {
    const dest = facts.dest;
    if (dest.type === 'directory' || dest.target?.type === 'directory') throw new ConvergeError('CONVERGE_PLAN', `getUrl: dest ${p.dest} is a directory`, { hint: 'name the file to write' });
    requirePrerequisite(dest.type !== 'absent' || dest.parentExists, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', `getUrl: the directory of ${p.dest} does not exist`, { hint: 'create it first with file: { state: directory }' }));
    const current = dest.target;
    const want = p.checksum?.slice('sha256:'.length).toLowerCase();
    const remote = facts.remote;
    const changes: Change[] = [];
    let download = false;
    let unknown: string | undefined;
    if (!current) {
      changes.push({ path: 'state', before: 'absent', after: 'file' }, { path: 'content', before: null, after: want !== undefined ? `sha256:${want}` : `downloaded from ${p.url}` });
      download = true;
    } else if (want !== undefined) {
      if (current.sha256 !== want) {
        changes.push({ path: 'content', before: `sha256:${current.sha256 ?? '?'}`, after: `sha256:${want}` });
        download = true;
      }
    } else if (remote) {
      if (predictingEarlierChanges({ host, upstreamChanged })) {
        changes.push({ path: 'content', before: `sha256:${current.sha256 ?? '?'}`, after: 'not known before the earlier changes run' });
        download = true;
        unknown = 'what the URL answers after the earlier changes';
      } else {
        if (remote.status === 0 || remote.status >= 400 || remote.error !== undefined) {
          throw new ConvergeError('CONVERGE_PLAN', `getUrl: GET ${p.url} failed${remote.status ? ` with status ${remote.status}` : ''}: ${remote.error ?? ''}`.trim());
        }
        if (remote.sha256 !== current.sha256) {
          changes.push({ path: 'content', before: `sha256:${current.sha256 ?? '?'}`, after: `sha256:${remote.sha256 ?? '?'}` });
          download = true;
        }
      }
    }
    if (download) requestScript(getRequest(p), facts.clients, 'stdin', { file: raw('"$tmp"') });
    const attrs = planAttributes(p, current, 'file', { principals: facts.principals, upstreamChanged });
    changes.push(...attrs.changes);
    if (changes.length === 0) return { changes, reason: `${p.dest} is there${want ? ' with the checksum' : remote ? ' with the same content as the URL' : ''}` };
    const data: GetUrlData = { download, ...(attrs.mode !== undefined ? { mode: attrs.mode } : {}), ...(attrs.owner !== undefined ? { owner: attrs.owner } : {}), ...(attrs.group !== undefined ? { group: attrs.group } : {}) };
    return { changes, data, ...(unknown ? { unknown } : {}) };
  },
  apply: ({ params: p, facts, plan }) => {
    const d = plan.data;
    const attrs = { ...(d.mode !== undefined ? { mode: d.mode } : {}), ...(d.owner !== undefined ? { owner: d.owner } : {}), ...(d.group !== undefined ? { group: d.group } : {}) };
    if (!d.download) return attributeSteps({ path: p.dest, ...attrs });
    const r = getRequest(p);
    const fetch = requestScript(r, facts.clients, 'stdin', { file: raw('"$tmp"') });
    const want = p.checksum?.slice('sha256:'.length).toLowerCase();
    const check =
      want === undefined
        ? raw('')
        : sh`\ngot=$(sha256sum < "$tmp"); got=\${got%% *}; if [ "$got" != ${want} ]; then echo "converge: the download has sha256 $got, not ${raw(want)}; dest was not changed" >&2; exit 1; fi`;
    const config = requestConfig(r, facts.clients);
    return writeFileSteps({ path: p.dest, followLinks: false, fill: { script: sh`${fetch}${check}`, stdin: hasSecret(r) ? secret(config) : config }, ...attrs });
  },
  resources: (p) => [p.dest],
});
