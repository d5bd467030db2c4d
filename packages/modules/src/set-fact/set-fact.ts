import { ConvergeError, Type, callSite, defineModule } from '@converge/core';
import type { Static, Task, TaskContext, TaskOptions } from '@converge/core';

const VAR_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

/**
 * The vars that converge sets itself on every task (vars.ts, layer 11): a task could not see
 * another value under these names. Source: Ansible docs, "Special Variables".
 */
const MAGIC_VARS = new Set(['inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'hostvars', 'play_hosts', 'ansible_play_hosts', 'playbook_dir', 'ansible_check_mode', 'ansible_diff_mode']);

/** Params of the `set_fact` module: the vars by name, and `cacheable`. */
export const SetFactParams = Type.Object(
  {
    cacheable: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Ansible\'s switch to also store the vars in its fact cache. converge keeps no fact cache between runs (Ansible\'s default `memory` cache keeps none either), so the vars live for the run with or without it: for the later tasks of the host, in this play and later plays.',
      }),
    ),
  },
  {
    patternProperties: { [VAR_NAME]: Type.Unknown({ description: 'A var to set, by name: its value.' }) },
    additionalProperties: false,
    description: 'Every other key is a var to set (a name of letters, digits and _), as Ansible\'s `key_value`.',
  },
);

type P = Static<typeof SetFactParams> & Record<string, unknown>;

/** The vars of a `setFact` params object: every key but `cacheable`. */
function varsOf(p: Record<string, unknown>): Record<string, unknown> {
  const { cacheable: _c, ...vars } = p;
  return vars;
}

const setFactModule = defineModule({
  name: 'set_fact',
  description: 'Set host vars for the later tasks and plays of the run.',
  params: SetFactParams,
  validate: (p) => {
    const names = Object.keys(varsOf(p as P));
    if (names.length === 0) return 'give at least one var to set';
    const magic = names.filter((n) => MAGIC_VARS.has(n));
    return magic.length > 0 ? `${magic.join(', ')}: converge sets ${magic.length > 1 ? 'these' : 'this'} itself on every task; choose another name` : undefined;
  },
  plan: ({ params }) => {
    const vars = varsOf(params as P);
    return { changes: [], reason: `set ${Object.keys(vars).join(', ')}`, vars, result: { ansible_facts: vars } };
  },
  apply: () => [],
  resources: () => [],
});

/** What {@link setFact} takes: the vars by name (a value, or a function of the host that gives it), and `cacheable`. */
export type SetFactInput = { cacheable?: boolean } & { [name: string]: unknown };

/** The `setFact` module: call it with the vars to set; `definition` is the module. */
export interface SetFactModule {
  <I = unknown>(vars: SetFactInput, options?: TaskOptions<I>): Task<Static<typeof SetFactParams>>;
  readonly definition: typeof setFactModule.definition;
}

/**
 * Sets host vars for the later tasks of the host, in this play and later plays of the run
 * (Ansible's `ansible.builtin.set_fact`): `ctx.vars.NAME` in param functions and `when`, and
 * `{{ NAME }}` in templates, at the precedence of registered results (extra vars and role
 * params still win, as in Ansible). Decided on the controller: no round trip of its own, and
 * set in check mode too. The names are the keys of the object, known when the playbook is
 * written (a task that reads one is prepared once it is set); a value may be a function of the
 * host, evaluated at the task's turn (`(c) => c.registered('v')?.stdout.trim()`). A `Secret`
 * stays a secret. When the value needs output only a real run gives, check mode skips the task
 * and every task that reads the var, saying so. With `runOnce`, every host of the batch gets the
 * vars, as Ansible.
 *
 * @throws ConvergeError `CONVERGE_PLAYBOOK` (when called) for a function in place of the object.
 * @example
 * setFact({ app_url: (c) => `https://${c.host}:${c.vars.http_port}/`, release: '2.4.1' })
 */
export const setFact: SetFactModule = Object.assign(
  <I = unknown>(vars: SetFactInput, options: TaskOptions<I> = {}): Task<Static<typeof SetFactParams>> => {
    const site = callSite(new Error().stack);
    if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
      throw new ConvergeError('CONVERGE_PLAYBOOK', 'setFact takes an object whose keys are the vars it sets (their values may be functions of the host)', {
        hint: "setFact({ name: (c) => ... }) instead of setFact((c) => ({ name: ... })): the names must be known before the run",
        ...(site ? { location: site } : {}),
      });
    }
    const names = Object.keys(varsOf(vars));
    const dynamic = names.some((n) => typeof vars[n] === 'function');
    const params = dynamic
      ? (ctx: TaskContext) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'function' ? (v as (c: TaskContext) => unknown)(ctx) : v]))
      : vars;
    const task = setFactModule(params as never, options);
    return { ...task, sets: names, ...(site ? { site } : {}) };
  },
  { definition: setFactModule.definition },
);
