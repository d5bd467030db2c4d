import type { Change } from '@converge/core';
import { expandPythonTemplate, SECRET_MASK } from '@converge/core';
import type { EditResult } from '../file/text-edit.js';
import { fromBinary, joinLines, newlineOf, splitLines } from '../file/text-lines.js';
import type { Line } from '../file/text-lines.js';

/** The edit as lineinfile sees it; strings are binary strings (see text-lines). */
export interface LineEdit {
  state: 'present' | 'absent';
  line?: string;
  regexp?: RegExp;
  searchString?: string;
  /** `EOF`, `BOF` or a compiled anchor. */
  insertafter?: RegExp | 'EOF' | 'BOF';
  insertbefore?: RegExp | 'BOF';
  backrefs: boolean;
  firstmatch: boolean;
  /** Mask line text in reported changes. */
  secret: boolean;
}

/**
 * Ansible lineinfile's `present()`/`absent()` on file content (lib/ansible/modules/lineinfile.py),
 * line by line, with these corrections (each keeps a converged file converged):
 * - a line that is already present anywhere is never added again, also with `firstmatch` and an
 *   anchor (Ansible stops looking at the first anchor there, C-12);
 * - a line added after the last line makes sure that line ends first (C-01);
 * - the line ending of a replaced line is kept (`\r\n` stays), and new lines in a CRLF file get `\r\n`;
 * - regexps and search strings see a line without its line ending (C-04).
 */
export function editLines(before: string | null, e: LineEdit): EditResult {
  const lines = splitLines(before ?? '');
  return e.state === 'present' ? present(lines, before, e) : absent(lines, before, e);
}

function show(text: string, e: LineEdit): string {
  return e.secret ? SECRET_MASK : fromBinary(text);
}

function result(lines: Line[], before: string | null, changed: boolean, changes: Change[], message: string): EditResult {
  return changed ? { after: joinLines(lines), changed, changes, message } : { after: before ?? '', changed: false, changes: [], message };
}

function present(lines: Line[], before: string | null, e: LineEdit): EditResult {
  const line = e.line ?? '';
  const nl = newlineOf(lines);
  let matchIndex = -1;
  let insertIndex = -1;
  let match: RegExpExecArray | null = null;
  let found = false;
  let exact = false;
  if (e.regexp) {
    for (let i = 0; i < lines.length; i++) {
      const m = e.regexp.exec(lines[i]?.text ?? '');
      if (m) {
        matchIndex = i;
        match = m;
        found = true;
        if (e.firstmatch) break;
      }
    }
  } else if (e.searchString !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if ((lines[i]?.text ?? '').includes(e.searchString)) {
        matchIndex = i;
        found = true;
        if (e.firstmatch) break;
      }
    }
  }
  const anchor = e.insertafter instanceof RegExp ? e.insertafter : e.insertbefore instanceof RegExp ? e.insertbefore : undefined;
  const after = e.insertafter instanceof RegExp;
  if (!found) {
    let anchorDone = false;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]?.text ?? '';
      if (text === line) {
        matchIndex = i;
        exact = true;
      } else if (anchor && !anchorDone && anchor.test(text)) {
        insertIndex = after ? i + 1 : i;
        if (e.firstmatch) anchorDone = true;
      }
    }
  }
  const ensureLastEnds = (): void => {
    const last = lines[lines.length - 1];
    if (last && last.eol === '') last.eol = nl;
  };
  const added = (at: number, where: string): EditResult => {
    if (at >= lines.length) ensureLastEnds();
    lines.splice(at, 0, { text: line, eol: nl });
    return result(lines, before, true, [{ path: 'line', before: null, after: show(line, e) }], `line added ${where}`);
  };

  if (matchIndex !== -1) {
    const cur = lines[matchIndex] as Line;
    const newText = e.backrefs && match ? expandPythonTemplate(line, match) : line;
    if (cur.text === newText && cur.eol !== '') return result(lines, before, false, [], 'the line is already present');
    const old = cur.text;
    cur.text = newText;
    if (cur.eol === '') cur.eol = nl;
    const changes: Change[] = old === newText ? [{ path: 'line', before: 'no final newline', after: 'final newline' }] : [{ path: 'line', before: show(old, e), after: show(newText, e) }];
    return result(lines, before, true, changes, 'line replaced');
  }
  if (e.backrefs) return result(lines, before, false, [], 'the regexp matches no line (backrefs: nothing is added)');
  if (e.insertbefore === 'BOF' || e.insertafter === 'BOF') return added(0, 'at the beginning');
  if (e.insertafter === 'EOF' || insertIndex === -1) return added(lines.length, 'at the end');
  return added(insertIndex, after ? 'after the anchor' : 'before the anchor');
}

function absent(lines: Line[], before: string | null, e: LineEdit): EditResult {
  if (before === null) return result(lines, before, false, [], 'the file does not exist');
  const kept: Line[] = [];
  const removed: string[] = [];
  for (const l of lines) {
    const hit = e.regexp ? e.regexp.test(l.text) : e.searchString !== undefined ? l.text.includes(e.searchString) : l.text === e.line;
    if (hit) removed.push(l.text);
    else kept.push(l);
  }
  if (removed.length === 0) return result(lines, before, false, [], 'no line matches');
  const changes = removed.map((t) => ({ path: 'line', before: show(t, e), after: null }));
  return result(kept, before, true, changes, `${removed.length} line(s) removed`);
}
