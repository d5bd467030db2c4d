import { escapeRegex, SECRET_MASK } from '@converge/core';
import type { Change } from '@converge/core';
import type { EditResult } from '../file/text-edit.js';
import { fromBinary, joinLines, newlineOf, splitLines } from '../file/text-lines.js';
import type { Line } from '../file/text-lines.js';

/** The edit as ini_file sees it; strings are binary strings (see text-lines). */
export interface IniEdit {
  section?: string;
  option?: string;
  /** Wanted values (deduplicated, in order): one from `value`, several from `values`. */
  values: string[];
  state: 'present' | 'absent';
  exclusive: boolean;
  noExtraSpaces: boolean;
  ignoreSpaces: boolean;
  allowNoValue: boolean;
  secret: boolean;
}

/** Name of the invisible section that holds lines before the first header (Ansible's). */
const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';
const BOM = '\xef\xbb\xbf';
const BLANK_OR_COMMENT = /^[ \t]*([#;][\s\S]*)?$/;

/**
 * Ansible ini_file's `do_ini()` (community.general plugins/modules/ini_file.py) on file content:
 * only the lines of the named section are considered (C-05: a key in `[DEFAULT]` is untouched by
 * an edit of `[messaging]`), lines the task does not own keep their bytes and spacing (C-06),
 * `value` with `exclusive` (default) leaves exactly that one `option` line in the section while
 * `values` keeps one line per value, a file without a final newline gets one. Differences from
 * Ansible: a CRLF file stays CRLF and a UTF-8 BOM is kept (Ansible reads in universal-newline
 * text mode and drops both); a new or empty file does not start with a blank line.
 */
export function editIni(before: string | null, e: IniEdit): EditResult {
  let text = before ?? '';
  const bom = text.startsWith(BOM);
  if (bom) text = text.slice(BOM.length);
  const lines: Line[] = splitLines(text);
  const nl = newlineOf(lines);
  let changed = false;
  const changes: Change[] = [];
  const last = lines[lines.length - 1];
  if (last && last.eol === '') {
    last.eol = nl;
    changed = true;
    changes.push({ path: 'final_newline', before: false, after: true });
  }
  lines.unshift({ text: `[${FAKE_SECTION}]`, eol: '' });
  lines.push({ text: '[', eol: '' });
  const section = e.section ? e.section : FAKE_SECTION;
  const sectionRe = new RegExp(`^\\[\\s*${escapeRegex(section.trim())}\\s*\\]`);
  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as Line;
    if (within && l.text.startsWith('[')) {
      end = i;
      break;
    }
    if (sectionRe.test(l.text)) {
      within = true;
      start = i;
    }
  }
  const head = lines.slice(0, start);
  let body = lines.slice(start, end);
  const tail = lines.slice(end);
  const touched: boolean[] = body.map(() => false);
  const values = [...e.values];
  const option = e.option;
  const fmt = (v: string): string => (e.noExtraSpaces ? `${option}=${v}` : `${option} = ${v}`);
  const show = (v: string): string => (e.secret ? SECRET_MASK : fromBinary(v));
  const key = option === undefined ? '' : fromBinary(option);
  const anyOpt = option === undefined ? undefined : new RegExp(`^([#;]?)([ \\t]*)(${escapeRegex(option)})([ \\t]*)(=|$)([ \\t]*)([\\s\\S]*)$`);
  const activeOpt = option === undefined ? undefined : new RegExp(`^([ \\t]*)(${escapeRegex(option)})([ \\t]*)(=|$)([ \\t]*)([\\s\\S]*)$`);

  const update = (index: number, newText: string): void => {
    const cur = body[index] as Line;
    let differs: boolean | undefined;
    if (e.ignoreSpaces && anyOpt) {
      const old = anyOpt.exec(cur.text);
      if (old && !old[1]) differs = old[7] !== anyOpt.exec(newText)?.[7];
    }
    differs ??= cur.text !== newText;
    if (differs) {
      const m = anyOpt?.exec(cur.text);
      changes.push({ path: `option.${key}`, before: m ? (m[1] ? null : show(m[7] ?? '')) : null, after: show(anyOpt?.exec(newText)?.[7] ?? '') });
      cur.text = newText;
      changed = true;
    }
    touched[index] = true;
  };

  let noValuePresent = false;
  if (e.state === 'present' && option !== undefined && anyOpt) {
    for (let i = 0; i < body.length; i++) {
      const m = anyOpt.exec((body[i] as Line).text);
      if (!m) continue;
      const v = m[7] ?? '';
      if (values.length > 0 && values.includes(v)) {
        if (!v && e.allowNoValue) {
          update(i, option);
          noValuePresent = true;
        } else {
          update(i, fmt(v));
        }
        values.splice(values.indexOf(v), 1);
      } else if (values.length === 0 && e.allowNoValue) {
        update(i, option);
        noValuePresent = true;
        break;
      }
    }
  }

  if (e.state === 'present' && option !== undefined && anyOpt && e.exclusive && !e.allowNoValue) {
    if (values.length > 0) {
      for (let i = 0; i < body.length; i++) {
        if (!touched[i] && anyOpt.test((body[i] as Line).text)) {
          update(i, fmt(values.shift() as string));
          if (values.length === 0) break;
        }
      }
    }
    for (let i = body.length - 1; i > 0; i--) {
      const m = !touched[i] ? anyOpt.exec((body[i] as Line).text) : null;
      if (m) {
        changes.push({ path: `option.${key}`, before: m[1] ? null : show(m[7] ?? ''), after: null });
        body.splice(i, 1);
        touched.splice(i, 1);
        changed = true;
      }
    }
  }

  if (e.state === 'present') {
    for (let i = body.length; i > 0; i--) {
      if (!BLANK_OR_COMMENT.test((body[i - 1] as Line).text)) {
        if (option !== undefined && values.length > 0) {
          body.splice(i, 0, ...values.map((v) => ({ text: fmt(v), eol: nl })));
          for (const v of values) changes.push({ path: `option.${key}`, before: null, after: show(v) });
          changed = true;
        } else if (option !== undefined && values.length === 0 && e.allowNoValue && !noValuePresent) {
          body.splice(i, 0, { text: option, eol: nl });
          changes.push({ path: `option.${key}`, before: null, after: '(no value)' });
          changed = true;
        }
        break;
      }
    }
  }

  if (e.state === 'absent' && activeOpt) {
    const kept = body.filter((l) => {
      const m = activeOpt.exec(l.text);
      const drop = m !== null && (e.exclusive || e.values.includes(m[6] ?? ''));
      if (drop) changes.push({ path: `option.${key}`, before: show(m?.[6] ?? ''), after: null });
      return !drop;
    });
    if (kept.length !== body.length) {
      body = kept;
      changed = true;
    }
  } else if (e.state === 'absent' && option === undefined && e.section && body.length > 0) {
    changes.push({ path: 'section', before: fromBinary(e.section), after: null });
    body = [];
    changed = true;
  }

  const out = [...head, ...body, ...tail].slice(1, -1);
  if (!within && e.state === 'present' && e.section) {
    const prev = out[out.length - 1];
    if (prev && prev.eol === '') prev.eol = nl;
    out.push({ text: `[${section}]`, eol: nl });
    changes.push({ path: 'section', before: null, after: fromBinary(section) });
    if (option !== undefined && values.length > 0) {
      for (const v of values) {
        out.push({ text: fmt(v), eol: nl });
        changes.push({ path: `option.${key}`, before: null, after: show(v) });
      }
    } else if (option !== undefined && e.allowNoValue) {
      out.push({ text: option, eol: nl });
    }
    changed = true;
  }
  if (!changed) return { after: before ?? '', changed: false, changes: [], message: e.state === 'present' ? 'the option is already set' : 'nothing to remove' };
  return { after: (bom ? BOM : '') + joinLines(out), changed: true, changes, message: 'ini file edited' };
}
