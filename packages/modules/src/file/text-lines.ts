/**
 * Text of a file as edit modules see it: a binary string (one char per byte, latin1), so that
 * bytes survive whatever their encoding; params (lines, regexps) are turned into the same form
 * with {@link toBinary}, which matches Ansible's byte-wise edits.
 */

/** UTF-8 bytes of `s` as a binary string. */
export function toBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A binary string back to text for display (invalid UTF-8 becomes U+FFFD). */
export function fromBinary(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** One line: its text without the line ending, and the ending (`\n`, `\r\n` or none on a last line). */
export interface Line {
  text: string;
  eol: '' | '\n' | '\r\n';
}

/** Splits on `\n` (a lone `\r` is content, as in Ansible's lineinfile, which reads with `readlines()`). */
export function splitLines(content: string): Line[] {
  if (content === '') return [];
  const out: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf('\n', start);
    if (nl < 0) {
      out.push({ text: content.slice(start), eol: '' });
      break;
    }
    if (nl > start && content[nl - 1] === '\r') out.push({ text: content.slice(start, nl - 1), eol: '\r\n' });
    else out.push({ text: content.slice(start, nl), eol: '\n' });
    start = nl + 1;
  }
  return out;
}

/** Joins lines back into content. */
export function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/**
 * Line ending for lines converge adds: `\r\n` in a file whose every ended line ends with `\r\n`,
 * else `\n` (Ansible always writes `\n`, turning a CRLF file into a mixed one).
 */
export function newlineOf(lines: readonly Line[]): '\n' | '\r\n' {
  const ended = lines.filter((l) => l.eol !== '');
  return ended.length > 0 && ended.every((l) => l.eol === '\r\n') ? '\r\n' : '\n';
}
