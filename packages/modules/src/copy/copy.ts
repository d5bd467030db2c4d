import { defineModule, OrSecret, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { validateAttributes } from '../file/file-attributes.js';
import { applyContentWrite, contentFacts, contentWriteParams, planContentWrite, readSource } from './content-write.js';
import type { ContentWriteData } from './content-write.js';

/** Params of {@link copy}. */
export const CopyParams = Type.Object(
  {
    ...contentWriteParams,
    content: Type.Optional(OrSecret(Type.String({ description: 'The exact text of the file (bytes as given, final newline included or not).' }))),
    src: Type.Optional(Type.String({ minLength: 1, description: "A file on the controller, found in the role's/playbook's files/ directories; read before connecting." })),
    content_base64: Type.Optional(Type.String({ description: 'The exact bytes as base64 (binary files; what prepare turns a non-UTF-8 src into).' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof CopyParams>;

function validateCopy(p: P): string | undefined {
  const given = [p.content, p.src, p.content_base64].filter((v) => v !== undefined).length;
  if (given !== 1) return 'give exactly one of content or src';
  if (p.content_base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(p.content_base64)) return 'content_base64 is not base64';
  return validateAttributes(p);
}

/**
 * Writes a file with exactly the given bytes (inline `content`, or a controller file `src`),
 * replacing it atomically only when its sha256 differs; mode, owner and group are kept when the
 * task names none (C-13).
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
    const { bytes } = await readSource('copy', p.src, ctx.searchPaths.files, ctx);
    const { src: _src, ...rest } = p;
    try {
      return { ...rest, content: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
    } catch {
      return { ...rest, content_base64: Buffer.from(bytes).toString('base64') };
    }
  },
  facts: (p) => contentFacts(p),
  plan: ({ params, facts, upstreamChanged }) => planContentWrite('copy', params, facts.dest, upstreamChanged, facts.principals),
  apply: ({ params, plan }) => applyContentWrite(params, plan.data as ContentWriteData | undefined),
  resources: (p) => [p.dest],
});
