import type { ApplyOutcome, ExecResult } from '@converge/core';

/**
 * The outcome of a step that applies an NFS server's exports (exportfs, nfs-ganesha): it fails
 * with the server's own words on stderr, and passes on what the server said as the row's message.
 */
export function serverOutcome(out: Pick<ExecResult, 'stderr' | 'exitCode'>): ApplyOutcome {
  const said = out.stderr.trim();
  if (out.exitCode !== 0) return { failed: true, message: said || `exit code ${out.exitCode}` };
  return said ? { message: said } : {};
}
