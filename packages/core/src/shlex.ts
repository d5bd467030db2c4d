/**
 * Splits a command line into words the way Python's `shlex.split(s)` does in POSIX mode, which
 * is how Ansible's `command` module turns its free-form `cmd` into argv: whitespace separates
 * words; single quotes keep everything literally; inside double quotes a backslash escapes only
 * `"` and `\`; outside quotes a backslash escapes any character. No variables, globs or
 * operators are interpreted (`command` runs no shell).
 *
 * Source: Python docs, `shlex` — "Parsing Rules" (POSIX mode).
 *
 * @throws Error when a quote is not closed or the line ends in a lone backslash.
 * @example shlexSplit(`echo "a b" 'c'\\ d`) // ['echo', 'a b', 'c d']
 */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`no closing quotation in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i] as string;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      if (!closed) throw new Error(`no closing quotation in ${JSON.stringify(line)}`);
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`no escaped character at the end of ${JSON.stringify(line)}`);
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
