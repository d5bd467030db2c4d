import { basename, extname, join } from 'node:path';
import { atomicWrite, maskText } from '@converge/core';
import type { RunReport } from './report.js';

/** The hosts a rerun should target: every host that failed, was unreachable or was stopped, sorted by name. */
export function retryHosts(report: RunReport): string[] {
  const hosts = new Set<string>();
  for (const [host, s] of Object.entries(report.summary)) if (s.failed > 0 || s.unreachable > 0) hosts.add(host);
  for (const s of report.stopped ?? []) hosts.add(s.host);
  return [...hosts].sort();
}

/** Where the retry file of a playbook lives: `<stateDir>/<playbook file name without extension>.retry`, as Ansible names it. */
export function retryFilePath(stateDir: string, playbookPath: string): string {
  const base = basename(playbookPath);
  return join(stateDir, `${base.slice(0, base.length - extname(base).length)}.retry`);
}

/**
 * Writes the retry file of a run that has failed, unreachable or stopped hosts: their inventory
 * names, one per line (nothing else: no vars, no messages, so no secret), for `--limit @FILE`.
 * Written atomically, mode 0600. A run without such hosts writes nothing and leaves an older
 * file in place, as Ansible does.
 *
 * @returns the file's path, or undefined when no host needs a retry.
 * @throws the file system's error when the file cannot be written.
 */
export async function writeRetryFile(stateDir: string, playbookPath: string, report: RunReport): Promise<string | undefined> {
  const hosts = retryHosts(report);
  if (hosts.length === 0) return undefined;
  const path = retryFilePath(stateDir, playbookPath);
  await atomicWrite(path, hosts.map((h) => `${maskText(h)}\n`).join(''));
  return path;
}
