import { dirname, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { ConvergeError, formatLocation } from '@converge/core';
import type { Inventory } from '@converge/inventory';
import { hostVars, selectHosts } from '@converge/inventory';
import type { DataEndpoint, ModuleDefinition, Play, Playbook } from '@converge/core';
import { maskValue, type Secret } from '@converge/core';
import type { BecomeMethod, ConnectionSpec, Transport } from '@converge/core';
import { connectionSpec } from './connection.js';
import { asConvergeError, unreachableReason } from './failure.js';
import { HostRun, type HostState } from './host-run.js';
import { prepareHostPlay, registeredNames, type HostPlay, type PlanNode, type PlayPlan, type PrepEnv } from './prepare.js';
import { emptySummary, type HostStats, type HostSummary, type RunEvent, type RunReport, type StoppedHost, type TaskReport, type UnreachableReason } from './report.js';
import { orderHosts, serialBatches, checkPlayControl } from './batches.js';
import { ConnectionPool } from './connection-pool.js';
import { BatchControl } from './play-control.js';
import { applyStartAtTask } from './start-at-task.js';
import { PendingHandlers } from './state.js';

export { renderDiff } from './diff.js';

/**
 * Default of {@link RunOptions.connectConcurrency}: enough handshakes in flight to hide network
 * latency to remote hosts, few enough that a burst does not starve the controller's CPU.
 */
export const DEFAULT_CONNECT_CONCURRENCY = 20;

/** Options of {@link runPlaybook}. */
export interface RunOptions {
  playbook: Playbook;
  /** Path of the playbook file: its directory is where relative `src` paths resolve; also the key of remembered handlers. */
  playbookPath: string;
  inventory: Inventory;
  /** Makes the transport of a host (the CLI gives SSH for `ssh` hosts and LocalTransport for `local`). */
  transport: (spec: ConnectionSpec) => Transport;
  check?: boolean;
  diff?: boolean;
  /** Host pattern that narrows every play's hosts (`--limit`). */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  /** Hosts worked on at once; default 5 as Ansible. */
  forks?: number;
  /**
   * Connections being set up at once (TCP connect, key exchange, authentication), at most
   * `forks`; default {@link DEFAULT_CONNECT_CONCURRENCY}. Handshakes cost CPU on both ends: a
   * burst of hundreds would make each take long enough to hit its connect timeout, and would
   * exceed sshd's `MaxStartups` (default 10:30:100) on a shared server or bastion.
   */
  connectConcurrency?: number;
  forceHandlers?: boolean;
  /** Become password for every host (`--ask-become-pass`); host vars win. */
  becomePassword?: Secret;
  /**
   * Become settings of the command line (`-b`, `--become-method`, `--become-user`): what a task
   * uses when neither it, its block, its play nor the host's vars (`ansible_become`,
   * `ansible_become_method`, `ansible_become_user`) say, as ansible-playbook's options.
   */
  becomeDefaults?: { become?: boolean; method?: BecomeMethod; user?: string };
  /**
   * Connection vars of the command line (`-u` as `ansible_user`, `--private-key`, `-c`, `-T`,
   * `--ssh-common-args`, `-k`'s password, ...): used to connect when the host's own vars (and
   * extra vars) do not set them; not visible to tasks or templates.
   */
  connectionVars?: Record<string, unknown>;
  /**
   * Checks a host's connection settings before any host is contacted (the CLI reads the ssh
   * options and config here); a throw is a problem found before contacting any host.
   */
  checkConnection?: (spec: ConnectionSpec) => void;
  /** Skip the tasks before the first task with this name (or glob), as `--start-at-task`. */
  startAtTask?: string;
  /** Where run state lives (pending handlers); default `<playbook dir>/.converge`. */
  stateDir?: string;
  onEvent?: (event: RunEvent) => void;
  /**
   * Called once every task of every host is prepared and before any host is contacted, with what
   * each host of each play will do (see {@link PreparedHostPlay}); a policy (the data-residency
   * guard) throws a `ConvergeError` to stop the run there.
   */
  beforeConnect?: (targets: PreparedHostPlay[]) => void | Promise<void>;
}

/**
 * One host of one play as prepared before any connection: the host's vars for the play
 * (inventory vars with `group_vars`/`host_vars`, play vars, extra vars) and its tasks whose
 * modules declare the endpoints they send data to, with those endpoints (`undefined` when the
 * params are known only after connecting: they read facts or registered results).
 */
export interface PreparedHostPlay {
  play: string;
  host: string;
  vars: Record<string, unknown>;
  tasks: { name: string; module: string; endpoints: DataEndpoint[] | undefined }[];
}

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
    onEvent(e);
  };
  const playbookPath = resolve(options.playbookPath);
  const playbookDir = dirname(playbookPath);
  const pending = new PendingHandlers(options.stateDir ?? join(playbookDir, '.converge'));
  await pending.load();

  const limitHosts = options.limit ? new Set(selectHosts(options.inventory, options.limit)) : undefined;
  if (limitHosts && limitHosts.size === 0) {
    throw new ConvergeError('CONVERGE_OPTIONS', `--limit ${JSON.stringify(options.limit)} matches no host of the inventory`, { hint: 'check the pattern with `converge inventory -i INVENTORY --list`' });
  }
  const plans: PlayPlan[] = [];
  const errors: ConvergeError[] = [];
  const registered = registeredNames(options.playbook, errors);
  /** Per host for the whole run: the evaluation tracker, registered results and gathered facts. */
  const boxes = new Map<string, PrepEnv['box']>();
  const hostStates = new Map<string, HostState>();
  for (const play of options.playbook.plays) {
    errors.push(...checkPlayControl(play));
    const matched = selectHosts(options.inventory, play.hosts);
    if (matched.length === 0) {
      emit({ type: 'warning', message: `play "${play.name}": the host pattern ${JSON.stringify(play.hosts)} matches no host of the inventory (${options.inventory.sources.join(', ')}); the play does nothing` });
    }
    const hosts = matched.filter((h) => !limitHosts || limitHosts.has(h));
    const hostPlays: HostPlay[] = [];
    for (const host of hosts) {
      try {
        let box = boxes.get(host);
        if (!box) boxes.set(host, (box = { tracker: { facts: false } }));
        const env: PrepEnv = { options, play, host, check, diff, magic: { playbookDir, check, diff, playHosts: hosts }, registeredNames: registered, box };
        hostPlays.push(await prepareHostPlay(env, playbookDir, errors));
      } catch (e) {
        errors.push(asConvergeError(e, 'CONVERGE_PLAYBOOK'));
      }
    }
    plans.push({ play, hosts: hostPlays });
  }
  // A host's connection vars (port, connection type) are checked here, not when it is reached.
  const connectionVars = (host: string) => ({ ...(options.connectionVars ?? {}), ...hostVars(options.inventory, host), ...(options.extraVars ?? {}) });
  for (const host of new Set(plans.flatMap((p) => p.hosts.map((h) => h.host)))) {
    try {
      const spec = connectionSpec(host, connectionVars(host));
      options.checkConnection?.(spec);
    } catch (e) {
      errors.push(asConvergeError(e, 'CONVERGE_INVENTORY'));
    }
  }
  if (errors.length > 0) throw aggregate(errors);
  if (options.beforeConnect) await options.beforeConnect(preparedHostPlays(plans, options));
  if (options.startAtTask !== undefined) applyStartAtTask(plans, options.startAtTask);

  const allHosts = [...new Set(plans.flatMap((p) => p.hosts.map((h) => h.host)))];
  emit({ type: 'run-start', check, diff, hosts: allHosts });

  const summary: Record<string, HostSummary> = {};
  const stats: Record<string, HostStats> = {};
  const tasks: TaskReport[] = [];
  const report: RunReport = { summary, tasks, stats, check };
  for (const h of allHosts) {
    summary[h] = emptySummary();
    stats[h] = { roundTrips: 0, durationMs: 0 };
  }
  const count = (r: TaskReport, sign: 1 | -1) => {
    const s = summary[r.host] ?? (summary[r.host] = emptySummary());
    if (r.status === 'ok') s.ok += sign;
    else if (r.status === 'changed') {
      s.ok += sign;
      s.changed += sign;
    } else if (r.status === 'failed') {
      if (r.rescued) s.rescued += sign;
      else if (r.ignored) {
        s.ok += sign;
        s.ignored += sign;
      } else s.failed += sign;
    } else if (r.status === 'skipped') s.skipped += sign;
  };
  const record = (r: TaskReport, replaces?: TaskReport, quiet = false): TaskReport => {
    const masked = maskValue(r) as TaskReport;
    const at = replaces ? tasks.indexOf(replaces) : -1;
    if (replaces && at >= 0) {
      count(replaces, -1);
      tasks[at] = masked;
    } else tasks.push(masked);
    count(masked, 1);
    if (!quiet) emit({ type: 'task-result', report: masked });
    return masked;
  };

  const limit = pLimit(Math.max(1, options.forks ?? 5));
  const connectLimit = pLimit(Math.max(1, options.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY));
  const transports = new Map<string, Transport>();
  const connecting = new Map<string, Promise<Transport | undefined>>();
  /** Each host's own time: connecting, then its runs of each play (not the time other hosts of a batch take). */
  const spent = new Map<string, number>();
  const spend = (host: string, since: number) => spent.set(host, (spent.get(host) ?? 0) + (performance.now() - since));
  const down = new Set<string>();
  const lastPlay = new Map<string, number>();
  plans.forEach((p, i) => p.hosts.forEach((h) => lastPlay.set(h.host, i)));

  /** Connects a host once, when its first play reaches it; undefined (and reported) when unreachable. */
  const connect = (host: string): Promise<Transport | undefined> => {
    let c = connecting.get(host);
    if (!c) {
      c = connectLimit(async () => {
        const t0 = performance.now();
        const vars = connectionVars(host);
        let t: Transport | undefined;
        try {
          t = options.transport(connectionSpec(host, vars));
          await t.connect();
          transports.set(host, t);
          spend(host, t0);
          return t;
        } catch (e) {
          if (t) await t.close().catch(() => undefined);
          spend(host, t0);
          const st = stats[host];
          if (st) st.durationMs = Math.round(spent.get(host) ?? 0);
          down.add(host);
          const s = summary[host];
          if (s) s.unreachable = 1;
          emit({ type: 'host-unreachable', host, ...unreachableReason(e) });
          return undefined;
        }
      });
      connecting.set(host, c);
    }
    return c;
  };
  /** Records a host's counters and closes its connection: after its last play, or when it is out of the run. */
  const release = async (host: string): Promise<void> => {
    const t = transports.get(host);
    if (!t) return;
    transports.delete(host);
    const s = stats[host];
    if (s) {
      s.roundTrips = t.stats.roundTrips;
      s.durationMs = Math.round(spent.get(host) ?? 0);
    }
    await t.close().catch(() => undefined);
  };

  /** Connections to delegates (`delegateTo`) that are not open as hosts of the current play. */
  const delegates = new ConnectionPool(options.inventory, options.transport, options.extraVars ?? {}, options.connectionVars ?? {});
  const failedHosts = new Set<string>();
  /** Hosts unreachable since connecting that a play has already counted in a batch. */
  const counted = new Set<string>();
  const stopped: StoppedHost[] = [];
  const predicted = new Map<string, string[][]>();
  try {
    for (const plan of plans) {
      const { play } = plan;
      const playHosts = orderHosts(
        plan.hosts.filter((h) => !failedHosts.has(h.host) && !counted.has(h.host)),
        play.order,
        (h) => h.host,
      );
      emit({ type: 'play-start', play: play.name, hosts: playHosts.filter((h) => !down.has(h.host)).map((h) => h.host) });
      const batches = serialBatches(playHosts, play.serial);
      let stop: string | undefined;
      for (const [b, batch] of batches.entries()) {
        const control = new BatchControl(
          batch.map((h) => h.host),
          { ...(play.maxFailPercentage !== undefined ? { maxFailPercentage: play.maxFailPercentage } : {}), ...(play.anyErrorsFatal ? { anyErrorsFatal: true } : {}) },
        );
        for (const hp of batch) {
          if (!down.has(hp.host)) continue;
          counted.add(hp.host);
          control.hostLeft(hp.host);
          control.hostUnreachable(hp.host);
        }
        const playIndex = plans.indexOf(plan);
        const done: string[] = [];
        await Promise.all(
          batch.map((hp) =>
            limit(async () => {
              if (down.has(hp.host)) return;
              const transport = await connect(hp.host);
              if (!transport) {
                counted.add(hp.host);
                control.hostLeft(hp.host);
                control.hostUnreachable(hp.host);
                return;
              }
              let state = hostStates.get(hp.host);
              if (!state) hostStates.set(hp.host, (state = { registered: new Map() }));
              const run = new HostRun(hp, play, transport, {
                state,
                check,
                diff,
                playbookPath,
                pending,
                record,
                emit,
                forceHandlers: options.forceHandlers ?? play.forceHandlers ?? false,
                control,
                connect: async (h) => transports.get(h) ?? delegates.connect(h),
                predicted,
              });
              let outcome: Awaited<ReturnType<HostRun['run']>>;
              const r0 = performance.now();
              try {
                outcome = await run.run();
              } finally {
                spend(hp.host, r0);
                control.hostLeft(hp.host);
              }
              if (outcome === 'failed') {
                failedHosts.add(hp.host);
                control.hostFailed(hp.host);
              }
              if (outcome === 'unreachable') {
                down.add(hp.host);
                counted.add(hp.host);
                control.hostUnreachable(hp.host);
                const s = summary[hp.host];
                if (s) s.unreachable = 1;
              }
              if (outcome !== 'ok' || lastPlay.get(hp.host) === playIndex) done.push(hp.host);
            }),
          ),
        );
        // Closed only once the whole batch is through: another host of the batch may still
        // delegate a task to this one (delegateTo).
        await Promise.all(done.map(release));
        for (const host of control.hosts) {
          const reason = control.stopped.get(host);
          if (reason !== undefined) stopped.push({ host, play: play.name, reason });
        }
        const allFailed = batch.length > 0 && batch.every((h) => failedHosts.has(h.host) || down.has(h.host));
        stop = control.stopReason ?? (allFailed ? `every host of the ${batches.length > 1 ? `batch (${batch.map((h) => h.host).join(', ')})` : 'play'} failed` : undefined);
        if (stop !== undefined) {
          const notRun = batches.slice(b + 1).flat().map((h) => h.host);
          const laterPlays = plans.slice(plans.indexOf(plan) + 1).length;
          if (control.stopReason !== undefined || notRun.length > 0 || laterPlays > 0) {
            emit({
              type: 'warning',
              message: `play "${play.name}" stopped (${stop})${notRun.length > 0 ? `; hosts not run: ${notRun.join(', ')}` : ''}${laterPlays > 0 ? `; ${laterPlays} later play${laterPlays > 1 ? 's' : ''} not run` : ''}`,
            });
          }
          break;
        }
      }
      emit({ type: 'play-end', play: play.name });
      if (stop !== undefined) break;
    }
  } finally {
    await Promise.all([...transports.keys()].map(release));
    for (const [host, st] of await delegates.closeAll()) {
      const s = stats[host];
      stats[host] = { roundTrips: (s?.roundTrips ?? 0) + st.roundTrips, durationMs: Math.max(s?.durationMs ?? 0, st.durationMs) };
    }
    if (stopped.length > 0) report.stopped = stopped;
    if (Object.keys(unreachable).length > 0) report.unreachable = unreachable;
  }
  emit({ type: 'run-end', report });
  return report;
}

function aggregate(errors: ConvergeError[]): ConvergeError {
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  const first = unique[0] as ConvergeError;
  if (unique.length === 1) return first;
  const shown = unique.slice(0, 20).map((e) => (e.location ? `${e.message}\n  at ${formatLocation(e.location)}` : e.message));
  const more = unique.length > 20 ? `\n(and ${unique.length - 20} more)` : '';
  return new ConvergeError(first.code, `${unique.length} problems found before contacting any host:\n- ${shown.join('\n- ')}${more}`, { cause: first });
}


/** What {@link RunOptions.beforeConnect} is given: per play and host, the vars and the tasks that declare endpoints. */
function preparedHostPlays(plans: PlayPlan[], options: RunOptions): PreparedHostPlay[] {
  const out: PreparedHostPlay[] = [];
  for (const { play, hosts } of plans) {
    for (const hp of hosts) {
      const tasks: PreparedHostPlay['tasks'] = [];
      const visit = (nodes: PlanNode[]): void => {
        for (const n of nodes) {
          if (n.kind === 'block') {
            visit(n.tasks);
            visit(n.rescue);
            visit(n.always);
            continue;
          }
          const def = n.task.module as unknown as ModuleDefinition;
          if (!def.endpoints) continue;
          const endpoints = n.ready && n.items ? n.items.flatMap((item) => (item.skip ? [] : (def.endpoints?.(item.params as never) ?? []))) : undefined;
          tasks.push({ name: n.name, module: def.name, endpoints });
        }
      };
      visit(hp.nodes);
      visit(hp.handlers);
      out.push({ play: play.name, host: hp.host, vars: { ...hostVars(options.inventory, hp.host), ...(play.vars ?? {}), ...(options.extraVars ?? {}) }, tasks });
    }
  }
  return out;
}
