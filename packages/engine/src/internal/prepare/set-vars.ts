import type { HostInfo, ModuleDefinition } from '@converge/core';

/** What {@link ExpectedVars.note} reads of a prepared item (a `Prepared`). */
interface PreparedItem {
  def: ModuleDefinition;
  params: unknown;
  host: HostInfo;
  facts: Record<string, unknown>;
  skip?: string;
}

/**
 * The value of a var whose setting task was skipped in check mode because it needs output only a
 * real run gives: a task that reads the var is unpredictable too, and is skipped with the reason.
 */
export class UnknownInCheck {
  constructor(readonly task: string) {}
}

/**
 * The vars that the tasks of one host set ({@link Task.sets}, `setFact`), as preparation meets
 * them in play order, before the host is contacted: a task waits for the vars that tasks before
 * it set (a task before them reads the value they had, as in Ansible). Where the setting task's
 * values are known before the host is contacted (a module without facts, whose params come from
 * vars alone, plans the same then as at its turn), a task that reads them is also prepared with
 * those values, only so that its facts join the host's first probe; it is prepared again at its
 * turn with the values really set.
 */
export class ExpectedVars {
  /** By name: the value the var will have, or `undefined` when it is known only once its task ran. */
  readonly #vars = new Map<string, { value: unknown } | undefined>();

  /** The names that tasks prepared so far set. */
  names(): ReadonlySet<string> {
    return new Set(this.#vars.keys());
  }

  /** The vars whose values are known, by name. */
  known(): Map<string, unknown> {
    return new Map([...this.#vars].flatMap(([k, v]) => (v ? [[k, v.value] as [string, unknown]] : [])));
  }

  /** Notes what a task that sets `names` will set, from its prepared items (none when they are not known yet; the last item's value wins). */
  note(names: readonly string[], items: readonly PreparedItem[] | undefined): void {
    for (const name of names) {
      this.#vars.delete(name);
      this.#vars.set(name, undefined);
    }
    for (const p of items ?? []) {
      if (p.skip || Object.keys(p.facts).length > 0) continue;
      try {
        const plan = p.def.plan({ params: p.params, facts: {}, host: p.host, upstreamChanged: false });
        for (const [name, value] of Object.entries(plan.vars ?? {})) if (names.includes(name)) this.#vars.set(name, { value });
      } catch {
        // Its failure is reported at its turn.
      }
    }
  }
}
