import { maskRunEvent, type RunEvent } from '@converge/engine';
import { JsonLinesFile } from './json-lines-file.js';

/** A run's event log (`--log FILE`): every {@link RunEvent}, masked, one JSON line each. */
export interface EventLog {
  readonly path: string;
  /** Appends `{ time, ...event }`; pass it as (or call it from) the engine's `onEvent`. */
  onEvent(event: RunEvent): void;
  close(): void;
}

/**
 * Opens an event log that appends every run event to `path` as it happens: one JSON object per
 * line, `{ "time": ISO-8601, "type": ..., ...event fields }`, secrets masked in the events' data
 * (by value too; never their types, statuses or keys), each
 * line whole (flushed to disk in the background and on close). The file is appended to, never truncated.
 *
 * @throws ConvergeError `CONVERGE_STATE` when the file cannot be opened.
 * @example
 * const log = openEventLog('run.jsonl');
 * await runPlaybook({ ..., onEvent: log.onEvent });
 * log.close();
 */
export function openEventLog(path: string): EventLog {
  const file = JsonLinesFile.open(path);
  return {
    path,
    onEvent: (event) => file.append({ time: new Date().toISOString(), ...maskRunEvent(event) }),
    close: () => file.close(),
  };
}
