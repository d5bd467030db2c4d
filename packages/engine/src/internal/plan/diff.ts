import { createTwoFilesPatch } from 'diff';
import type { Change, FileDiff } from '@converge/core';
import { isSecret, maskText, maskValue } from '@converge/core';

/** Files larger than this get no text diff, as Ansible's `max_diff_size` (104448 bytes). */
const MAX_DIFF_BYTES = 104_448;

/** Renders a plan's changes as text: unified diffs for file contents, `attr: before -> after` lines for the rest. */
export function renderDiff(changes: Change[], diffs: FileDiff[]): string {
  const parts: string[] = [];
  for (const d of diffs) {
    if (d.before.length > MAX_DIFF_BYTES || d.after.length > MAX_DIFF_BYTES) {
      parts.push(`--- ${d.path} (before)\n+++ ${d.path} (after)\ndiff skipped: larger than ${MAX_DIFF_BYTES} bytes (${d.before.length} -> ${d.after.length})\n`);
      continue;
    }
    parts.push(createTwoFilesPatch(`${d.path} (before)`, `${d.path} (after)`, d.before, d.after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''));
  }
  const fileDiffPaths = new Set(diffs.length > 0 ? ['content'] : []);
  for (const c of changes) {
    if (fileDiffPaths.has(c.path)) continue;
    parts.push(`${c.path}: ${show(c.before)} -> ${show(c.after)}\n`);
  }
  return maskText(parts.join(''));
}

function show(v: unknown): string {
  if (isSecret(v)) return '********';
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(maskValue(v));
}
