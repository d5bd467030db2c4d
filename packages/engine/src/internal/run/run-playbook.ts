import { dirname, join, resolve } from 'node:path';
import { PendingHandlers } from '../handlers/pending-handlers.js';
import type { RunEvent, RunReport, UnreachableReason } from '../report/report.js';
import { RunRecorder } from '../report/run-recorder.js';
import { maskRunEvent } from '../report/report-masking.js';
import { RunConnections } from './connections.js';
import { prepareRun } from './prepare-run.js';
import type { RunOptions } from './run-options.js';
import { runPlays, schedule } from './schedule.js';

/**
 * Runs a playbook: evaluates every task for every host and validates all params (nothing is
 * contacted until everything is valid), then per play and host (`forks` hosts at once): connects
 * when the host's first play reaches it (at most `connectConcurrency` handshakes at once),
 * probes every declared fact in one round trip, plans each task (pure), applies only tasks with
 * changes (re-probing facts that an applied change made stale), runs notified
 * handlers, and verifies that what was applied converged; a host's connection is closed after its
 * last play. Plays run per serial batch (see {@link Play.serial}; one batch of all hosts by
 * default): handlers and verify at the end of each batch. Check mode stops after planning.
 *
 * Failures of a host are rows of the report, not exceptions; the run goes on with the other
 * hosts, unless the play says otherwise (`anyErrorsFatal`, `maxFailPercentage`) or every host
 * of a batch failed: then the rest of the playbook does not run, as with ansible-playbook.
 * Unreachable hosts are reported as such.
 *
 * @returns the run report (the JSON document of `--output json`).
 * @throws ConvergeError for bad input found before any host is contacted: `CONVERGE_PARAMS`,
 * `CONVERGE_TEMPLATE`, `CONVERGE_OPTIONS` (bad pattern), `CONVERGE_INVENTORY`.
 */
export async function runPlaybook(options: RunOptions): Promise<RunReport> {
  const check = options.check ?? false;
  const diff = options.diff ?? false;
  const onEvent = options.onEvent ?? (() => undefined);
  const unreachable: Record<string, UnreachableReason> = {};
  // The report keeps why each host was unreachable, whoever found out (connecting, or a host's run).
  const emit = (e: RunEvent): void => {
    if (e.type === 'host-unreachable') {
      const { type: _t, host, ...reason } = e;
      unreachable[host] ??= reason;
    }
    onEvent(maskRunEvent(e));
  };
  const playbookPath = resolve(options.playbookPath);
  const playbookDir = dirname(playbookPath);
  const pending = new PendingHandlers(options.stateDir ?? join(playbookDir, '.converge'));
  await pending.load();
  const plans = await prepareRun(options, playbookDir, check, diff, emit);

  const allHosts = [...new Set(plans.flatMap((p) => p.hosts.map((h) => h.host)))];
  emit({ type: 'run-start', check, diff, hosts: allHosts });
  const recorder = new RunRecorder(check, allHosts, emit);
  if (options.shard) recorder.report.shard = { index: options.shard.index, count: options.shard.count };
  const connections = new RunConnections(options, recorder, emit);
  const s = schedule(plans, { options, check, diff, playbookPath, pending, recorder, connections, emit });
  try {
    await runPlays(s);
  } finally {
    await connections.closeAll();
    if (s.stopped.length > 0) recorder.report.stopped = s.stopped;
    if (Object.keys(unreachable).length > 0) recorder.report.unreachable = unreachable;
  }
  emit({ type: 'run-end', report: recorder.report });
  return recorder.report;
}
