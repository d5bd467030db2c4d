import { Type, defineModule, sh } from '@converge/core';
import type { ExecResult, Static } from '@converge/core';
import { ANY_EXIT_CODE } from '../command/command.js';
import { compilePythonRegex } from '../file/python-regex.js';
import { WAIT_TIMED_OUT, waitCondition, waitScript, type WaitCondition } from './wait-condition.js';

/** Params of {@link waitFor} (Ansible's `ansible.builtin.wait_for`). */
export const WaitForParams = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'A TCP port to wait for (open with `started`, closed with `stopped`).' })),
    host: Type.Optional(Type.String({ minLength: 1, description: 'The address (as the host resolves it) of `port`, tried from the host; default 127.0.0.1.' })),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'A file to wait for (symlinks followed), or whose text `search_regex` must match.' })),
    search_regex: Type.Optional(Type.String({ minLength: 1, description: 'A Python/PCRE regular expression searched in the whole text of `path` with `^`/`$` at each line (Ansible\'s `re.MULTILINE`).' })),
    state: Type.Optional(
      Type.Union([Type.Literal('started'), Type.Literal('present'), Type.Literal('stopped'), Type.Literal('absent')], {
        default: 'started',
        description: '`started`/`present`: the port open, the file there (and matching); `stopped`/`absent`: the port closed, the file gone.',
      }),
    ),
    timeout: Type.Optional(Type.Integer({ minimum: 0, default: 300, description: 'Seconds to wait at most, from the start (delay included); then the task fails. Without port or path: seconds to sleep.' })),
    delay: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Seconds to wait before the first test.' })),
    sleep: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Seconds between tests.' })),
    connect_timeout: Type.Optional(Type.Integer({ minimum: 1, default: 5, description: 'Seconds one connection attempt to `port` may take.' })),
    msg: Type.Optional(Type.String({ description: 'The message when the time runs out, instead of Ansible\'s.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof WaitForParams>;

/** The condition of the params, or none for a plain sleep. */
export function conditionOf(p: P): WaitCondition | undefined {
  const state = p.state ?? 'started';
  const wanted = state === 'started' || state === 'present';
  if (p.port !== undefined) return { kind: 'port', host: p.host ?? '127.0.0.1', port: p.port, open: wanted, connectTimeout: p.connect_timeout ?? 5 };
  if (p.path !== undefined && p.search_regex !== undefined) return { kind: 'regex', path: p.path, regex: p.search_regex };
  if (p.path !== undefined) return { kind: 'path', path: p.path, exists: wanted };
  return undefined;
}

/** What is waited for, in words ("127.0.0.1:8080 to be open"). */
function described(c: WaitCondition): { target: string; wanted: string; now: string } {
  if (c.kind === 'port') return { target: `${c.host}:${c.port}`, wanted: c.open ? 'open' : 'closed', now: c.open ? 'closed' : 'open' };
  if (c.kind === 'path') return { target: c.path, wanted: c.exists ? 'present' : 'absent', now: c.exists ? 'absent' : 'present' };
  return { target: `${c.path}`, wanted: `matching ${JSON.stringify(c.regex)}`, now: 'not matching' };
}

/** Ansible's message when the time runs out. Source: ansible-core 2.14 `modules/wait_for.py`. */
export function timeoutMessage(c: WaitCondition): string {
  if (c.kind === 'port') return c.open ? `Timeout when waiting for ${c.host}:${c.port}` : `Timeout when waiting for ${c.host}:${c.port} to stop.`;
  if (c.kind === 'path') return c.exists ? `Timeout when waiting for file ${c.path}` : `Timeout when waiting for ${c.path} to be absent.`;
  return `Timeout when waiting for search string ${c.regex} in ${c.path}`;
}


/**
 * Waits on the host for a port to open or close, a file to appear or go, a regular expression to
 * match in a file, or a set time (Ansible's `ansible.builtin.wait_for`). The condition is tested
 * once in the host's probe: when it holds already the task is ok with no round trip of its own.
 * Otherwise the run waits on the host, testing every `sleep` seconds, and the task is ok (not
 * changed: waiting changes nothing) once it holds, or fails after `timeout` seconds with
 * Ansible's message (or `msg`); the result has `elapsed` (seconds). Check mode does not wait: a
 * condition that does not hold yet is skipped with what the run will wait for (known after it
 * runs). `drained`, `exclude_hosts`, `active_connection_states` and `search_regex` on a port are
 * not offered.
 *
 * @example
 * waitFor({ port: 8080, timeout: 60 })
 * waitFor({ path: '/var/log/app.log', search_regex: 'started in \\d+ ms' })
 */
export const waitFor = defineModule({
  name: 'wait_for',
  description: 'Wait for a port, a file or a text in a file, or a set time.',
  params: WaitForParams,
  validate: (p) => {
    const state = p.state ?? 'started';
    if (p.port !== undefined && p.path !== undefined) return 'port and path cannot both be given';
    if (p.host !== undefined && p.port === undefined) return 'host needs a port';
    if (p.search_regex !== undefined && p.path === undefined) return 'search_regex needs a path (reading a port\'s banner is not offered)';
    if (p.search_regex !== undefined && state !== 'started' && state !== 'present') return `search_regex waits for the text to appear: state must be started or present, not ${state}`;
    if (p.path !== undefined && state === 'stopped') return 'state stopped is for a port; use absent for a path';
    if (p.search_regex !== undefined) {
      const re = compilePythonRegex(p.search_regex, { wholeText: true });
      if ('error' in re) return `search_regex: ${re.error}`;
    }
    return undefined;
  },
  facts: (p) => {
    const c = conditionOf(p);
    return { now: c ? waitCondition(c) : undefined };
  },
  plan: ({ params: p, facts, host, upstreamChanged }) => {
    const c = conditionOf(p);
    const delay = p.delay ?? 0;
    const timeout = p.timeout ?? 300;
    if (!c) {
      if (host.check) return { changes: [], verdict: 'skipped', reason: `check mode: the run sleeps ${timeout} s here` };
      return { changes: [{ path: 'sleep', before: null, after: `${timeout} s` }] };
    }
    const d = described(c);
    const holds = facts.now?.holds === true;
    if (holds && delay === 0) return { changes: [], reason: `${d.target} is ${d.wanted}${upstreamChanged ? ' (before earlier tasks change the host; the run tests it again after them)' : ''}`, result: { elapsed: 0 } };
    if (host.check) {
      const first = delay > 0 ? ` after ${delay} s` : '';
      return { changes: [], verdict: 'skipped', reason: `check mode: ${d.target} is ${holds ? d.wanted : d.now} now; the run waits${first} up to ${timeout} s for it to be ${d.wanted} (known after it runs)` };
    }
    return { changes: [{ path: d.target, before: holds ? d.wanted : d.now, after: d.wanted }] };
  },
  apply: ({ params: p }) => [
    {
      script: sh`${waitScript(conditionOf(p), { timeout: p.timeout ?? 300, delay: p.delay ?? 0, sleep: p.sleep ?? 1 })}`,
      description: 'wait',
      okExitCodes: [...ANY_EXIT_CODE],
    },
  ],
  outcome: (out: ExecResult, { params: p }) => {
    const elapsed = Number(/elapsed=(\d+)/.exec(out.stdout)?.[1] ?? 0);
    const c = conditionOf(p);
    if (out.exitCode === 0) return { changed: false, result: { elapsed }, message: c ? `${described(c).target} is ${described(c).wanted} after ${elapsed} s` : `slept ${elapsed} s` };
    if (out.exitCode === WAIT_TIMED_OUT && c) return { changed: false, failed: true, result: { elapsed }, message: p.msg ?? timeoutMessage(c) };
    return { changed: false, failed: true, result: { elapsed }, message: `the host cannot test the condition (exit ${out.exitCode})${out.stderr.trim() ? `: ${out.stderr.trim()}` : ''}` };
  },
  resources: () => [],
  verify: false,
});
