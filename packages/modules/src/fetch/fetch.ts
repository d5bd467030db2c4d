import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { ConvergeError, defineModule, sh, sha256Hex, Type } from '@converge/core';
import type { ApplyOutcome, Static } from '@converge/core';
import { fileDiff } from '../file/file-diff.js';
import { fileState } from '../file/file-state.js';

/** Params of {@link fetch}. */
export const FetchParams = Type.Object(
  {
    src: Type.String({ pattern: '^/', description: 'Absolute path of a file on the host.' }),
    dest: Type.String({ minLength: 1, description: 'A directory on the controller (relative to the playbook): the file goes to DEST/HOST/SRC; with flat, the file itself (or DEST/basename when dest ends with /).' }),
    flat: Type.Optional(Type.Boolean({ default: false, description: 'Do not add the host name and the src path to dest.' })),
    fail_on_missing: Type.Optional(Type.Boolean({ default: true, description: 'Fail when src does not exist; false: report no change.' })),
    validate_checksum: Type.Optional(Type.Boolean({ default: true, description: 'Check the sha256 of what arrived against the probed one.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof FetchParams>;

/** Prepared params: the controller path and the sha256 of the file already there (null: none). */
export type FetchPrepared = P & { local: { path: string; sha256: string | null } };

/** The controller path a fetch writes, as Ansible's fetch computes it. */
export function fetchDestination(p: P, host: string, baseDir: string): string {
  const dest = resolve(baseDir, p.dest);
  if (p.flat) return p.dest.endsWith('/') ? join(dest, posix.basename(p.src)) : dest;
  return join(dest, host, p.src);
}

/**
 * Copies a file from the host to the controller (Ansible's `ansible.builtin.fetch`): the probe
 * compares its sha256 with the controller's copy, read before connecting, and only a differing
 * file travels (base64 on the session), checked against the probed sha256, then written
 * atomically on the controller. Text files show a diff. In check mode nothing is written.
 *
 * @example fetch({ src: '/etc/ssh/ssh_host_ed25519_key.pub', dest: 'fetched' })
 */
export const fetch = defineModule({
  name: 'fetch',
  description: 'Copy a file from the host to the controller.',
  params: FetchParams,
  prepare: (p, ctx): FetchPrepared => {
    const path = fetchDestination(p, ctx.host.name, ctx.baseDir);
    let sha256: string | null = null;
    try {
      sha256 = sha256Hex(readFileSync(path));
    } catch {
      sha256 = null;
    }
    return { ...p, local: { path, sha256 } };
  },
  facts: (p) => ({ src: fileState({ path: p.src, contentUnlessSha256: p.local.sha256 ?? 'none' }) }),
  plan: ({ params: p, facts }) => {
    const t = facts.src.target;
    if (!t) {
      if (p.fail_on_missing ?? true) throw new ConvergeError('CONVERGE_PLAN', `fetch: the remote file does not exist: ${p.src}`, { hint: 'set fail_on_missing: false to allow it' });
      return { changes: [], reason: `${p.src} does not exist` };
    }
    if (t.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `fetch: ${p.src} is not a regular file (directories are not fetched)`);
    if (t.sha256 === undefined) throw new ConvergeError('CONVERGE_PLAN', `fetch: cannot read ${p.src}`, { hint: 'run the task with become: true' });
    if (t.sha256 === p.local.sha256) return { changes: [], reason: `${p.local.path} already has the content of ${p.src}` };
    const before = p.local.sha256 === null ? null : readLocal(p.local.path);
    return {
      changes: [{ path: 'content', before: p.local.sha256 === null ? null : `sha256:${p.local.sha256}`, after: `sha256:${t.sha256}` }],
      diffs: t.content !== undefined ? [fileDiff(p.local.path, before, t.content)] : [],
      data: { sha256: t.sha256 },
    };
  },
  apply: ({ params: p }) => [{ script: sh`base64 -w0 -- ${p.src}`, description: `read ${p.src}` }],
  outcome: (out, { params: p, plan }): ApplyOutcome => {
    const bytes = Buffer.from(out.stdout.trim(), 'base64');
    const sha = sha256Hex(bytes);
    const want = plan.data.sha256;
    if ((p.validate_checksum ?? true) && sha !== want) {
      return { failed: true, changed: false, message: `fetch: ${p.src} changed while it was read (sha256 ${sha}, probed ${want}); ${p.local.path} was not written` };
    }
    // The one module whose result lands on the controller: written here, atomically, after the host answered.
    mkdirSync(dirname(p.local.path), { recursive: true });
    const tmp = `${p.local.path}.converge-${process.pid}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, p.local.path);
    return { changed: true, result: { dest: p.local.path, checksum: sha, remote_checksum: want } };
  },
  resources: () => [],
  verify: false,
});

function readLocal(path: string): string | null {
  try {
    return readFileSync(path).toString('latin1');
  } catch {
    return null;
  }
}
