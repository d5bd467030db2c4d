import { ConvergeError, Type, defineModule } from '@converge/core';
import type { PrepareContext, Static } from '@converge/core';

/** A message: text, or a list of lines. */
function messages(description: string) {
  return Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], { description });
}

/** Params of {@link assert} (Ansible's `ansible.builtin.assert`). */
export const AssertParams = Type.Object(
  {
    that: Type.Union([Type.Boolean(), Type.String({ minLength: 1 }), Type.Array(Type.Union([Type.Boolean(), Type.String({ minLength: 1 })]), { minItems: 1 })], {
      description:
        'What must hold: a condition or a list of them. A string is a Jinja2 expression, as Ansible\'s `that` and `when` (`"http_port | int > 1024"`), evaluated with the host\'s vars; a boolean is a condition computed in a params function (`(c) => ({ that: [c.facts.osFamily === \'Debian\'] })`).',
    }),
    fail_msg: Type.Optional(messages('The message of a failing assertion (a list of lines allowed); default `Assertion failed` with the condition that failed.')),
    msg: Type.Optional(messages('Ansible\'s older name of `fail_msg`.')),
    success_msg: Type.Optional(messages('The message when every condition holds; default `All assertions passed`.')),
    quiet: Type.Optional(Type.Boolean({ default: false, description: 'Do not show the success message under the task.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof AssertParams>;

/** One condition of `that`, evaluated: its text (a boolean given as a value has none) and whether it holds. */
export interface Assertion {
  index: number;
  expression?: string;
  holds: boolean;
}

/** The params of {@link assert} once its conditions are evaluated on the controller. */
export type AssertPrepared = Omit<P, 'that'> & { that: Assertion[] };

/** The text of a message param (a list is one line per item). */
function messageText(m: string | string[] | undefined): string | undefined {
  return m === undefined ? undefined : Array.isArray(m) ? m.join('\n') : m;
}

/**
 * Evaluates each condition of `that` with the host's vars: Jinja2 truth (empty strings, lists
 * and mappings, 0 and None are false), as Ansible's conditionals. Source: ansible-core 2.14
 * `plugins/action/assert.py` and `playbook/conditional.py`.
 *
 * @throws ConvergeError `CONVERGE_TEMPLATE` naming the condition, for a syntax error or an undefined variable.
 */
export function evaluateAssertions(that: P['that'], ctx: Pick<PrepareContext, 'evaluate'>): Assertion[] {
  const list = Array.isArray(that) ? that : [that];
  return list.map((c, index) => {
    if (typeof c === 'boolean') return { index, holds: c };
    try {
      return { index, expression: c, holds: ctx.evaluate(`True if (${c}) else False`) === true };
    } catch (e) {
      const err = e instanceof ConvergeError ? e : undefined;
      throw new ConvergeError('CONVERGE_TEMPLATE', `that[${index}] ${JSON.stringify(c)}: ${err?.message.replace(/^template \(expression\)[^:]*(:\d+)?: /, '') ?? String(e)}`, {
        cause: e,
        ...(err?.hint ? { hint: err.hint } : {}),
      });
    }
  });
}

/**
 * Fails the host unless every condition holds (Ansible's `ansible.builtin.assert`): decided on
 * the controller with the host's vars (strings are Jinja2 expressions) or with conditions a
 * params function computed from vars, host facts and registered results; no round trip of its
 * own. Without `quiet`, the success message is shown under the task. In check mode it judges
 * the same values (a registered result only a real run gives makes it skip, saying so).
 *
 * @example
 * assert({ that: ['http_port | int > 1024', 'app_env in ["prod", "staging"]'], fail_msg: 'bad app settings' })
 * assert((c) => ({ that: [(c.facts.memoryMiB ?? 0) >= 2048], fail_msg: `${c.host} needs 2 GiB` }))
 */
export const assert = defineModule({
  name: 'assert',
  description: 'Fail the host unless conditions on its vars and facts hold.',
  params: AssertParams,
  validate: (p) => (p.fail_msg !== undefined && p.msg !== undefined ? 'give fail_msg or its older name msg, not both' : undefined),
  prepare: (p, ctx): AssertPrepared => ({ ...p, that: evaluateAssertions(p.that, ctx) }),
  plan: ({ params: p }) => {
    const failed = p.that.find((a) => !a.holds);
    if (failed) {
      const condition = failed.expression ?? `that[${failed.index}] is false`;
      const msg = messageText(p.fail_msg ?? p.msg);
      return { changes: [], verdict: 'failed', reason: msg ?? `Assertion failed: ${condition}`, result: { assertion: condition, evaluated_to: false, msg: msg ?? 'Assertion failed' } };
    }
    const msg = messageText(p.success_msg) ?? 'All assertions passed';
    return { changes: [], reason: msg, result: { msg }, ...(p.quiet ? {} : { output: msg }) };
  },
  apply: () => [],
  resources: () => [],
});
