import { raw, sh } from '@converge/core';
import type { RawShell } from '@converge/core';
import type { RepositoryPaths } from './location.js';

/**
 * A subshell that runs restic for one repository: its env file (`RESTIC_REPOSITORY`,
 * `RESTIC_PASSWORD_FILE`, S3 keys) is sourced with `set -a`, so no secret is ever on a command
 * line. Source: restic manual, "Environment Variables".
 *
 * @param args - restic's arguments, already quoted (built with `sh`).
 */
export function resticIn(repo: RepositoryPaths, args: RawShell): RawShell {
  return sh`(set -a && . ${repo.env} && set +a && exec restic ${args})`;
}

/**
 * A subshell that runs restic with `to` as the repository and `from` as the source repository
 * (`RESTIC_FROM_REPOSITORY`, `RESTIC_FROM_PASSWORD_FILE`): `restic copy` and
 * `restic init --copy-chunker-params` of restic >= 0.14 (0.13 called these `--repo2`).
 * Variables of `to` win where both set one (S3 keys: restic reads one set for both ends).
 */
export function resticFromTo(from: RepositoryPaths, to: RepositoryPaths, args: RawShell): RawShell {
  return sh`(set -a && . ${from.env} && RESTIC_FROM_REPOSITORY=$RESTIC_REPOSITORY && RESTIC_FROM_PASSWORD_FILE=$RESTIC_PASSWORD_FILE && . ${to.env} && set +a && exec restic ${args})`;
}

/** `2>&1` capture of a restic call with its exit status, as `rc=N` on the first line. */
export function captured(cmd: RawShell): RawShell {
  return sh`out=$( ${cmd} 2>&1); rc=$?; printf 'rc=%s\\n%s\\n' "$rc" "$out"`;
}

/** The probe prefix that reports a host without restic (`command -v restic` fails) as `rc=127`. */
export const NEED_RESTIC: RawShell = raw(`if ! command -v restic >/dev/null 2>&1; then echo 'rc=127'; echo 'restic: not installed'; exit 0; fi`);

/** Splits `rc=N\n<output>` as printed by {@link captured}. */
export function splitCaptured(stdout: string): { rc: number; out: string } {
  const m = /^rc=(\d+)\n?([\s\S]*)$/.exec(stdout.replace(/^\s+/, ''));
  if (!m) return { rc: -1, out: stdout };
  return { rc: Number(m[1]), out: (m[2] ?? '').trimEnd() };
}
