import { Type, defineModule } from '@converge/core';

/** Params of {@link fail} (Ansible's `ansible.builtin.fail`). */
export const FailParams = Type.Object(
  {
    msg: Type.Optional(Type.String({ default: 'Failed as requested from task', description: 'Why the host fails.' })),
  },
  { additionalProperties: false },
);

/**
 * Fails the host with a message (Ansible's `ansible.builtin.fail`), usually under a `when`:
 * decided on the controller, no round trip of its own; in check mode too.
 *
 * @example fail({ msg: 'this playbook is for Debian hosts' }, { when: (c) => c.facts.osFamily !== 'Debian' })
 */
export const fail = defineModule({
  name: 'fail',
  description: 'Fail the host with a message.',
  params: FailParams,
  plan: ({ params }) => {
    const msg = params.msg ?? 'Failed as requested from task';
    return { changes: [], verdict: 'failed', reason: msg, result: { msg } };
  },
  apply: () => [],
  resources: () => [],
});
