import { defineModule, OrSecret, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { validateAttributes } from '../file/file-attributes.js';
import { contentFacts, contentFile, contentWriteParams, planContentWrite, readSource, STREAM_SOURCE_BYTES } from './content-write.js';

/** Params of {@link copy}. */
export const CopyParams = Type.Object(
  {
    ...contentWriteParams,
    content: Type.Optional(OrSecret(Type.String({ description: 'The exact text of the file (bytes as given, final newline included or not).' }))),
    src: Type.Optional(Type.String({ minLength: 1, description: "A file on the controller, found in the role's/playbook's files/ directories; read before connecting." })),
    content_base64: Type.Optional(Type.String({ description: 'The exact bytes as base64 (binary files; what prepare turns a non-UTF-8 src into).' })),
    source: Type.Optional(
      Type.Object(
        { controllerFile: Type.String(), size: Type.Integer({ minimum: 0 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
        { additionalProperties: false, description: 'Set by prepare for a src larger than 8 MiB, which streams to the host (its sha256 computed while it is read) instead of being held in memory. Do not set it yourself.' },
      ),
    ),
  },
  { additionalProperties: false },
);

type P = Static<typeof CopyParams>;

function validateCopy(p: P): string | undefined {
  const given = [p.content, p.src, p.content_base64, p.source].filter((v) => v !== undefined).length;
  if (given !== 1) return 'give exactly one of content or src';
  if (p.content_base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(p.content_base64)) return 'content_base64 is not base64';
  return validateAttributes(p);
}

/**
 * Writes a file with exactly the given bytes (inline `content`, or a controller file `src`),
 * replacing it atomically only when its sha256 differs; mode, owner and group are kept when the
 * task names none (C-13). A `src` larger than 8 MiB is never held in memory: its sha256 is
 * computed while it is read on the controller, and it streams to the host in parts.
 *
 * Source: Ansible `ansible.builtin.copy` documentation (dest, content, src, mode, owner, group,
 * force, follow, backup, validate). Not supported: directory src/dest, remote_src, mode=preserve.
 *
 * @example
 * copy({ dest: '/etc/motd', content: 'Welcome\n', mode: '0644' })
 */
export const copy = defineModule({
  name: 'copy',
  description: 'Write a file with given content, or a copy of a controller file.',
  params: CopyParams,
  validate: validateCopy,
  prepare: async (p, ctx): Promise<P> => {
    if (p.src === undefined) return p;
    const found = await readSource('copy', p.src, ctx.searchPaths.files, ctx, { streamAbove: STREAM_SOURCE_BYTES });
    const { src: _src, ...rest } = p;
    if (found.file) return { ...rest, source: found.file };
    const bytes = found.bytes;
    try {
      return { ...rest, content: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
    } catch {
      return { ...rest, content_base64: Buffer.from(bytes).toString('base64') };
    }
  },
  facts: (p) => contentFacts(p),
  plan: ({ params, facts, upstreamChanged }) => planContentWrite('copy', params, facts.dest, upstreamChanged, facts.principals),
  apply: ({ params, plan }) => contentFile.apply(params, plan.data),
  resources: (p) => [p.dest],
});
