import type { BecomeMethod, BecomeSpec, ConvergeError, FactRequest, HostFacts, HostInfo, ModuleDefinition, Play, PrepareContext, RegisteredResult, SourceLocation, Task, TaskContext } from '@converge/core';
import type { RunOptions } from '../run/run-options.js';
import type { MagicVars } from './task-vars.js';
import type { HostReads } from './unknown-reads.js';
import type { ExpectedVars, UnknownInCheck } from './set-vars.js';

/** One runnable task on one host (one item of a loop): params validated and prepared, facts declared. */
export interface Prepared {
  node: TaskNode;
  /** Shown in output: the task's name, with `(item=LABEL)` in a loop. */
  name: string;
  def: ModuleDefinition;
  task: Task;
  params: unknown;
  host: HostInfo;
  become: BecomeSpec | undefined;
  facts: Record<string, FactRequest>;
  notify: string[];
  /** Handler names this task answers to (name + listen), for handlers. */
  answers: string[];
  skip?: string;
  handler: boolean;
  /** The loop item this runs for. */
  item?: { value: unknown; index: number; label: string };
  /** The host the task runs on instead (`delegateTo`). */
  delegate?: string;
}

/** Options inherited from the blocks around a task. */
export interface Scope {
  when: ((ctx: TaskContext) => boolean)[];
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: BecomeMethod;
  tags: string[];
  /** Block vars, outermost first. */
  vars: Record<string, unknown>[];
}

/** The tasks of one role, or a play's own tasks, on one host: where vars and files come from. */
export interface Unit {
  /** The role these tasks are of, and where the playbook asked for it (its `useRole` call, else the playbook's `definePlaybook`). */
  role?: { name: string; usedAt?: SourceLocation };
  lower: Record<string, unknown>;
  upper: { params: Record<string, unknown>; magic: Record<string, unknown> };
  baseDir: string;
  searchPaths: PrepareContext['searchPaths'];
  /** The merged vars of tasks without vars of their own, made once. */
  plain?: Record<string, unknown>;
  /** The same before the host is contacted (registered names wait). */
  deferring?: Record<string, unknown>;
}

/**
 * A task of a play on one host. `items` are its prepared runs (one, or one per loop item) when
 * they could be prepared before contacting the host; a task whose loop, `when` or params read
 * registered results or host facts is resolved when those are known (`resolution`).
 */
export interface TaskNode {
  kind: 'task';
  task: Task;
  scope: Scope;
  unit: Unit;
  handler: boolean;
  /** The task's name without item labels. */
  name: string;
  notify: string[];
  answers: string[];
  /** Ready to run as prepared up front (`items` set), or to be resolved at its turn. */
  ready: boolean;
  items?: Prepared[];
  /** What stopped preparation up front, when not ready. */
  waitsFor?: 'facts' | 'registered';
}

/** A block on one host: its tasks, rescue and always sections. */
export interface BlockNode {
  kind: 'block';
  name?: string;
  site?: SourceLocation;
  tasks: PlanNode[];
  rescue: PlanNode[];
  always: PlanNode[];
}

export type PlanNode = TaskNode | BlockNode;

/** One host's part of one play, before anything runs. */
export interface HostPlay {
  host: string;
  nodes: PlanNode[];
  handlers: TaskNode[];
  /** Gather host facts with the first probe (the play asks, or a task read them). */
  gatherFacts: boolean;
  env: PrepEnv;
}

export interface PlayPlan {
  play: Play;
  hosts: HostPlay[];
}

/** What stays the same for every task of a play on a host. */
export interface PrepEnv {
  options: Pick<RunOptions, 'inventory' | 'extraVars' | 'tags' | 'skipTags' | 'becomePassword' | 'becomeDefaults' | 'verbosity' | 'playbook'>;
  play: Play;
  host: string;
  check: boolean;
  diff: boolean;
  magic: MagicVars;
  /** Every name a task of the playbook registers. */
  registeredNames: ReadonlySet<string>;
  /** Every name of a host var that a task of the playbook sets ({@link Task.sets}). */
  setNames?: ReadonlySet<string>;
  /** What the evaluation in progress on this host read that is not known yet (one per host for the whole run). */
  reads: HostReads;
  /** The vars that the tasks prepared so far on this host set (one per host for the whole run). */
  expected?: ExpectedVars;
}

/** What is known when a task is resolved: host facts and registered results, when they are. */
export interface KnownState {
  facts?: HostFacts;
  /** Results registered so far on the host (check mode: wrapped so unknown fields say so). */
  registered?: ReadonlyMap<string, RegisteredResult>;
  /** Vars set so far on the host by tasks (`setFact`); an {@link UnknownInCheck} for each that check mode could not set. */
  vars?: ReadonlyMap<string, unknown>;
  /**
   * Before the host is contacted: the vars that tasks before this one set, which it waits for
   * (see {@link ExpectedVars}); absent: every var a task of the playbook sets (handlers, which
   * run last, and tasks prepared once the host is contacted).
   */
  setBefore?: ReadonlySet<string>;
  /** Before the host is contacted: values that earlier tasks will set, read as if set (the task is prepared again at its turn). */
  expected?: ReadonlyMap<string, unknown>;
}

/** The outcome of preparing a task. */
export type Resolution =
  | { kind: 'ready'; items: Prepared[]; name: string }
  | { kind: 'waits'; on: 'facts' | 'registered'; items?: Prepared[] }
  /** Check mode: the task depends on output that only a real run produces. */
  | { kind: 'unknown'; message: string; name: string }
  | { kind: 'error'; error: ConvergeError; name: string };

/** Every task node of a tree, in order (block tasks, then rescue, then always). */
export function walkNodes(nodes: readonly PlanNode[]): TaskNode[] {
  const out: TaskNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'task') out.push(n);
    else out.push(...walkNodes(n.tasks), ...walkNodes(n.rescue), ...walkNodes(n.always));
  }
  return out;
}
