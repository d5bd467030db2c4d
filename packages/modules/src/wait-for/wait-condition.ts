import { ConvergeError, defineFact, raw, sh } from '@converge/core';
import type { RawShell } from '@converge/core';

/** What `waitFor` waits for, as its probe and its waiting loop test it. */
export type WaitCondition =
  | { kind: 'port'; host: string; port: number; open: boolean; connectTimeout: number }
  | { kind: 'path'; path: string; exists: boolean }
  | { kind: 'regex'; path: string; regex: string };

/**
 * Shell that defines `cv_wait_for_check`, which returns 0 when the condition holds, 1 when it
 * does not, and 2 when the host cannot tell (the message on stderr). A port is tried with a TCP
 * connection, as Ansible's `wait_for` does (bash's `/dev/tcp`, else `nc -z`), bounded by
 * `timeout(1)`; a regex is searched in the whole file with PCRE and `(?m)` (`grep -Pz`), as
 * Python's `re.search(regex, text, re.MULTILINE)` in Ansible's module.
 */
export function conditionFunction(c: WaitCondition): RawShell {
  let body: RawShell;
  if (c.kind === 'port') {
    const test = sh`if command -v bash >/dev/null 2>&1; then timeout ${String(c.connectTimeout)} bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${c.host} ${String(c.port)} 2>/dev/null; elif command -v nc >/dev/null 2>&1; then timeout ${String(c.connectTimeout)} nc -z -w ${String(c.connectTimeout)} ${c.host} ${String(c.port)} >/dev/null 2>&1; else echo 'waiting for a port needs bash or nc on the host' >&2; return 2; fi`;
    body = c.open ? sh`${test} && return 0; return 1` : sh`${test} && return 1; return 0`;
  } else if (c.kind === 'path') {
    body = c.exists ? sh`[ -e ${c.path} ] && return 0; return 1` : sh`[ -e ${c.path} ] && return 1; return 0`;
  } else {
    body = sh`[ -e ${c.path} ] || return 1; grep -Pzq -e ${`(?m)${c.regex}`} -- ${c.path}; cv_r=$?; [ "$cv_r" -le 1 ] && return "$cv_r"; return 2`;
  }
  return sh`cv_wait_for_check() { ${body}; }`;
}

/** What `waitFor`'s probe saw: whether the condition holds right now. */
export interface ConditionNow {
  holds: boolean;
}

/**
 * Fact `wait_for.condition`: whether a `waitFor` condition holds right now (one test, no
 * waiting), so that a condition already met costs no round trip of its own. A port reads
 * everything (any earlier change may open or close it); a path reads that path.
 *
 * @example waitCondition({ kind: 'port', host: '127.0.0.1', port: 22, open: true, connectTimeout: 5 })
 */
export const waitCondition = defineFact<WaitCondition, ConditionNow>({
  name: 'wait_for.condition',
  description: 'Whether a wait_for condition holds now.',
  command: (c) => sh`${conditionFunction(c)}; cv_wait_for_check; case $? in 0) echo yes ;; 1) echo no ;; *) exit 2 ;; esac`,
  parse: (stdout, { exitCode, stderr }) => {
    const line = stdout.trim();
    if (exitCode === 0 && (line === 'yes' || line === 'no')) return { holds: line === 'yes' };
    throw new ConvergeError('CONVERGE_FACT', `wait_for.condition: the host cannot tell (exit ${exitCode})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  },
  resources: (c) => (c.kind === 'port' ? ['*'] : [c.path]),
});

/** Exit status of {@link waitScript} when the time ran out (as timeout(1)). */
export const WAIT_TIMED_OUT = 124;

/**
 * The waiting loop: after `delay` seconds, tests the condition every `sleep` seconds until it
 * holds (exit 0) or `timeout` seconds have passed since the start (exit {@link WAIT_TIMED_OUT});
 * exit 2 when the host cannot tell. Prints `elapsed=SECONDS` last. Without a condition it
 * sleeps `timeout` seconds. Every test is bounded (a connection by `connect_timeout`), so the
 * loop ends within timeout + connect_timeout + sleep.
 */
export function waitScript(c: WaitCondition | undefined, t: { timeout: number; delay: number; sleep: number }): RawShell {
  const delay = t.delay > 0 ? sh`sleep ${String(t.delay)}; ` : raw('');
  const elapsed = raw('echo "elapsed=$(( $(date +%s) - cv_start ))"');
  if (!c) return sh`cv_start=$(date +%s); ${delay}sleep ${String(t.timeout)}; ${elapsed}`;
  return sh`${conditionFunction(c)}
cv_start=$(date +%s); ${delay}while :; do
  cv_wait_for_check; cv_r=$?
  if [ "$cv_r" -eq 0 ]; then ${elapsed}; exit 0; fi
  if [ "$cv_r" -ne 1 ]; then exit 2; fi
  if [ $(( $(date +%s) - cv_start )) -ge ${String(t.timeout)} ]; then ${elapsed}; exit ${String(WAIT_TIMED_OUT)}; fi
  sleep ${String(t.sleep)}
done`;
}
