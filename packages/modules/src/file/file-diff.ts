import { SECRET_MASK } from '@converge/core';
import type { FileDiff } from '@converge/core';
import { diffLines } from 'diff';
import { fromBinary } from './text-lines.js';

/**
 * How a diff hides what the module knows to be secret, beyond what every diff gets (the engine
 * masks each remembered secret by value, and the lines of the current file that a secret-bearing
 * line replaces):
 * - `'none'`: nothing more;
 * - `'changed-lines'`: every added or removed line (a line edit whose text is a secret: the
 *   lines it replaces or removes may hold a former value);
 * - `'all'`: every line (the whole content is the secret);
 * - `{ mask }`: the module masks the values of the settings that hold secrets, on both sides
 *   (HAProxy's `stats auth`, keepalived's `auth_pass`), whether the model holds a Secret or not,
 *   so a setting removed from the file does not show its former value; every other line shows.
 */
export type DiffSecrecy = 'none' | 'changed-lines' | 'all' | SecretSettings;

/** The settings of a file that hold secrets, masked by `mask` (see {@link DiffSecrecy}). */
export interface SecretSettings {
  /** The text with the value of every secret-holding setting replaced by the mask. Pure. */
  mask(text: string): string;
}

/**
 * The before/after text of a file for the report's unified diff. Contents are binary strings
 * (see text-lines); `null` is a file that does not exist. A binary file (holding NUL) shows as
 * a one-line summary.
 *
 * With `secrecy: 'changed-lines'` every added or removed line is replaced by the mask, so the
 * diff shows where the file changed but not the text (C-16: the old value of a secret line is a
 * secret too, and the engine only knows the new one); `'all'` masks every line; `{ mask }` masks
 * the values of the settings the module knows to hold secrets (see {@link DiffSecrecy}).
 */
export function fileDiff(path: string, before: string | null, after: string | null, secrecy: DiffSecrecy = 'none'): FileDiff {
  const b = before === null ? '' : displayText(before);
  const a = after === null ? '' : displayText(after);
  if (secrecy === 'none') return { path, before: b, after: a };
  if (typeof secrecy === 'object') return { path, before: secrecy.mask(b), after: secrecy.mask(a) };
  if (secrecy === 'all') return { path, before: maskAll(b), after: maskAll(a) };
  let mb = '';
  let ma = '';
  for (const part of diffLines(b, a)) {
    const text = part.added || part.removed ? maskAll(part.value) : part.value;
    if (!part.added) mb += text;
    if (!part.removed) ma += text;
  }
  return { path, before: mb, after: ma };
}

function displayText(content: string): string {
  if (content.includes('\0')) return `(binary content, ${content.length} bytes)\n`;
  return fromBinary(content);
}

function maskAll(text: string): string {
  return text.replace(/[^\n]+/g, SECRET_MASK);
}
