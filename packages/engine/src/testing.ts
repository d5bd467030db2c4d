/**
 * Fixtures for tests that run playbooks through the engine on this controller: inventory hosts
 * that are each a real {@link LocalTransport} (a framed /bin/sh on this machine), a run helper
 * that records events and the scripts each host's connection ran, and small modules over plain
 * files. Builtin modules have their own tests on containers; these exercise the engine alone.
 *
 * @example
 * const { report, events } = await runLocal(play([textFile({ path: '/tmp/x', content: 'x' })]), { dir });
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvergeError, defineFact, defineModule, definePlaybook, LocalTransport, OrSecret, reveal, sh, Type } from '@converge/core';
import type { ExecOptions, ExecResult, Play, RawShell, TaskListItem, Transport } from '@converge/core';
import { parseIniInventory, type Inventory } from '@converge/inventory';
import { runPlaybook, type RunEvent, type RunOptions, type RunReport } from './index.js';

/** A file's text, or null when it is not a file. */
export const fileText = defineFact<{ path: string }, string | null>({
  name: 'test.file_text',
  command: ({ path }) => sh`if [ -f ${path} ]; then cat -- ${path}; else exit 3; fi`,
  parse: (out, { exitCode }) => (exitCode === 3 ? null : out),
  resources: ({ path }) => [path],
});

/** Writes a whole file (the content may be a Secret), with a diff. */
export const textFile = defineModule({
  name: 'test.text_file',
  description: 'Write a whole file.',
  params: Type.Object({ path: Type.String(), content: OrSecret(Type.String()) }),
  facts: (p) => ({ text: fileText({ path: p.path }) }),
  plan: ({ params, facts }) => {
    const want = String(reveal(params.content));
    return facts.text === want
      ? { changes: [], reason: 'content matches' }
      : { changes: [{ path: 'content', before: facts.text, after: want }], diffs: [{ path: params.path, before: facts.text ?? '', after: want }] };
  },
  apply: ({ params }) => [{ script: sh`cat > ${params.path}`, stdin: params.content }],
  resources: (p) => [p.path],
});

/** Writes a file rendered from a template text, as the template module does in `prepare`. */
export const rendered = defineModule({
  name: 'test.rendered',
  description: 'Write a file rendered from a template text, as the template module does.',
  params: Type.Object({ path: Type.String(), source: Type.String(), content: Type.Optional(Type.String()) }),
  prepare: (p, ctx) => ({ ...p, content: ctx.renderTemplate(p.source, 'inline.j2') }),
  facts: (p) => ({ text: fileText({ path: p.path }) }),
  plan: ({ params, facts }) =>
    facts.text === params.content ? { changes: [] } : { changes: [{ path: 'content', before: facts.text, after: params.content }], diffs: [{ path: params.path, before: facts.text ?? '', after: params.content ?? '' }] },
  apply: ({ params }) => [{ script: sh`cat > ${params.path}`, stdin: params.content ?? '' }],
  resources: (p) => [p.path],
});

/** Ensures a line at the end of a file another task may write: needs fresh facts after that task. */
export const appendLine = defineModule({
  name: 'test.append_line',
  description: 'Ensure a line at the end of a file.',
  params: Type.Object({ path: Type.String(), line: Type.String() }),
  facts: (p) => ({ text: fileText({ path: p.path }) }),
  plan: ({ params, facts }) =>
    (facts.text ?? '').split('\n').includes(params.line) ? { changes: [], reason: 'line present' } : { changes: [{ path: 'line', before: null, after: params.line }] },
  apply: ({ params }) => [{ script: sh`printf '%s\n' ${params.line} >> ${params.path}` }],
  resources: (p) => [p.path],
});

/** An action (like a restart): appends a line to a log file every time it runs, then sleeps `sleep` seconds when given. */
export const logRun = defineModule({
  name: 'test.log_run',
  description: 'Append a line to a log file every time (an action, like a restart).',
  params: Type.Object({ path: Type.String(), line: Type.String(), sleep: Type.Optional(Type.Number()) }),
  plan: ({ params }) => ({ changes: [{ path: 'run', before: null, after: params.line }] }),
  apply: ({ params }) => [{ script: params.sleep === undefined ? sh`printf '%s\n' ${params.line} >> ${params.path}` : sh`printf '%s\n' ${params.line} >> ${params.path}; sleep ${String(params.sleep)}` }],
  resources: (p) => [p.path],
  verify: false,
});

/** Fails when applied: its step prints the message on stderr and exits 7. */
export const failing = defineModule({
  name: 'test.fail',
  description: 'Fails when applied.',
  params: Type.Object({ message: Type.String() }),
  plan: () => ({ changes: [{ path: 'x', before: 1, after: 2 }] }),
  apply: ({ params }) => [{ script: sh`echo ${params.message} >&2; exit 7`, description: 'fail on purpose' }],
  verify: false,
});

/** A command like the builtin one: runs unless `creates` exists; rc, stdout and stderr are its result; any exit code but 0 fails it. */
export const command = defineModule({
  name: 'test.command',
  description: 'Run a shell command.',
  params: Type.Object({ cmd: Type.String(), creates: Type.Optional(Type.String()) }),
  facts: (p) => ({ made: fileText({ path: p.creates ?? '/nonexistent/converge-test' }) }),
  plan: ({ params, facts }) => (params.creates && facts.made !== null ? { changes: [], reason: `${params.creates} exists` } : { changes: [{ path: 'run', before: null, after: params.cmd }] }),
  apply: ({ params }) => [{ script: params.cmd, okExitCodes: Array.from({ length: 256 }, (_, i) => i) }],
  outcome: (out) => ({ result: { rc: out.exitCode, stdout: out.stdout, stderr: out.stderr }, failed: out.exitCode !== 0 }),
  resources: () => [],
  verify: false,
});

/** A LocalTransport that records the scripts each host's connection ran (all local hosts share one file system), and can refuse to connect. */
export class RecordingTransport implements Transport {
  readonly #inner: LocalTransport;
  readonly #log: { host: string; script: string }[];
  readonly #down: boolean;

  constructor(host: string, log: { host: string; script: string }[], down = false) {
    this.#inner = new LocalTransport(host);
    this.#log = log;
    this.#down = down;
  }
  get host(): string {
    return this.#inner.host;
  }
  get loginUser(): string {
    return this.#inner.loginUser;
  }
  get stats(): Transport['stats'] {
    return this.#inner.stats;
  }
  async connect(): Promise<void> {
    if (this.#down) throw new ConvergeError('CONVERGE_CONNECT', `${this.host}: connection refused`);
    await this.#inner.connect();
  }
  exec(command: string | RawShell, options?: ExecOptions): Promise<ExecResult> {
    this.#log.push({ host: this.host, script: String(command) });
    return this.#inner.exec(command, options);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** An inventory of local hosts (`ansible_connection=local`). */
export function localInventory(hosts: readonly string[] = ['local1']): Inventory {
  return parseIniInventory(hosts.map((h) => `${h} ansible_connection=local`).join('\n'), 'test.ini');
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'converge-engine-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A play of these tasks on every host (`name: 'p'`), with more play options. */
export function play(tasks: TaskListItem[], extra: Partial<Play> = {}): Play {
  return { name: 'p', hosts: 'all', tasks, ...extra };
}

/** Options of {@link runLocal}: the run's own, and the directory of the playbook, the local hosts and those that refuse to connect. */
export type LocalRunOptions = Partial<RunOptions> & {
  /** The playbook's directory (relative paths and remembered handlers). */
  dir: string;
  /** Inventory hosts, each a local shell; default `['local1']`. */
  hosts?: readonly string[];
  /** Hosts whose connection is refused. */
  down?: readonly string[];
};

/** What {@link runLocal} gives: the report, the events, how many connections were made and the scripts each ran. */
export interface LocalRun {
  report: RunReport;
  events: RunEvent[];
  connects: number;
  scripts: { host: string; script: string }[];
}

/** Runs plays on local hosts through the real engine and transport, recording what happened. */
export async function runLocal(plays: Play | Play[], options: LocalRunOptions): Promise<LocalRun> {
  const events: RunEvent[] = [];
  const scripts: { host: string; script: string }[] = [];
  let connects = 0;
  const { dir, hosts = ['local1'], down = [], ...rest } = options;
  const report = await runPlaybook({
    playbook: definePlaybook(plays),
    playbookPath: join(dir, 'playbook.ts'),
    inventory: localInventory(hosts),
    transport: (spec) => {
      connects += 1;
      return new RecordingTransport(spec.host, scripts, down.includes(spec.host));
    },
    onEvent: (e) => events.push(e),
    ...rest,
  });
  return { report, events, connects, scripts };
}

/** Each row of a report as `status task`. */
export function statusLines(report: RunReport): string[] {
  return report.tasks.map((t) => `${t.status} ${t.task}`);
}
