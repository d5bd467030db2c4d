import { isSecret } from '@converge/core';
import { isDict } from './python-value.js';

/**
 * A variable whose strings may hold `{{ }}` and are rendered on first use, as Ansible templates
 * variables lazily (so an unused variable that refers to a missing one is not an error).
 */
export class LazyVariable {
  private state: 'new' | 'resolving' | 'done' = 'new';
  private value: unknown;
  constructor(
    private readonly name: string,
    private readonly raw: unknown,
    private readonly render: (s: string) => string,
    private readonly templated: (s: string) => boolean,
  ) {}

  /** The value with every templated string rendered; throws on a self-referencing variable. */
  get(): unknown {
    if (this.state === 'done') return this.value;
    if (this.state === 'resolving') throw new Error(`recursive loop detected in template string: variable '${this.name}' refers to itself`);
    this.state = 'resolving';
    try {
      this.value = this.resolve(this.raw);
      this.state = 'done';
      return this.value;
    } finally {
      if (this.state === 'resolving') this.state = 'new';
    }
  }

  private resolve(v: unknown): unknown {
    // A Secret renders as its text (the output is masked by value wherever it is shown).
    if (isSecret(v)) return v.reveal();
    if (typeof v === 'string') return this.templated(v) ? this.render(v) : v;
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
    return v;
  }
}
