import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite, ConvergeError } from '@converge/core';

type PendingData = Record<string, Record<string, Record<string, string[]>>>;

/**
 * Handlers notified but not run because a run failed (C-19), kept on the controller so that the
 * next run of the same playbook still runs them. Stored as JSON in
 * `<stateDir>/pending-handlers.json`: `{ [playbook]: { [play]: { [host]: string[] } } }`,
 * written atomically (temp file + rename).
 */
export class PendingHandlers {
  readonly file: string;
  #data: PendingData = {};
  #queue: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = join(stateDir, 'pending-handlers.json');
  }

  /** Reads the file; a missing file is an empty state. @throws ConvergeError CONVERGE_STATE when it is not valid JSON. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ConvergeError('CONVERGE_STATE', `cannot read ${this.file}`, { cause: e });
    }
    try {
      this.#data = JSON.parse(text) as PendingData;
    } catch (e) {
      throw new ConvergeError('CONVERGE_STATE', `${this.file} is not valid JSON`, { cause: e, hint: 'fix or remove the file; it lists handlers a failed run left pending' });
    }
  }

  get(playbook: string, play: string, host: string): string[] {
    return this.#data[playbook]?.[play]?.[host] ?? [];
  }

  /** Records (or, with an empty list, clears) the pending handlers of a host and saves. */
  set(playbook: string, play: string, host: string, handlers: string[]): Promise<void> {
    const pb = (this.#data[playbook] ??= {});
    const pl = (pb[play] ??= {});
    if (handlers.length > 0) pl[host] = [...new Set(handlers)];
    else delete pl[host];
    if (Object.keys(pl).length === 0) delete pb[play];
    if (Object.keys(pb).length === 0) delete this.#data[playbook];
    const snapshot = JSON.stringify(this.#data, null, 2);
    this.#queue = this.#queue.then(() => atomicWrite(this.file, `${snapshot}\n`));
    return this.#queue;
  }
}

