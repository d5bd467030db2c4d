import { ConvergeError, defineModule, Type } from '@converge/core';
import { fileState } from '../file/file-state.js';
import { MAX_CONTENT_BYTES } from '../file/file-state.js';

/** Params of {@link slurp}. */
export const SlurpParams = Type.Object(
  { src: Type.String({ pattern: '^/', description: 'Absolute path of the file to read (at most 4 MiB).' }) },
  { additionalProperties: false },
);

/**
 * Reads a file of the host for later tasks (Ansible's `ansible.builtin.slurp`): the result is
 * `{ content, encoding: 'base64', source }` for `register`; the read is part of the host's one
 * probe, so it costs no round trip of its own and changes nothing.
 *
 * @example slurp({ src: '/etc/machine-id' }, { register: 'mid' })
 */
export const slurp = defineModule({
  name: 'slurp',
  description: 'Read a file of the host (base64) for later tasks.',
  params: SlurpParams,
  facts: (p) => ({ src: fileState({ path: p.src, content: true }) }),
  plan: ({ params: p, facts }) => {
    const t = facts.src.target;
    if (!t) throw new ConvergeError('CONVERGE_PLAN', `slurp: file not found: ${p.src}`);
    if (t.type !== 'file') throw new ConvergeError('CONVERGE_PLAN', `slurp: ${p.src} is not a regular file`);
    if (t.content === undefined) throw new ConvergeError('CONVERGE_PLAN', `slurp: ${p.src} is larger than ${MAX_CONTENT_BYTES} bytes${t.contentTooLarge ? '' : ' or unreadable'}`, { hint: 'use fetch for large files' });
    return { changes: [], reason: `read ${t.size} bytes of ${p.src}`, result: { content: Buffer.from(t.content, 'latin1').toString('base64'), encoding: 'base64', source: p.src } };
  },
  apply: () => [],
  resources: () => [],
});
