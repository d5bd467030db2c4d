import { OrSecret, Type, defineModule, isSecret, quote, raw, secret, sh, shlexSplit } from '@converge/core';
import type { ApplyOutcome, Command, ExecResult, FactRequest, FactValues, Plan, RawShell, Secret, Static } from '@converge/core';
import { commandPathExists, type PathExists } from './path-exists.js';

/** Params shared by `command` and `shell` (Ansible's `ansible.builtin.command` / `shell`). */
const common = {
  chdir: Type.Optional(Type.String({ minLength: 1, description: 'Change into this directory before running (relative `creates`/`removes` resolve against it).' })),
  creates: Type.Optional(Type.String({ minLength: 1, description: 'A path or glob; when it exists the command is not run.' })),
  removes: Type.Optional(Type.String({ minLength: 1, description: 'A path or glob; when it does not exist the command is not run.' })),
  stdin: Type.Optional(OrSecret(Type.String({ description: 'Text given on the command\'s stdin (a Secret is never shown).' }))),
  stdin_add_newline: Type.Optional(Type.Boolean({ default: true, description: 'Append a newline to `stdin`, as Ansible does.' })),
  strip_empty_ends: Type.Optional(Type.Boolean({ default: true, description: 'Strip trailing newlines from stdout and stderr in the result.' })),
  env: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
      description: 'Extra environment variables. Visible in the host\'s process list: do not put secrets here, use `stdin`.',
    }),
  ),
  resources: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Resource keys (paths, `unit:NAME`, ...) the command may change, so that only facts reading them are re-probed. Default `["*"]`: anything.',
    }),
  ),
};

/** JSON Schema of the `command` module's params. */
export const CommandParams = Type.Object(
  {
    cmd: Type.Optional(Type.String({ minLength: 1, description: 'Command line, split into argv like Ansible (Python `shlex.split`); no shell is involved.' })),
    argv: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'The argv, as a list: each item is one argument, passed as is.' })),
    ...common,
  },
  { additionalProperties: false },
);

/** JSON Schema of the `shell` module's params. */
export const ShellParams = Type.Object(
  {
    cmd: Type.String({ minLength: 1, description: 'Shell text, run with `executable -c cmd`: pipes, redirections and variables work.' }),
    executable: Type.Optional(Type.String({ default: '/bin/sh', minLength: 1, description: 'The shell that runs `cmd`.' })),
    ...common,
  },
  { additionalProperties: false },
);

/** Params of `command`. */
export type CommandParams = Static<typeof CommandParams>;
/** Params of `shell`. */
export type ShellParams = Static<typeof ShellParams>;

type CommonParams = Pick<CommandParams, 'chdir' | 'creates' | 'removes' | 'stdin' | 'stdin_add_newline' | 'strip_empty_ends' | 'env' | 'resources'>;

interface RunFacts {
  creates?: FactRequest<PathExists>;
  removes?: FactRequest<PathExists>;
}

function runFacts(p: CommonParams): RunFacts {
  const chdir = p.chdir !== undefined ? { chdir: p.chdir } : {};
  const f: RunFacts = {};
  if (p.creates !== undefined) f.creates = commandPathExists({ path: p.creates, ...chdir });
  if (p.removes !== undefined) f.removes = commandPathExists({ path: p.removes, ...chdir });
  return f;
}

/** The run-or-skip decision both modules share: `creates` exists / `removes` missing -> skip. */
function planRun(p: CommonParams, f: FactValues<RunFacts>, shown: string): Plan {
  if (p.creates !== undefined && f.creates?.exists) return { changes: [], reason: `creates: ${f.creates.match ?? p.creates} exists` };
  if (p.removes !== undefined && f.removes && !f.removes.exists) return { changes: [], reason: `removes: ${p.removes} does not exist` };
  return { changes: [{ path: 'command', before: null, after: shown }] };
}

/** Every exit code (`Command.okExitCodes`): the step never fails by itself, the module's `outcome` decides from the status. */
export const ANY_EXIT_CODE: readonly number[] = Array.from({ length: 256 }, (_, i) => i);

function runStep(p: CommonParams, program: RawShell, shown: string): Command[] {
  const cd = p.chdir !== undefined ? sh`cd -- ${p.chdir} && ` : raw('');
  const env = p.env && Object.keys(p.env).length > 0 ? sh`env -- ${Object.entries(p.env).map(([k, v]) => `${k}=${v}`)} ` : raw('command -- ');
  const step: Command = { script: sh`${cd}${env}${program}`, description: `run ${shown}`, okExitCodes: [...ANY_EXIT_CODE] };
  const stdin = stdinOf(p);
  if (stdin !== undefined) step.stdin = stdin;
  return [step];
}

function stdinOf(p: CommonParams): string | Secret | undefined {
  if (p.stdin === undefined) return undefined;
  const nl = p.stdin_add_newline !== false ? '\n' : '';
  return isSecret(p.stdin) ? secret(p.stdin.reveal() + nl) : p.stdin + nl;
}

function runOutcome(p: CommonParams, out: ExecResult, shown: string): ApplyOutcome {
  const strip = (s: string): string => (p.strip_empty_ends !== false ? s.replace(/[\r\n]+$/, '') : s);
  const rc = out.exitCode;
  const result = { rc, stdout: strip(out.stdout), stderr: strip(out.stderr), cmd: shown };
  return rc === 0 ? { result, changed: true, failed: false } : { result, changed: true, failed: true, message: `non-zero return code ${rc}` };
}

function argvOf(p: CommandParams): string[] {
  if (p.argv) return p.argv;
  return shlexSplit(p.cmd ?? '');
}

function shownCommand(p: CommandParams): string {
  return p.cmd ?? (p.argv ?? []).map((a) => quote(a)).join(' ');
}

/**
 * Module `command`: runs a program with arguments, without a shell (as Ansible's
 * `ansible.builtin.command`). `cmd` is split like Python's `shlex.split`; `argv` passes a list
 * as is. Shell operators (`|`, `>`, `$VAR`, `&&`) are plain arguments here: use {@link shell}
 * for them.
 *
 * Idempotence comes from `creates` (skip when the path exists) and `removes` (skip when it does
 * not); otherwise the task always runs and always reports changed (`verify: false`). Check mode
 * predicts that it would run. The result holds `rc`, `stdout`, `stderr` (trailing newlines
 * stripped, as Ansible) and the task fails when `rc` is not 0 (override with `failedWhen`).
 *
 * @example command({ cmd: 'make install', chdir: '/opt/app', creates: '/usr/local/bin/app' })
 */
export const command = defineModule({
  name: 'command',
  description: 'Run a program with arguments (no shell), unless creates/removes say it already ran.',
  params: CommandParams,
  validate: (p) => {
    if ((p.cmd === undefined) === (p.argv === undefined)) return 'give exactly one of cmd and argv';
    if (p.cmd !== undefined) {
      try {
        if (shlexSplit(p.cmd).length === 0) return 'cmd has no words';
      } catch (e) {
        return `cmd cannot be split into arguments: ${(e as Error).message}`;
      }
    }
    return undefined;
  },
  facts: (p) => runFacts(p),
  plan: ({ params, facts }) => planRun(params, facts, shownCommand(params)),
  apply: ({ params }) => runStep(params, sh`${argvOf(params)}`, shownCommand(params)),
  outcome: (out, { params }) => runOutcome(params, out, shownCommand(params)),
  resources: (p) => p.resources ?? ['*'],
  verify: false,
});

/**
 * Module `shell`: runs shell text with `executable -c cmd` (default `/bin/sh`, as Ansible's
 * `ansible.builtin.shell`), so pipes, redirections, globs and variables work. The text is
 * passed as one quoted argument, never spliced into converge's own script.
 *
 * Same `creates`/`removes`, result, failure and check-mode rules as {@link command}.
 *
 * @example shell({ cmd: 'journalctl -u app | tail -n 50 > /tmp/app.log', creates: '/tmp/app.log' })
 */
export const shell = defineModule({
  name: 'shell',
  description: 'Run shell text with /bin/sh -c, unless creates/removes say it already ran.',
  params: ShellParams,
  facts: (p) => runFacts(p),
  plan: ({ params, facts }) => planRun(params, facts, params.cmd),
  apply: ({ params }) => runStep(params, sh`${params.executable ?? '/bin/sh'} -c ${params.cmd}`, params.cmd),
  outcome: (out, { params }) => runOutcome(params, out, params.cmd),
  resources: (p) => p.resources ?? ['*'],
  verify: false,
});
