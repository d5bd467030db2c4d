import { raw, sh } from '@converge/core';
import type { Command, RawShell, Secret } from '@converge/core';
import { shellDirname } from '../file/atomic-write.js';

/** A file made on the host by a command (a key, a CSR, a certificate, a bundle). */
export interface GeneratedFile {
  path: string;
  /** Writes the new content into `"$tmp"` (a 0600 file in the target's directory). */
  generate: RawShell;
  /** Final mode (4-digit octal); owner and group when asked. */
  mode: string;
  owner?: string;
  group?: string;
  /** Bytes for the command's stdin: a Secret (a CA key) is revealed only into stdin. */
  stdin?: Uint8Array | Secret;
  description: string;
}

/**
 * The step that makes a file on the host atomically: the command writes into a temp file made
 * 0600 in the target's directory (umask 077, so a private key is never readable by others, not
 * even for a moment), then mode, owner and group are set and `mv -fT` replaces the target. A
 * failing command leaves the old file. The same rename as {@link writeFileSteps}, for content
 * that is made on the host rather than sent from the controller.
 */
export function generatedFileStep(f: GeneratedFile): Command {
  const lines: RawShell[] = [sh`set -e\np=${f.path}`, raw(shellDirname('p', 'dir')), raw(`tmp=$(umask 077 && mktemp -- "$dir/.converge-XXXXXXXX")`), raw(`trap 'rm -f -- "$tmp"' EXIT`), f.generate];
  if (f.owner !== undefined) lines.push(sh`chown -- ${f.owner} "$tmp"`);
  if (f.group !== undefined) lines.push(sh`chgrp -- ${f.group} "$tmp"`);
  lines.push(sh`chmod -- ${f.mode} "$tmp"`, raw('mv -fT -- "$tmp" "$p"'), raw('trap - EXIT'));
  return { script: raw(lines.map((l) => l.text).join('\n')), description: f.description, ...(f.stdin !== undefined ? { stdin: f.stdin } : {}) };
}
