import { resourcesOverlap } from '@converge/core';
import type { Prepared } from '../prepare/plan-nodes.js';

/**
 * What a host's tasks changed, or in check mode would change: the resources of each change in
 * the run (shared with the host's later plays: a later play's check-mode plan must know what an
 * earlier one would change), and the tasks applied in this play (what verify re-plans). In check
 * mode, the predictions of tasks delegated to a host are kept per delegate for the whole run,
 * so that a later task delegated there plans with `upstreamChanged` as a host's own tasks do.
 */
export class ChangeLog {
  readonly #run: string[][];
  readonly #applied: { p: Prepared; resources: string[] }[] = [];
  readonly #delegate: { name: string; predicted: Map<string, string[][]> } | undefined;
  /** Check mode: what a predicted change makes of resources (`Plan.predicts`), by the change's resource list. */
  readonly #predicts: WeakMap<string[], Record<string, unknown>>;

  /**
   * @param run the host's changes so far in the run (appended to).
   * @param delegate on the run of a delegated task: the delegate's name and the run's predictions per delegate.
   * @param predicts the host's predicted values so far in the run, by change (added to).
   */
  constructor(run: string[][], delegate?: { name: string; predicted: Map<string, string[][]> }, predicts: WeakMap<string[], Record<string, unknown>> = new WeakMap()) {
    this.#run = run;
    this.#delegate = delegate;
    this.#predicts = predicts;
  }

  /** Records a change a task made. */
  applied(p: Prepared, resources: string[]): void {
    this.#run.push(resources);
    this.#applied.push({ p, resources });
  }

  /** Check mode: records a change a task would make, and what it predicts of resources later tasks read (`Plan.predicts`). */
  predicted(resources: string[], predicts?: Record<string, unknown>): void {
    this.#run.push(resources);
    if (predicts) this.#predicts.set(resources, predicts);
    if (!this.#delegate) return;
    const { name, predicted } = this.#delegate;
    const list = predicted.get(name) ?? [];
    list.push(resources);
    predicted.set(name, list);
  }

  /** True when an earlier change (or prediction) of the run touches what `reads` reads. */
  touches(reads: readonly string[]): boolean {
    const onDelegate = this.#delegate ? (this.#delegate.predicted.get(this.#delegate.name) ?? []) : [];
    return [...this.#run, ...onDelegate].some((res) => resourcesOverlap(res, reads));
  }

  /**
   * Check mode: the predicted values of the resource keys in `reads`, from the latest change of
   * the run that touches each; a key whose latest change says nothing of it is not known.
   */
  predictionsFor(reads: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const res of this.#run) {
      const predicts = this.#predicts.get(res);
      for (const key of reads) {
        if (predicts && key in predicts) out[key] = predicts[key];
        else if (resourcesOverlap(res, [key])) delete out[key];
      }
    }
    return out;
  }

  /** True when the task was applied in this play. */
  wasApplied(p: Prepared): boolean {
    return this.#applied.some((a) => a.p === p);
  }

  /** The tasks applied in this play whose facts (`readsOf`) no later change of the play touched. */
  appliedUntouched(readsOf: (p: Prepared) => readonly string[]): Prepared[] {
    return this.#applied.filter(({ p }, i) => !this.#applied.slice(i + 1).some((later) => resourcesOverlap(later.resources, readsOf(p)))).map((a) => a.p);
  }
}
