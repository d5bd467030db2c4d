import { ConvergeError, defineModule, Type } from '@converge/core';
import type { Static } from '@converge/core';
import { validateAttributes } from '../file/file-attributes.js';
import { contentFacts, contentFile, contentWriteParams, planContentWrite, readSource } from '../copy/content-write.js';

/** Params of {@link template}. */
export const TemplateParams = Type.Object(
  {
    ...contentWriteParams,
    src: Type.String({ minLength: 1, description: "Jinja2 template on the controller, found in the role's/playbook's templates/ directories." }),
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Extra variables for this template, over the host vars.' })),
    content: Type.Optional(Type.String({ description: 'Set by prepare: the rendered text. Do not set it yourself.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof TemplateParams>;

/**
 * Renders a Jinja2 template on the controller (Ansible's rules: trim_blocks, the template's
 * final newline kept, undefined variables are errors) and writes the result as {@link copy}
 * does: atomically, only when the sha256 differs, mode/owner/group kept unless named.
 *
 * Source: Ansible `ansible.builtin.template` documentation. The renderer is core's
 * `ctx.renderTemplate`; its rules are documented there (C-08, C-09).
 *
 * @example
 * template({ src: 'haproxy.cfg.j2', dest: '/etc/haproxy/haproxy.cfg', validate: 'haproxy -c -f %s' })
 */
export const template = defineModule({
  name: 'template',
  description: 'Render a Jinja2 template on the controller and write it to a file.',
  params: TemplateParams,
  validate: (p) => validateAttributes(p),
  prepare: async (p, ctx): Promise<P> => {
    const { path, bytes } = await readSource('template', p.src, ctx.searchPaths.templates, ctx);
    let source: string;
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      throw new ConvergeError('CONVERGE_TEMPLATE', `template: ${path} is not UTF-8 text`, { cause: e, hint: 'use copy for binary files' });
    }
    return { ...p, content: ctx.renderTemplate(source, path, p.vars) };
  },
  facts: (p) => contentFacts(p),
  plan: ({ params, facts, upstreamChanged }) => {
    if (params.content === undefined) throw new ConvergeError('CONVERGE_INTERNAL', `template ${params.src}: plan ran before prepare rendered it`);
    return planContentWrite('template', params, facts.dest, upstreamChanged, facts.principals);
  },
  apply: ({ params, plan }) => contentFile.apply(params, plan.data),
  resources: (p) => [p.dest],
});
