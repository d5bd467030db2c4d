import type { Static, TSchema } from '@sinclair/typebox';
import type { FactRequest } from './fact.js';
import type { PlanProbeHints } from './probe-hints.js';
import type { Secret } from './secret.js';
import type { RawShell } from './sh.js';
import type { BecomeMethod, ExecResult } from './transport.js';
import { ConvergeError } from './errors.js';
import type { SourceLocation } from './errors.js';
import type { HostFacts } from './host-facts.js';

/** One attribute that differs between a host and what a task wants: `before` -> `after`. */
export interface Change {
  /** Dotted attribute name, e.g. `content`, `mode`, `state`, `enabled`, `packages.nginx`. */
  path: string;
  before: unknown;
  after: unknown;
}

/** Before and after text of a file, for a unified diff. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

/**
 * What a module's `plan` returns: the changes a task would make (empty = nothing to do, then
 * `reason` says why in one line), file diffs, and private data for `apply`.
 */
export interface Plan<D = unknown> {
  changes: Change[];
  diffs?: FileDiff[];
  reason?: string;
  data?: D;
  /**
   * Resources this plan changes beyond the module's static `resources(params)`, known only from
   * the facts: e.g. the missing parent directories a `mkdir -p` creates. Facts reading them are
   * re-probed after the apply, and in check mode later tasks are told `upstreamChanged`.
   */
  resources?: string[];
  /** Optional hints that let the engine predict facts after the apply instead of probing them again ({@link PlanProbeHints}). */
  hints?: PlanProbeHints;
  /** @deprecated give it in {@link Plan.hints} ({@link PlanProbeHints.newDirectories}). */
  newDirectories?: string[];
  /**
   * Result data of a task that reads a state without changing it (e.g. a backup's age): shown
   * in the report and given to `failedWhen`, also when there are no changes.
   */
  result?: Record<string, unknown>;
  /**
   * A task decided on the controller, without changes (`assert`, `fail`, `debug`): `failed`
   * fails it and `skipped` skips it, with `reason` as the message; in check mode too.
   * `failedWhen` still judges the result of a `failed` verdict.
   */
  verdict?: 'failed' | 'skipped';
  /**
   * Host vars the task sets, as Ansible's `set_fact`: the engine merges them into the host's vars
   * for the later tasks of the host, in this play and later plays of the run, at the precedence
   * of registered results (the later of a `set` and a `register` of one name wins). Set in check
   * mode too. Every name must be declared up front in the task's {@link Task.sets}, so that
   * tasks reading one are prepared once it is set.
   */
  vars?: Record<string, unknown>;
  /** Text the task shows the operator (`debug`'s message): printed under its row in every output, masked. */
  output?: string;
  /** Seconds the engine waits on the controller before the next task of the host (`pause`). */
  pauseSeconds?: number;
  /**
   * Check mode: the changes depend on what an earlier task of the run changes, which cannot be
   * known before it runs (Terraform's "known after apply"): says why. The task is reported with
   * status `unknown`, apart from the certain changes; every change a plan does not mark so must
   * be exactly what the real run does.
   */
  unknown?: string;
  /**
   * Check mode: what this task's change makes of resources that later tasks read, by resource
   * key (e.g. `unit:nginx.service` -> the unit's state once a package's maintainer scripts ran),
   * so that their plans know it ({@link PlanInput.predicted}) instead of guessing.
   */
  predicts?: Record<string, unknown>;
}

/**
 * How the engine gets a host back after an apply that restarts it ({@link ModuleDefinition.reconnect}):
 * it reads the boot identity, runs the apply, closes the connection, waits `settleSeconds`, then
 * connects again every second until the boot identity differs and `test` exits 0, within
 * `timeoutSeconds`; then every fact of the host is probed again before it is used, and the host
 * facts are gathered again.
 */
export interface Reconnect {
  /** Shell that prints what identifies the running boot (read before and after; never the same twice across a reboot). */
  bootId: RawShell | string;
  /** Seconds from the apply until the host must be back and `test` pass (Ansible's `reboot_timeout`). */
  timeoutSeconds: number;
  /** Seconds to wait after the apply before the first connection attempt (Ansible's `post_reboot_delay`). */
  settleSeconds?: number;
  /** Shell that must exit 0 before the host counts as back (Ansible's `test_command`). */
  test?: RawShell | string;
}

/**
 * A file on the controller that a step reads as its stdin, streamed to the host in parts and
 * never held in memory whole (a large `copy` source): its absolute path, size in bytes and
 * sha256 (hex), read when the task was prepared. The engine checks both while it sends the file:
 * a file changed since then, or a copy damaged on the way, fails the step.
 */
export interface ControllerFile {
  controllerFile: string;
  size: number;
  sha256: string;
}

/** True for a {@link ControllerFile}. */
export function isControllerFile(v: unknown): v is ControllerFile {
  return typeof v === 'object' && v !== null && typeof (v as { controllerFile?: unknown }).controllerFile === 'string';
}

/**
 * One shell step of an apply. Steps of a task run in order in one remote round trip; the
 * first step that exits with a code outside `okExitCodes` (default `[0]`) fails the task.
 */
export interface Command {
  script: RawShell | string;
  /** Bytes for the step's stdin: how file contents and secrets travel; a large controller file streams ({@link ControllerFile}). */
  stdin?: string | Uint8Array | Secret | ControllerFile;
  /** Shown when the step fails, e.g. `write /etc/motd`. */
  description?: string;
  okExitCodes?: number[];
}

/** The host a task runs on, as modules see it. */
export interface HostInfo {
  name: string;
  vars: Readonly<Record<string, unknown>>;
  /** User the task's commands run as (after become). */
  user: string;
  check: boolean;
  diff: boolean;
  /** The run's verbosity: how many `-v` the command line gave (0 without). */
  verbosity?: number;
}

/** What `prepare` receives: controller-side context of one task on one host. */
export interface PrepareContext {
  host: HostInfo;
  /** Directory that relative `src` paths resolve against (the role's or the playbook's). */
  baseDir: string;
  /** Directories searched for `src` files and templates, in order. */
  searchPaths: { files: string[]; templates: string[] };
  /** Renders a Jinja2 template text with the host's vars (Ansible's template rules). */
  renderTemplate(source: string, file: string, extraVars?: Record<string, unknown>): string;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Evaluates a bare Jinja2 expression (the syntax of Ansible's `when`, `that` and `var`) with
   * the host's vars, as Ansible's rules evaluate it, and returns its value (`None` is `null`).
   * Secrets take part with their clear text; output built from the value is masked by value.
   *
   * @throws ConvergeError `CONVERGE_TEMPLATE` for a syntax error or an undefined variable.
   */
  evaluate(expression: string): unknown;
  /**
   * Size and sha256 of a controller file, read in parts (memory stays bounded whatever its size),
   * for a step that streams it ({@link ControllerFile}). Always given by the engine.
   * @throws the file system's error (`code`: `ENOENT`, `EACCES`, `EISDIR`, `EIO`, ...).
   */
  describeFile?(path: string): Promise<ControllerFile>;
}

/**
 * What a module's `facts` returns: fact requests by name (`F` is the object's own type, so an
 * interface fits too). A request that is left out, or `undefined`, is not probed, and its value
 * is absent in {@link FactValues}.
 */
export type FactRequests<F> = { readonly [K in keyof F]: FactRequest | undefined };

/**
 * Facts as values, with the same keys as the requests: `{ unit: FactRequest<UnitStatus>,
 * pending?: FactRequest<string[]> }` gives `{ unit: UnitStatus, pending?: string[] }` (a request
 * that may be undefined gives a value that may be).
 */
export type FactValues<F> = {
  [K in keyof F]: F[K] extends FactRequest<infer T> ? T : F[K] extends FactRequest<infer T> | undefined ? T | undefined : never;
};

/**
 * The value of a fact requested under a computed key (one per file of a list: `file${i}`),
 * typed as its request: `factValue(facts, \`file${i}\`)` is a `FileState` when `facts` are
 * `Record<\`file${number}\`, …>` values.
 *
 * @throws ConvergeError `CONVERGE_INTERNAL` when there is no such value: the module's `facts`
 * did not request it (or a module case left it out).
 */
export function factValue<F, K extends keyof F & string>(facts: F, key: K): Exclude<F[K], undefined> {
  const value = facts[key];
  if (value === undefined) throw new ConvergeError('CONVERGE_INTERNAL', `no value for the fact "${key}": the module's facts did not request it`);
  return value as Exclude<F[K], undefined>;
}

/** Input of `plan` and `apply`. */
export interface PlanInput<P, F> {
  params: P;
  facts: FactValues<F>;
  host: HostInfo;
  /**
   * True when an earlier task of this run changed (or, in check mode, would change) a resource
   * these facts read: in check mode the facts may not show that yet.
   */
  upstreamChanged: boolean;
  /**
   * Check mode: what earlier tasks of the run predict ({@link Plan.predicts}) for the resources
   * these facts read, by resource key, when no later change touched them without a prediction.
   * Empty in a real run (the facts are probed after the change).
   */
  predicted?: Readonly<Record<string, unknown>>;
}

/**
 * The plan `apply` receives: one with changes (apply is only called then), whose `data` is what
 * that plan returned with them. A module whose apply reads `data` returns it with every plan
 * that has changes; its type is inferred from `plan`'s return (see {@link defineModule}).
 */
export type PlanWithChanges<D> = unknown extends D ? Plan<D> : Plan<D> & { data: D };

/** Input of `apply`. */
export interface ApplyInput<P, F, D> extends PlanInput<P, F> {
  plan: PlanWithChanges<D>;
}

/** Outcome adjustments a module draws from its apply output (e.g. `command`'s rc and stdout). */
export interface ApplyOutcome {
  /** Data shown in the report and given to `changedWhen`/`failedWhen`. */
  result?: Record<string, unknown>;
  changed?: boolean;
  failed?: boolean;
  message?: string;
}

/**
 * A place outside the host that a task makes the host send data to: a backup repository, a log
 * or metrics push endpoint. Declared by modules through {@link ModuleDefinition.endpoints}; a
 * data-residency policy checks each before any host is contacted.
 */
export interface DataEndpoint {
  /** A URL (`https://s3.gra.io.cloud.ovh.net`, `sftp://backup.example.net:22/srv`) or `host[:port]`. */
  url: string;
  /** What the host sends there. */
  kind: 'backup' | 'logs' | 'metrics' | 'errors' | 'other';
}

/** A test of a task's params (a method's type, so that modules with any params share one definition type). */
type ParamsPredicate<R> = { test(params: R): boolean }['test'];

/**
 * A module: typed params, facts declared up front, a pure plan and an apply that turns the plan
 * into shell steps. See {@link defineModule}.
 */
export interface ModuleDefinition<S extends TSchema = TSchema, F extends FactRequests<F> = Record<string, FactRequest>, D = unknown, R = Static<S>> {
  /** `family.name` (or a bare name for single-module families): folder, test name, report label. */
  name: string;
  description: string;
  /** JSON Schema (TypeBox) of the params; validated with ajv before any host is contacted. */
  params: S;
  /** Cross-field checks the schema cannot express; return an error message or nothing. */
  validate?(params: Static<S>): string | undefined;
  /** Controller-side step before any connection (read a local file, render a template). May throw ConvergeError. */
  prepare?(params: Static<S>, ctx: PrepareContext): R | Promise<R>;
  facts?(params: R, host: HostInfo): F;
  plan(input: PlanInput<R, F>): Plan<D>;
  apply(input: ApplyInput<R, F, D>): Command[];
  /** Reads the apply's output (last step) into result data and changed/failed overrides. */
  outcome?(output: ExecResult, input: ApplyInput<R, F, D>): ApplyOutcome;
  /** Resources an apply may change (see FactDefinition.resources). Default `['*']`. */
  resources?(params: R): string[];
  /**
   * Re-plan after apply to prove the host converged. Default true; false for actions (command,
   * restart), or a function of the params for modules whose params choose between a state and
   * an action (`mount` with `state: remounted`).
   */
  verify?: boolean | ParamsPredicate<R>;
  /**
   * Where the host will send data because of this task (backup repositories, log and metrics
   * push endpoints), from the params alone (pure, no I/O). A data-residency policy checks them
   * before any host is contacted; a module that sends data off the host should declare them.
   */
  endpoints?(params: R): DataEndpoint[];
  /**
   * The apply restarts the host (`reboot`): the task runs in a round trip of its own, and after
   * it the engine gets the host back as {@link Reconnect} says. Not called in check mode.
   */
  reconnect?(params: R): Reconnect;
}

/**
 * How a loop names and exposes its items (Ansible's `loop_control`).
 *
 * @typeParam I - the type of the loop's items.
 */
export interface LoopControl<I = unknown> {
  /** Text shown for an item in output, as `name (item=LABEL)`; default: the item itself (objects as JSON). Secrets stay masked. */
  label?(item: I): string;
  /** Name of the var holding the item in `ctx.vars` and templates; default `item`. */
  loopVar?: string;
  /** Name of a var holding the item's position (from 0); none by default. */
  indexVar?: string;
}

/**
 * Options every task takes besides its module's params.
 *
 * @typeParam I - the type of the loop's items (`loop`), seen as `ctx.item`.
 * @typeParam V - the vars the playbook or role declares ({@link TaskContext.vars}).
 */
export interface TaskOptions<I = unknown, V extends object = AnyVars> {
  /** Shown in output; default: the module name and its main param. */
  name?: string;
  /** Skip the task on hosts for which this returns false; in a loop, evaluated for each item. */
  when?: (ctx: TaskContext<I, V>) => boolean;
  /** Handler names (or `listen` topics) to notify when the task changed something. */
  notify?: string | string[];
  tags?: string[];
  become?: boolean;
  becomeUser?: string;
  /** How to become `becomeUser`: `sudo` (default) or `su`; default the play's, else `ansible_become_method`. */
  becomeMethod?: BecomeMethod;
  ignoreErrors?: boolean;
  /** Decide "changed" from the result (for commands). */
  changedWhen?: (result: TaskResultData) => boolean;
  /** Decide "failed" from the result (for commands). */
  failedWhen?: (result: TaskResultData) => boolean;
  /** For handlers: extra topics this handler answers to. */
  listen?: string | string[];
  /**
   * Runs the task once per item (Ansible's `loop`): a list, or a function of the host that gives
   * one. Each item is its own result row, `name (item=LABEL)`; param functions and `when` see it
   * as `ctx.item` and `ctx.vars.item`. All items run even when one fails; the task then fails.
   */
  loop?: readonly I[] | ((ctx: TaskContext<unknown, V>) => readonly I[]);
  /** Label and var names of the loop's items. */
  loopControl?: LoopControl<I>;
  /**
   * Keeps the task's result ({@link RegisteredResult}) under this name for later tasks on the
   * same host, in this play and later ones: `ctx.registered(name)`, `ctx.vars[name]` and
   * templates (`{{ name.stdout }}`). A loop registers `{ changed, failed, skipped, results: [...] }`.
   */
  register?: string;
  /**
   * Runs the task again until this holds for its result (Ansible's `until`), at most `retries`
   * more times, `delay` seconds apart; when it never holds, the task fails.
   */
  until?: (result: RegisteredResult) => boolean;
  /** Extra runs after the first: default 3 with `until`; without `until`, retries until the task does not fail. */
  retries?: number;
  /** Seconds between runs of `until`/`retries` (fractions allowed); default 5, as Ansible. */
  delay?: number;
  /** Task vars: above play, role and block vars, below role params and extra vars. */
  vars?: Record<string, unknown>;
  /**
   * At most this many hosts run this task at once (a whole number >= 1), across the hosts of
   * the current batch; below `--forks`, it is what limits. Facts are still probed with the
   * host's other tasks. As Ansible's `throttle`.
   */
  throttle?: number;
  /**
   * Run the task on one host of the batch only: the first host of the batch (in the play's
   * order) still running. Its row is reported for that host alone; when it fails (and
   * `ignoreErrors` is not set), every host of the batch fails, as Ansible's `run_once`.
   * Not allowed on handlers.
   */
  runOnce?: boolean;
  /**
   * Run the task on another inventory host (or the implicit `localhost`): its facts are probed
   * and its apply run there, over that host's own connection (opened on first use, shared with
   * the rest of the run), while params, `when` and templates use the vars of the host the task
   * is for. The row reads `host -> delegate`; a change on the delegate does not make the
   * host's own facts stale and is verified on the delegate right after it is applied. Typical
   * use: take a backend out of a load balancer before restarting it. A function gets the
   * host's context. As Ansible's `delegate_to`.
   *
   * @example
   * shell((h) => ({ cmd: `echo 'disable server web/${h.host}' | socat stdio /run/haproxy/admin.sock` }),
   *   { name: 'drain the backend', delegateTo: 'lb1' })
   */
  delegateTo?: string | ((ctx: TaskContext<unknown, V>) => string);
}

/** Result data of a task, given to `changedWhen`/`failedWhen`. */
export interface TaskResultData {
  changed: boolean;
  failed: boolean;
  rc?: number;
  stdout?: string;
  stderr?: string;
  [key: string]: unknown;
}

/**
 * The result of a task as `register` keeps it, in Ansible's shape: `changed`, `failed`,
 * `skipped`, the module's result data (`rc`, `stdout`, `stderr`, `stdout_lines`, ... for
 * commands), `msg` (why it failed, was skipped or changed nothing), `attempts` with
 * `until`/`retries`, `item` for one item of a loop and `results` (one per item) for a loop.
 *
 * In check mode it is the predicted result: output that only a real run produces (a command's
 * `stdout`) is not known, and a task that reads it is skipped with the reason.
 */
export interface RegisteredResult {
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  rc?: number;
  stdout?: string;
  stderr?: string;
  stdout_lines?: string[];
  stderr_lines?: string[];
  msg?: string;
  attempts?: number;
  item?: unknown;
  results?: RegisteredResult[];
  [key: string]: unknown;
}

/** Vars of any shape: what a playbook or role that declares none of its vars sees. */
export type AnyVars = Record<string, unknown>;

/**
 * Vars every host has whatever the playbook declares (Ansible's magic vars, set by the engine).
 * Source: Ansible docs, "Special Variables".
 */
export interface MagicVarValues {
  inventory_hostname: string;
  inventory_hostname_short: string;
  /** The host's groups, sorted, without `all`. */
  group_names: string[];
  /** Every group of the inventory with its hosts. */
  groups: Record<string, string[]>;
  /** Every host's inventory vars, by host name. */
  hostvars: Record<string, Record<string, unknown>>;
  play_hosts: string[];
  ansible_play_hosts: string[];
  playbook_dir: string;
  ansible_check_mode: boolean;
  ansible_diff_mode: boolean;
}

/**
 * What `ctx.vars` is: with declared vars `V`, those vars and the magic vars, typed (a name that
 * is neither is a type error); without, any var, as `unknown`.
 */
export type VarsView<V extends object> = AnyVars extends V ? AnyVars : V & MagicVarValues;

/**
 * What param functions, `when` and `loop` see: the host, its variables, the loop item, the
 * host's facts and the results registered by earlier tasks.
 *
 * @typeParam I - the type of the loop's items.
 * @typeParam V - the vars the playbook or role declares (`definePlaybook<V>`, `varsSchema`);
 *   without, `vars` holds any var as `unknown`.
 */
export interface TaskContext<I = unknown, V extends object = AnyVars> {
  host: string;
  /**
   * The host's vars for this task (inventory, play, role, block and task vars, registered
   * results, the loop var). Typed when the playbook or role declares its vars: a registered
   * result is then read with {@link TaskContext.registered}, a loop item with `item`.
   */
  vars: Readonly<VarsView<V>>;
  /** The current loop item; `undefined` outside a loop. */
  item: I;
  /**
   * Facts of the host ({@link HostFacts}), gathered once per run with the first probe of the
   * host when a task reads them (or the play sets `gatherFacts`). A task that reads them is
   * prepared once they are known.
   */
  readonly facts: HostFacts;
  /**
   * The result an earlier task on this host registered under `name`, or `undefined` when none
   * did. A task that reads one is prepared just before it runs.
   */
  registered(name: string): RegisteredResult | undefined;
}

/** Params, or a function of the host (and loop item) that gives them. */
export type ParamsInput<P, I = unknown, V extends object = AnyVars> = P | ((ctx: TaskContext<I, V>) => P);

/** Type-level only: no value has it. Carries the vars a task reads (see {@link Task}). */
declare const varsNeeded: unique symbol;

/**
 * A task: one module call in a play. Plain data; nothing runs until the engine runs it.
 *
 * @typeParam V - the vars the task's functions read (inferred from the play or role it is
 *   written in): a task fits in a play that declares at least those vars, or declares none.
 */
export interface Task<P = unknown, V extends object = AnyVars> {
  readonly kind: 'task';
  readonly module: ModuleDefinition<TSchema, Record<string, FactRequest>, unknown, unknown>;
  readonly params: ParamsInput<P>;
  readonly options: TaskOptions;
  /** Where the task was written (the module call in the playbook), for error messages. */
  readonly site?: SourceLocation;
  /**
   * Names of the host vars the task sets when it runs ({@link Plan.vars}), known when the task
   * is written (`setFact` fills it): a later task that reads one is prepared once it is set.
   */
  readonly sets?: readonly string[];
  readonly [varsNeeded]?: (vars: V & AnyVars) => void;
}

/** A callable module: `copy({ dest, content }, { notify: 'restart' })` makes a {@link Task}. */
export interface Module<S extends TSchema, F extends FactRequests<F>, D, R> {
  <I = unknown, V extends object = AnyVars>(params: ParamsInput<Static<S>, I, V>, options?: TaskOptions<I, V>): Task<Static<S>, V>;
  readonly definition: ModuleDefinition<S, F, D, R>;
}

/**
 * Defines a module. `plan` must be pure and local; `apply` may only do what `plan` announced and
 * returns shell steps (built with `sh`) rather than running them, so that a module case reads
 * `{ params, facts } -> { changes, commands }` and the engine decides how to batch.
 *
 * Types are inferred from the definition, as citty's `defineCommand` infers its args: the
 * params from the TypeBox schema (or `prepare`'s return), the facts' values from what `facts`
 * returns (a request that may be `undefined` gives a value that may be), and `apply`'s
 * `plan.data` from the `data` that `plan` returns, so module code needs no casts. When `plan`
 * returns data of several shapes, declare the type once: `plan: (input): Plan<MyData> => …`.
 *
 * @throws TypeError when `name` is not lower-case words separated by dots.
 * @example
 * export const motd = defineModule({
 *   name: 'motd', description: 'Write /etc/motd.',
 *   params: Type.Object({ text: Type.String() }),
 *   facts: () => ({ motd: fileState({ path: '/etc/motd', content: true }) }),
 *   plan: ({ params, facts }) => (facts.motd.target?.content === params.text ? { changes: [], reason: '/etc/motd is up to date' }
 *     : { changes: [{ path: 'text', before: facts.motd.target?.content ?? null, after: params.text }], data: { create: !facts.motd.target } }),
 *   apply: ({ params, plan }) => [{ script: plan.data.create ? sh`umask 022; cat > /etc/motd` : sh`cat > /etc/motd`, stdin: params.text }],
 * })
 */
export function defineModule<S extends TSchema, F extends FactRequests<F> = Record<string, never>, D = unknown, R = Static<S>>(
  definition: ModuleDefinition<S, F, D, R>,
): Module<S, F, D, R> {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/.test(definition.name)) {
    throw new TypeError(`module name ${JSON.stringify(definition.name)} must be lower-case words separated by dots`);
  }
  const facts = definition.facts;
  // A request left undefined is not probed: the engine sees only the ones given.
  const def: ModuleDefinition<S, F, D, R> = facts ? { ...definition, facts: (params, host) => definedRequests(facts(params, host)) } : definition;
  const fn = ((params: ParamsInput<Static<S>>, options: TaskOptions = {}): Task<Static<S>> => {
    const site = callSite(new Error().stack);
    // The engine sees every module through one erased type (its plan and apply take any facts and data).
    return { kind: 'task', module: def as unknown as Task['module'], params, options, ...(site ? { site } : {}) };
  }) as Module<S, F, D, R>;
  Object.defineProperty(fn, 'definition', { value: def, enumerable: true });
  return fn;
}

function definedRequests<F extends FactRequests<F>>(requests: F): F {
  if (Object.values(requests).every((r) => r !== undefined)) return requests;
  return Object.fromEntries(Object.entries(requests).filter(([, r]) => r !== undefined)) as F;
}

/** The file, line and column of the frame that called a module (the third line of a V8 stack). */
export function callSite(stack: string | undefined): SourceLocation | undefined {
  return frameLocation(stack?.split('\n')[2]);
}

/** The first frame of a V8 stack, after the function that made it and its caller's own frame, whose file is not under `dir`. */
export function callerOutside(stack: string | undefined, dir: string | undefined): SourceLocation | undefined {
  const frames = (stack?.split('\n') ?? []).slice(2).map(frameLocation);
  const inside = (f: SourceLocation) => dir !== undefined && (f.file === dir || f.file.startsWith(`${dir.replace(/\/+$/, '')}/`));
  return frames.find((f): f is SourceLocation => f !== undefined && !inside(f));
}

function frameLocation(line: string | undefined): SourceLocation | undefined {
  const m = line && /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
  if (!m || !m[1] || m[1].startsWith('node:')) return undefined;
  return { file: m[1].replace(/^file:\/\//, ''), line: Number(m[2]), column: Number(m[3]) };
}
