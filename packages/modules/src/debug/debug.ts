import { Type, defineModule, isSecret } from '@converge/core';
import type { Static } from '@converge/core';

/** Params of {@link debug} (Ansible's `ansible.builtin.debug`). */
export const DebugParams = Type.Object(
  {
    msg: Type.Optional(
      Type.Unknown({
        description: 'What to show: text (not a template: build it in a params function), or any value, shown as JSON. Secrets are masked. Default `Hello world!`.',
      }),
    ),
    var: Type.Optional(Type.String({ minLength: 1, description: 'A Jinja2 expression (a var name, `result.stdout_lines`, `port | int + 1`) evaluated with the host\'s vars; shown as `var: value`.' })),
    verbosity: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Show only when the run has at least this many `-v`; otherwise the task is skipped.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof DebugParams>;

/** The params of {@link debug} once `var` is evaluated on the controller. */
export type DebugPrepared = P & { value?: unknown };

/** A value as debug shows it: text as it is, anything else as JSON (secrets as their mask). */
export function debugText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isSecret(value)) return String(value);
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

/**
 * Shows a message or the value of an expression under the task (Ansible's
 * `ansible.builtin.debug`), in every output format, with secrets masked (by type, and by value
 * where a secret's text ended up in a larger string). Decided on the controller: no round trip
 * of its own. With `verbosity: N`, the task is skipped unless the run has `-v` N times or more.
 * An undefined `var` fails the task naming the variable (Ansible prints `VARIABLE IS NOT DEFINED!`).
 *
 * @example
 * debug({ var: 'version.stdout_lines' })
 * debug((c) => ({ msg: `deploying ${c.vars.app_version} to ${c.host}` }))
 */
export const debug = defineModule({
  name: 'debug',
  description: 'Show a message or the value of an expression.',
  params: DebugParams,
  validate: (p) => (p.msg !== undefined && p.var !== undefined ? "'msg' and 'var' are incompatible options" : undefined),
  prepare: (p, ctx): DebugPrepared => ((p.verbosity ?? 0) <= (ctx.host.verbosity ?? 0) && p.var !== undefined ? { ...p, value: ctx.evaluate(p.var) } : p),
  plan: ({ params: p, host }) => {
    const needs = p.verbosity ?? 0;
    if (needs > (host.verbosity ?? 0)) return { changes: [], verdict: 'skipped', reason: `verbosity threshold not met (shown with -${'v'.repeat(needs)})` };
    if (p.var !== undefined) {
      const output = `${p.var}: ${debugText(p.value)}`;
      return { changes: [], reason: output, output, result: { [p.var]: p.value } };
    }
    const msg = p.msg === undefined ? 'Hello world!' : p.msg;
    const output = debugText(msg);
    return { changes: [], reason: output, output, result: { msg } };
  },
  apply: () => [],
  resources: () => [],
});
