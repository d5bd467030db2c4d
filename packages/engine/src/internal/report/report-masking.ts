import type { Change } from '@converge/core';
import { isSecret, maskText, maskValue, SECRET_MASK } from '@converge/core';
import type { RunEvent, RunReport, TaskReport, UnreachableReason } from './report.js';

// Masking applies to the data of a report (names, messages, values, output from hosts), never to
// converge's own words: statuses, module names, error codes, change paths, event types and
// object keys stay as they are, so a secret that is a common word (`changed`, `ok`) cannot
// replace them. Host names are the inventory's identifiers and are not masked either.

/** A task report with its data masked: task and play names, message, output, item, changes' values, result. The diff is masked when it is rendered ({@link renderDiff}). */
export function maskTaskReport(r: TaskReport): TaskReport {
  return {
    ...r,
    play: maskText(r.play),
    task: maskText(r.task),
    changes: r.changes.map(maskChange),
    ...(r.message !== undefined ? { message: maskText(r.message) } : {}),
    ...(r.output !== undefined ? { output: maskText(r.output) } : {}),
    ...(r.item !== undefined ? { item: maskText(r.item) } : {}),
    ...(r.result !== undefined ? { result: maskValue(r.result) as Record<string, unknown> } : {}),
  };
}

/** A change with its values masked; `path` is the module's name for what changes and is kept. */
function maskChange(c: Change): Change {
  return { ...c, before: isSecret(c.before) ? SECRET_MASK : maskValue(c.before), after: isSecret(c.after) ? SECRET_MASK : maskValue(c.after) };
}

function maskReason(r: UnreachableReason): UnreachableReason {
  return { ...r, message: maskText(r.message), ...(r.hint !== undefined ? { hint: maskText(r.hint) } : {}) };
}

/** A run report with its data masked (see {@link maskTaskReport}); summary and stats are counts. */
export function maskRunReport(r: RunReport): RunReport {
  return {
    ...r,
    tasks: r.tasks.map(maskTaskReport),
    ...(r.stopped ? { stopped: r.stopped.map((s) => ({ ...s, play: maskText(s.play), reason: maskText(s.reason) })) } : {}),
    ...(r.unreachable ? { unreachable: Object.fromEntries(Object.entries(r.unreachable).map(([h, why]) => [h, maskReason(why)])) } : {}),
  };
}

/** A run event with its data masked, as every consumer of events (output, logs) gets it. */
export function maskRunEvent(e: RunEvent): RunEvent {
  switch (e.type) {
    case 'play-start':
    case 'play-end':
      return { ...e, play: maskText(e.play) };
    case 'task-start':
      return { ...e, play: maskText(e.play), task: maskText(e.task) };
    case 'task-result':
      return { ...e, report: maskTaskReport(e.report) };
    case 'task-retry':
      return { ...e, play: maskText(e.play), task: maskText(e.task), ...(e.message !== undefined ? { message: maskText(e.message) } : {}) };
    case 'host-unreachable':
      return { ...e, ...maskReason(e) };
    case 'warning':
      return { ...e, message: maskText(e.message) };
    case 'run-end':
      return { ...e, report: maskRunReport(e.report) };
    default:
      return e;
  }
}
