import { SECRET_MASK } from '@converge/core';
import type { EditResult } from '../file/text-edit.js';
import { fromBinary, joinLines, splitLines } from '../file/text-lines.js';
import type { Line } from '../file/text-lines.js';

/** The edit as blockinfile sees it; strings are binary strings (see text-lines). */
export interface BlockEdit {
  state: 'present' | 'absent';
  block: string;
  /** The begin and end marker lines (marker with `{mark}` replaced). */
  markerBegin: string;
  markerEnd: string;
  insertafter?: RegExp | 'EOF';
  insertbefore?: RegExp | 'BOF';
  prependNewline: boolean;
  appendNewline: boolean;
  secret: boolean;
}

/**
 * Ansible blockinfile's main() on file content (lib/ansible/modules/blockinfile.py): an existing
 * block between the markers is replaced in place; otherwise the block goes after/before the last
 * line matching the anchor (a `(?m)` anchor is searched in the whole file), or at EOF/BOF. An
 * empty block with state present removes the block, as in Ansible. Marker lines are recognised
 * with or without a line ending (Ansible misses an END marker on a last line without newline),
 * and also glued to a line of content by an older tool (`max_conn=40# END MANAGED BLOCK`): the
 * block is then rewritten with each marker on its own line (see {@link findMarkers}).
 */
export function editBlock(before: string | null, e: BlockEdit): EditResult {
  const lines: Line[] = splitLines(before ?? '');
  const present = e.state === 'present';
  let blockLines: Line[] = [];
  if (present && e.block !== '') {
    const body = e.block.endsWith('\n') ? e.block : `${e.block}\n`;
    blockLines = [{ text: e.markerBegin, eol: '\n' }, ...splitLines(body), { text: e.markerEnd, eol: '\n' }];
  }
  let { n0, n1 } = findMarkers(lines, e);
  let at: number;
  if (n0 === undefined || n1 === undefined) {
    const anchor = e.insertafter instanceof RegExp ? e.insertafter : e.insertbefore instanceof RegExp ? e.insertbefore : undefined;
    const after = e.insertafter instanceof RegExp;
    if (anchor) {
      let found: number | undefined;
      if (anchor.multiline) {
        const text = before ?? '';
        const m = anchor.exec(text);
        if (m) found = countNewlines(text, after ? m.index + m[0].length : m.index);
      } else {
        lines.forEach((l, i) => {
          if (anchor.test(l.text)) found = i;
        });
      }
      at = found === undefined ? lines.length : after ? found + 1 : found;
    } else if (e.insertbefore === 'BOF') {
      at = 0;
    } else {
      at = lines.length;
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
    at = n0;
  } else {
    lines.splice(n1, n0 - n1 + 1);
    at = n1;
  }
  const prev = lines[at - 1];
  if (at > 0 && prev && prev.eol === '') prev.eol = '\n';
  if (e.prependNewline && present && at !== 0 && prev && prev.text !== '') {
    lines.splice(at, 0, { text: '', eol: '\n' });
    at += 1;
  }
  lines.splice(at, 0, ...blockLines);
  if (e.appendNewline && present) {
    const next = lines[at + blockLines.length];
    if (next && next.text !== '') lines.splice(at + blockLines.length, 0, { text: '', eol: '\n' });
  }
  const after = joinLines(lines);
  const changed = before === null ? present : after !== before;
  if (!changed) return { after: before ?? '', changed: false, changes: [], message: present ? 'the block is already in place' : 'no block to remove' };
  const show = (text: string): string => (e.secret ? SECRET_MASK : fromBinary(text));
  const oldBlock = n0 !== undefined && n1 !== undefined;
  return {
    after,
    changed: true,
    changes: [{ path: 'block', before: oldBlock ? 'present' : null, after: blockLines.length > 0 ? show(e.block) : null }],
    message: blockLines.length > 0 ? 'block inserted' : 'block removed',
  };
}

/**
 * The line indexes of the begin and end markers: the last line equal to each, as Ansible finds
 * them. When there is no such pair, a marker glued to content is recognised: an end marker at the
 * end of a line after the begin marker (that line's content belonged to the old block and is
 * replaced with it), and a begin marker at the end of a line before the end marker (its content is
 * kept, on a line of its own). `lines` is changed for the latter.
 */
function findMarkers(lines: Line[], e: BlockEdit): { n0: number | undefined; n1: number | undefined } {
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l.text === e.markerBegin) n0 = i;
    if (l.text === e.markerEnd) n1 = i;
  });
  if (n0 === undefined && n1 !== undefined) {
    const end = n1;
    const glued = lines.findLastIndex((l, i) => i < end && l.text.endsWith(e.markerBegin));
    if (glued >= 0) {
      const line = lines[glued] as Line;
      lines.splice(glued, 1, { text: line.text.slice(0, -e.markerBegin.length), eol: '\n' }, { text: e.markerBegin, eol: line.eol });
      return { n0: glued + 1, n1: end + 1 };
    }
  }
  if (n0 !== undefined && (n1 === undefined || n1 < n0)) {
    const begin = n0;
    const glued = lines.findIndex((l, i) => i > begin && l.text.endsWith(e.markerEnd));
    if (glued >= 0) n1 = glued;
  }
  return { n0, n1 };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
