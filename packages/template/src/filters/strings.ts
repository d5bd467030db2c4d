import { createHash } from 'node:crypto';
import { pyStr } from '../python-repr.js';
import { pyReplace, pySplit, pyStrip } from '../python-methods.js';
import { percentFormat } from '../percent-format.js';
import { makeTuple } from '../python-value.js';
import { filterArgs, type Filter } from './filter-args.js';

const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/** `lower`, `upper`. */
export const lower: Filter = (v) => pyStr(v).toLowerCase();
export const upper: Filter = (v) => pyStr(v).toUpperCase();
/** `capitalize`: first character upper, the rest lower (Python `str.capitalize`). */
export const capitalize: Filter = (v) => { const s = pyStr(v); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); };

/** `replace(s, old, new, count=None)`. */
export const replace: Filter = function (value, ...args) {
  const a = filterArgs(args);
  const s = pyStr(value);
  const old = pyStr(a.get(0, 'old', ''));
  const repl = pyStr(a.get(1, 'new', ''));
  const count = a.get(2, 'count', null);
  return pyReplace(s, old, repl, count === null ? -1 : Number(count));
};

/** `trim(value, chars=None)`: Python `str.strip`. */
export const trim: Filter = (v, ...args) => pyStrip(pyStr(v), filterArgs(args).get(0, 'chars', null));

/** `indent(s, width=4, first=False, blank=False)`: Jinja2 3.1 semantics. Source: Jinja2 docs, `indent`. */
export const indent: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const w = a.get(0, 'width', 4);
  const pad = typeof w === 'string' ? w : ' '.repeat(Number(w));
  const first = a.get(1, 'first', false) === true;
  const blank = a.get(2, 'blank', false) === true;
  const s = pyStr(v) + '\n';
  const lines = s.split(PY_LINE_BREAK);
  if (lines[lines.length - 1] === '') lines.pop();
  let rv: string;
  if (blank) rv = lines.join('\n' + pad);
  else {
    rv = lines.shift() ?? '';
    if (lines.length > 0) rv += '\n' + lines.map((l) => (l ? pad + l : l)).join('\n');
  }
  return first ? pad + rv : rv;
};

/** `wordwrap(s, width=79, break_long_words=True, wrapstring=None)`: greedy wrapping of each line at spaces (Python `textwrap.wrap`, without hyphen splitting). */
export const wordwrap: Filter = function (v, ...args) {
  const a = filterArgs(args);
  const width = Number(a.get(0, 'width', 79));
  const breakLong = a.get(1, 'break_long_words', true) !== false;
  const wrapstring = pyStr(a.get(2, 'wrapstring', '\n'));
  const wrapLine = (line: string): string[] => {
    const words = line.split(/(\s+)/).filter((x) => x !== '');
    const out: string[] = [];
    let cur = '';
    for (const word of words) {
      if (/^\s+$/.test(word)) { if (cur !== '') cur += word; continue; }
      if (cur !== '' && cur.length + word.length > width) { out.push(cur.replace(/\s+$/, '')); cur = ''; }
      let w = word;
      while (breakLong && cur === '' && w.length > width) { out.push(w.slice(0, width)); w = w.slice(width); }
      cur += w;
    }
    if (cur.replace(/\s+$/, '') !== '') out.push(cur.replace(/\s+$/, ''));
    return out;
  };
  return pyStr(v).split(PY_LINE_BREAK).map((l) => wrapLine(l).join(wrapstring)).join(wrapstring);
};

/** `format(value, *args, **kwargs)`: printf-style, `value % args`. Source: Jinja2 docs, `format`. */
export const format: Filter = function (v, ...args) {
  const a = filterArgs(args);
  return percentFormat(pyStr(v), Object.keys(a.kwargs).length > 0 ? a.kwargs : makeTuple(a.positional));
};

/** `quote`: POSIX shell quoting as Python's `shlex.quote`. Source: Python docs, `shlex.quote`. */
export const quote: Filter = function (v) {
  const s = v === null ? '' : pyStr(v);
  if (s === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
};

/** `split(value, sep=None, maxsplit=-1)`: Python `str.split`. Source: Ansible docs, `split`. */
export const split: Filter = (v, ...args) => { const a = filterArgs(args); return pySplit(pyStr(v), a.get(0, 'sep', null), Number(a.get(1, 'maxsplit', -1))); };

/** Python's `str.encode(encoding)` for the codecs templates use: UTF-8, UTF-16 and UTF-32 (with a BOM when no byte order is named), Latin-1 and ASCII. */
export function pyEncode(s: string, encoding: string): Buffer {
  const e = encoding.toLowerCase().replace(/_/g, '-');
  if (['utf-8', 'utf8', 'u8'].includes(e)) return Buffer.from(s, 'utf8');
  if (['utf-16', 'utf16', 'utf-16-le', 'utf-16le'].includes(e)) return Buffer.concat([e === 'utf-16' || e === 'utf16' ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')]);
  if (e === 'utf-16-be' || e === 'utf-16be') return Buffer.from(s, 'utf16le').swap16();
  if (['utf-32', 'utf32', 'utf-32-le', 'utf-32le', 'utf-32-be', 'utf-32be'].includes(e)) {
    const cps = Array.from(s, (c) => c.codePointAt(0)!);
    const bom = e === 'utf-32' || e === 'utf32';
    const out = Buffer.alloc((cps.length + (bom ? 1 : 0)) * 4);
    const be = e.endsWith('be');
    (bom ? [0xfeff, ...cps] : cps).forEach((cp, i) => (be ? out.writeUInt32BE(cp, i * 4) : out.writeUInt32LE(cp, i * 4)));
    return out;
  }
  if (['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'ascii', 'us-ascii'].includes(e)) {
    const max = e.includes('ascii') ? 0x7f : 0xff;
    const bad = Array.from(s).find((c) => c.codePointAt(0)! > max);
    if (bad !== undefined) throw new Error(`'${e.includes('ascii') ? 'ascii' : 'latin-1'}' codec can't encode character '\\u${bad.codePointAt(0)!.toString(16).padStart(4, '0')}'`);
    return Buffer.from(s, 'latin1');
  }
  throw new Error(`unknown encoding: ${encoding}`);
}

/** Python's `bytes.decode(encoding)` for the codecs of {@link pyEncode} (a UTF-16/32 BOM is read and dropped). */
export function pyDecode(b: Buffer, encoding: string): string {
  const e = encoding.toLowerCase().replace(/_/g, '-');
  if (['utf-16', 'utf16'].includes(e)) return b[0] === 0xfe && b[1] === 0xff ? Buffer.from(b.subarray(2)).swap16().toString('utf16le') : b.subarray(b[0] === 0xff && b[1] === 0xfe ? 2 : 0).toString('utf16le');
  if (e === 'utf-16-le' || e === 'utf-16le') return b.toString('utf16le');
  if (e === 'utf-16-be' || e === 'utf-16be') return Buffer.from(b).swap16().toString('utf16le');
  if (['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'ascii', 'us-ascii'].includes(e)) return b.toString('latin1');
  if (['utf-8', 'utf8', 'u8'].includes(e)) return b.toString('utf8');
  throw new Error(`unknown encoding: ${encoding}`);
}

/** `b64encode(encoding='utf-8')`, `b64decode(encoding='utf-8')`. Source: ansible-core 2.14 `plugins/filter/core.py`. */
export const b64encode: Filter = (v, ...args) => pyEncode(pyStr(v), pyStr(filterArgs(args).get(0, 'encoding', 'utf-8'))).toString('base64');
export const b64decode: Filter = (v, ...args) => pyDecode(Buffer.from(pyStr(v), 'base64'), pyStr(filterArgs(args).get(0, 'encoding', 'utf-8')));

/** `hash(value, hashtype='sha1')`: hex digest of the UTF-8 text. Source: Ansible docs, `hash`. */
export const hash: Filter = (v, ...args) => createHash(String(filterArgs(args).get(0, 'hashtype', 'sha1'))).update(pyStr(v), 'utf8').digest('hex');
export const md5: Filter = (v) => createHash('md5').update(pyStr(v), 'utf8').digest('hex');
export const sha1: Filter = (v) => createHash('sha1').update(pyStr(v), 'utf8').digest('hex');

/** `basename`, `dirname`: Python `os.path` (POSIX) semantics, e.g. `basename('/a/b/')` is `''`. */
export const basename: Filter = (v) => { const s = pyStr(v); return s.slice(s.lastIndexOf('/') + 1); };
export const dirname: Filter = function (v) {
  const s = pyStr(v);
  let head = s.slice(0, s.lastIndexOf('/') + 1);
  if (head !== '' && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
};
