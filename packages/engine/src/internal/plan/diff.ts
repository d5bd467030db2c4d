import { createTwoFilesPatch, diffLines } from 'diff';
import type { Change, FileDiff } from '@converge/core';
import { isSecret, maskText, maskValue, SECRET_MASK } from '@converge/core';

/** Files larger than this get no text diff, as Ansible's `max_diff_size` (104448 bytes). */
const MAX_DIFF_BYTES = 104_448;

/**
 * Renders a plan's changes as text: unified diffs for file contents, `attr: before -> after`
 * lines for the rest. Secrets are masked in the data before it is framed (see
 * {@link maskFileTexts}); the frame (`---`, `+++`, `@@`, `(before)`, change paths) is never
 * masked, so a secret that is a common word cannot replace it.
 */
export function renderDiff(changes: Change[], diffs: FileDiff[]): string {
  const parts: string[] = [];
  for (const d of diffs) {
    const path = maskText(d.path);
    if (d.before.length > MAX_DIFF_BYTES || d.after.length > MAX_DIFF_BYTES) {
      parts.push(`--- ${path} (before)\n+++ ${path} (after)\ndiff skipped: larger than ${MAX_DIFF_BYTES} bytes (${d.before.length} -> ${d.after.length})\n`);
      continue;
    }
    const { before, after, unmask } = maskFileTexts(d.before, d.after);
    parts.push(unmask(createTwoFilesPatch(`${path} (before)`, `${path} (after)`, before, after, undefined, undefined, { context: 3 }).replace(/^=+\n/, '')));
  }
  const fileDiffPaths = new Set(diffs.length > 0 ? ['content'] : []);
  for (const c of changes) {
    if (fileDiffPaths.has(c.path)) continue;
    parts.push(`${c.path}: ${show(c.before)} -> ${show(c.after)}\n`);
  }
  return parts.join('');
}

function show(v: unknown): string {
  if (isSecret(v)) return SECRET_MASK;
  if (v === undefined) return '(none)';
  return JSON.stringify(maskValue(v));
}

/** Stands for a secret (or a line that may hold one) while the diff is computed; never printed. */
const TOKEN = /\u0000secret\d+\u0000/g;

/**
 * The two sides of a file diff with secrets replaced by tokens, for a unified diff of them, and
 * `unmask`, which turns the tokens of the rendered diff into the mask:
 *
 * - every remembered secret is replaced by value on both sides, as a whole first, so that a
 *   multi-line secret (a private key) is one masked line rather than lines of its text; each
 *   secret has a token of its own, so a changed secret still shows as a changed line;
 * - a line of the current file that a secret-bearing line replaces (removed in the same run of
 *   changed lines) is masked whole: it may hold the secret's former value, which converge does
 *   not know (a rotated password);
 * - a removed line that starts as a secret-bearing line of the new text does up to its secret
 *   (`wsrep_sst_auth = mariabackup:`) keeps that start and is masked after it.
 */
export function maskFileTexts(beforeText: string, afterText: string): { before: string; after: string; unmask: (patch: string) => string } {
  const tokens = new Map<string, string>();
  const token = (secret: string): string => {
    let t = tokens.get(secret);
    if (t === undefined) tokens.set(secret, (t = `\u0000secret${tokens.size}\u0000`));
    return t;
  };
  const before = maskText(beforeText, token);
  const after = maskText(afterText, token);
  const unmask = (patch: string): string => patch.replace(TOKEN, SECRET_MASK);
  if (tokens.size === 0) return { before, after, unmask };
  const bearing = (text: string): boolean => text.includes('\u0000secret');
  const starts = [...new Set(after.split('\n').filter(bearing).map((l) => l.slice(0, l.indexOf('\u0000secret'))).filter((s) => s.trim() !== ''))];
  let formerValues = 0;
  const former = () => `\u0000secret-former${formerValues++}\u0000`;
  const parts = diffLines(before, after);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as (typeof parts)[number];
    if (part.added) continue;
    if (!part.removed) {
      out += part.value;
      continue;
    }
    // The run of changed lines this removal belongs to: removals and additions next to each other.
    let replacedBySecret = false;
    const changed = (j: number) => parts[j]?.added === true || parts[j]?.removed === true;
    for (let j = i + 1; changed(j); j++) if (parts[j]?.added && bearing(parts[j]?.value ?? '')) replacedBySecret = true;
    for (let j = i - 1; changed(j); j--) if (parts[j]?.added && bearing(parts[j]?.value ?? '')) replacedBySecret = true;
    out += part.value.replace(/[^\n]+/g, (line) => {
      const start = starts.find((s) => line.startsWith(s) && line.length > s.length);
      if (start !== undefined) return `${start}${former()}`;
      return replacedBySecret ? former() : line;
    });
  }
  return { before: out, after, unmask: (patch) => unmask(patch).replace(/\u0000secret-former\d+\u0000/g, SECRET_MASK) };
}
