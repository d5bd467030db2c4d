import { raw, sh } from '@converge/core';
import type { Command, ControllerFile, RawShell, Secret } from '@converge/core';
import { chmodOperand } from './mode.js';

/** What {@link writeFileSteps} writes and how. */
export interface WriteFileSpec {
  /** The path as the task names it. */
  path: string;
  /** Write to a symlink's target (edit modules, copy with `follow`) instead of replacing the link. */
  followLinks: boolean;
  /** Exact bytes of the new file; a Secret travels as it is and is revealed only into stdin; a large controller file streams. */
  content?: Uint8Array | Secret | ControllerFile;
  /**
   * Shell text that fills the temp file `"$tmp"` instead of `content` (a download); a non-zero
   * exit leaves the old file. `stdin` is then the step's stdin (e.g. a client config).
   */
  fill?: { script: RawShell; stdin?: string | Secret };
  /** Final permission bits (4-digit octal, already resolved). Absent: kept from the existing file, else 0644. */
  mode?: string;
  /** Owner/group names or ids. Absent: kept from the existing file (best effort when not root). */
  owner?: string;
  group?: string;
  /** Create missing parent directories (edit modules with `create`). */
  createParents?: boolean;
  /** A command with `%s` (the temp file); the file is replaced only when it exits 0. */
  validate?: string;
  /** Keep a copy of the old file as `PATH.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's backup name). */
  backup?: boolean;
  /**
   * For a service that can judge a file only once it is live (exportfs(8) reads every file of
   * /etc/exports.d, nfs-ganesha its config on SIGHUP): `script` runs right after the rename and
   * makes the service read the new file; when it exits non-zero, the old file is put back (the
   * new one removed when there was none) and `refused` runs (it may make the service read the
   * old file again and say why), then the step fails. Variables `script` sets are seen by `refused`.
   */
  trial?: { script: RawShell; refused: RawShell };
}

/**
 * The one way converge writes a file (copy, template, lineinfile, blockinfile, ini_file):
 * content arrives on stdin into a temp file made by mktemp(1) in the target's own directory;
 * the existing file's owner, group and mode are copied onto it (C-13: a 0664 file stays 0664),
 * then the task's explicit mode/owner/group, then the optional validation, then `mv -fT` renames
 * it over the target, so readers see the old or the new file, never a partial one. With
 * `followLinks`, a symlink path is resolved first (`readlink -f`) and its target is written, so
 * the link stays a link (C-04). A new file gets 0644 (Ansible's default under umask 022).
 *
 * @returns one step; it fails (leaving the old file) when the path is a directory, the temp file
 * cannot be made, or the validation fails.
 */
export function writeFileSteps(spec: WriteFileSpec): Command[] {
  const lines: RawShell[] = [sh`p=${spec.path}`];
  lines.push(spec.followLinks ? raw('if [ -L "$p" ]; then dest=$(readlink -f -- "$p") || exit 1; else dest=$p; fi') : raw('dest=$p'));
  lines.push(raw('[ -n "$dest" ] || { echo "converge: cannot resolve $p" >&2; exit 1; }'));
  lines.push(raw(shellDirname('dest', 'dir')));
  if (spec.createParents) lines.push(raw('mkdir -p -- "$dir"'));
  lines.push(raw('if [ -d "$dest" ] && [ ! -L "$dest" ]; then echo "converge: $dest is a directory" >&2; exit 1; fi'));
  lines.push(raw('tmp=$(mktemp -- "$dir/.converge-XXXXXXXX")'));
  lines.push(raw(spec.trial ? `old=\ntrap 'rm -f -- "$tmp" \${old:+"$old"}' EXIT` : `trap 'rm -f -- "$tmp"' EXIT`));
  lines.push(spec.fill ? spec.fill.script : raw('cat > "$tmp"'));
  // With an explicit mode, the chmod below sets it either way.
  lines.push(
    spec.mode !== undefined
      ? raw('if [ -e "$dest" ]; then chown --reference="$dest" -- "$tmp" 2>/dev/null || :; fi')
      : raw('if [ -e "$dest" ]; then chown --reference="$dest" -- "$tmp" 2>/dev/null || :; chmod --reference="$dest" -- "$tmp"; else chmod 0644 -- "$tmp"; fi'),
  );
  if (spec.owner !== undefined) lines.push(sh`chown -- ${spec.owner} "$tmp"`);
  if (spec.group !== undefined) lines.push(sh`chgrp -- ${spec.group} "$tmp"`);
  // chmod after chown: chown clears setuid/setgid bits.
  if (spec.mode !== undefined) lines.push(sh`chmod -- ${chmodOperand(spec.mode)} "$tmp"`);
  if (spec.validate !== undefined) {
    const cmd = spec.validate.split('%s').join('"$1"');
    lines.push(sh`if ! out=$(sh -c ${cmd} converge-validate "$tmp" 2>&1); then printf 'converge: validation failed (%s), the file was not changed:\\n%s\\n' ${spec.validate} "$out" >&2; exit 1; fi`);
  }
  if (spec.backup) lines.push(raw(`if [ -f "$dest" ]; then cp -p -- "$dest" "$dest.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; fi`));
  if (spec.trial) lines.push(raw('if [ -e "$dest" ]; then old=$(mktemp -- "$dir/.converge-old-XXXXXXXX"); cp -p -- "$dest" "$old"; fi'));
  lines.push(raw('mv -fT -- "$tmp" "$dest"'));
  if (spec.trial) {
    lines.push(sh`if ! { ${spec.trial.script}
}; then
if [ -n "$old" ]; then mv -fT -- "$old" "$dest"; old=; else rm -f -- "$dest"; fi
${spec.trial.refused}
exit 1
fi`);
  } else {
    lines.push(raw('trap - EXIT'));
  }
  const body = lines.map((l) => l.text).join('\n');
  // A step runs in a subshell of its own (engine/steps.ts): `set -e` and the trap end with it.
  const stdin = spec.fill ? spec.fill.stdin : spec.content;
  return [{ script: sh`set -e\n${raw(body)}`, ...(stdin !== undefined ? { stdin } : {}), description: `write ${spec.path}` }];
}

/**
 * Shell text that sets variable `to` to the directory part of `$from` as dirname(1) computes it
 * (POSIX.1-2017 XCU dirname: trailing slashes, then the last component, then trailing slashes
 * again are removed; nothing left gives `/`, no slash gives `.`), by parameter expansion only: no
 * process. `from` and `to` are variable names.
 */
export function shellDirname(from: string, to: string): string {
  return [
    `${to}=$${from}`,
    `while [ "$${to}" != / ] && [ "\${${to}%/}" != "$${to}" ]; do ${to}=\${${to}%/}; done`,
    `case $${to} in */*) ${to}=\${${to}%/*} ;; *) ${to}=. ;; esac`,
    `while [ "$${to}" != / ] && [ "\${${to}%/}" != "$${to}" ]; do ${to}=\${${to}%/}; done`,
    `[ -n "$${to}" ] || ${to}=/`,
  ].join('\n');
}

/** Attribute changes applied in place (no content change). */
export interface AttributeSpec {
  path: string;
  mode?: string;
  owner?: string;
  group?: string;
  /** Change the symlink itself (chown -h) rather than what it points to. */
  noFollow?: boolean;
  /** Apply to everything below a directory too (file module's `recurse`). */
  recurse?: boolean;
}

/** chown/chgrp/chmod steps for {@link AttributeSpec}; empty when nothing is asked. */
export function attributeSteps(spec: AttributeSpec): Command[] {
  const flags: string[] = [];
  if (spec.recurse) flags.push('-R');
  const parts: RawShell[] = [];
  const h = spec.noFollow ? ['-h'] : [];
  if (spec.owner !== undefined) parts.push(sh`chown ${[...flags, ...h]} -- ${spec.owner} ${spec.path}`);
  if (spec.group !== undefined) parts.push(sh`chgrp ${[...flags, ...h]} -- ${spec.group} ${spec.path}`);
  if (spec.mode !== undefined && !spec.noFollow) parts.push(sh`chmod ${flags} -- ${chmodOperand(spec.mode)} ${spec.path}`);
  if (parts.length === 0) return [];
  return [{ script: raw(parts.map((p) => p.text).join(' && ')), description: `set attributes of ${spec.path}` }];
}
