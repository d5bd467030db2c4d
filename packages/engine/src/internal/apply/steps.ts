import { randomBytes } from 'node:crypto';
import type { Command } from '@converge/core';
import { ConvergeError, isControllerFile, isSecret } from '@converge/core';
import { quote } from '@converge/core';
import type { ExecResult } from '@converge/core';

/** What one step of an apply printed and returned. */
export interface StepResult extends ExecResult {
  index: number;
  description: string | undefined;
}

/**
 * Joins a task's steps into ONE shell script: each step runs in order in its own subshell, with
 * its stdin inlined as a base64 here-document (so secrets and file contents never appear on a
 * command line); the first step whose exit status is not accepted stops the script. A step that
 * reads a controller file reads the host's copy of it (`uploads`, see `uploadControllerFiles`),
 * which it then removes.
 *
 * @throws ConvergeError `CONVERGE_INTERNAL` for a controller file that was not sent.
 */
export function stepsScript(steps: readonly Command[], nonce: string, uploads: ReadonlyMap<Command, string> = new Map()): string {
  return steps
    .map((s, i) => {
      const ok = s.okExitCodes ?? [0];
      const test = ok.map((c) => `[ "$__rc" -eq ${c} ]`).join(' || ');
      const marker = `printf '\\036${nonce}S%d:%d\\036\\n' ${i} "$__rc"; printf '\\036${nonce}S%d\\036\\n' ${i} >&2`;
      let run: string;
      if (isControllerFile(s.stdin)) {
        const path = uploads.get(s);
        if (path === undefined) throw new ConvergeError('CONVERGE_INTERNAL', `${s.stdin.controllerFile} was not sent to the host before its step`);
        run = `( eval ${quote(String(s.script))} ) < ${quote(path)}\n__rc=$?; rm -f -- ${quote(path)}; ( exit "$__rc" )`;
      } else if (s.stdin !== undefined) {
        const bytes = isSecret(s.stdin) ? s.stdin.reveal() : s.stdin;
        const b64 = Buffer.from(bytes).toString('base64').replace(/.{1,76}/g, '$&\n');
        const eof = `CONVERGE_STDIN_${nonce}_${i}`;
        run = `base64 -d <<'${eof}' | ( eval ${quote(String(s.script))} )\n${b64}${eof}`;
      } else {
        run = `( eval ${quote(String(s.script))} ) </dev/null`;
      }
      return `${run}\n__rc=$?; ${marker}; { ${test}; } || exit "$__rc"`;
    })
    .join('\n');
}

/** Splits a joined script's output into per-step results. */
export function parseStepsOutput(steps: readonly Command[], nonce: string, r: ExecResult): StepResult[] {
  const outRe = new RegExp(`\\x1e${nonce}S(\\d+):(\\d+)\\x1e\\n`, 'g');
  const errRe = new RegExp(`\\x1e${nonce}S(\\d+)\\x1e\\n`, 'g');
  const results: StepResult[] = [];
  let lastOut = 0;
  const errParts: string[] = [];
  let lastErr = 0;
  for (const m of r.stderr.matchAll(errRe)) {
    errParts[Number(m[1])] = r.stderr.slice(lastErr, m.index);
    lastErr = (m.index ?? 0) + m[0].length;
  }
  for (const m of r.stdout.matchAll(outRe)) {
    const i = Number(m[1]);
    results.push({
      index: i,
      description: steps[i]?.description,
      stdout: r.stdout.slice(lastOut, m.index),
      stderr: errParts[i] ?? '',
      exitCode: Number(m[2]),
      durationMs: 0,
    });
    lastOut = (m.index ?? 0) + m[0].length;
  }
  // A step that killed the subshell outright (or a script cut short) leaves no marker.
  if (results.length < steps.length && (results.length === 0 || isOk(steps[results.length - 1], results.at(-1)))) {
    results.push({
      index: results.length,
      description: steps[results.length]?.description,
      stdout: r.stdout.slice(lastOut),
      stderr: r.stderr.slice(lastErr),
      exitCode: r.exitCode === 0 ? 1 : r.exitCode,
      durationMs: 0,
    });
  }
  return results;
}

function isOk(step: Command | undefined, r: StepResult | undefined): boolean {
  if (!step || !r) return false;
  return (step.okExitCodes ?? [0]).includes(r.exitCode);
}

/** A fresh nonce for {@link stepsScript}. */
export function newNonce(): string {
  return randomBytes(6).toString('hex');
}
