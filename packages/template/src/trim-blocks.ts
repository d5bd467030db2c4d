/**
 * Applies Jinja2's `trim_blocks` where nunjucks does not: after a comment `{# ... #}` and after
 * `{% endraw %}`, Jinja2 removes one newline; nunjucks trims only after block tags. The newline
 * is moved into an added empty comment (`{#\n#}`), so line numbers in errors stay right.
 * Source: Jinja2 docs, "Whitespace Control" (`trim_blocks` applies to block and comment tags).
 */
export function trimAfterCommentsAndRaw(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const raw = /\{%-?\s*raw\s*-?%\}/y;
    raw.lastIndex = i;
    if (raw.test(source)) {
      const end = /\{%-?\s*endraw\s*-?%\}/g;
      end.lastIndex = raw.lastIndex;
      const m = end.exec(source);
      if (!m) return out + source.slice(i);
      const stop = m.index + m[0].length;
      out += source.slice(i, stop);
      i = stop;
      if (!m[0].endsWith('-%}') && source[i] === '\n') {
        out += '{#\n#}';
        i += 1;
      }
      continue;
    }
    if (source.startsWith('{#', i)) {
      const close = source.indexOf('#}', i + 2);
      if (close < 0) return out + source.slice(i);
      const stop = close + 2;
      out += source.slice(i, stop);
      i = stop;
      if (source[close - 1] !== '-' && source[i] === '\n') {
        out += '{#\n#}';
        i += 1;
      }
      continue;
    }
    const next = source.slice(i + 1).search(/\{[#%]/);
    const stop = next < 0 ? source.length : i + 1 + next;
    out += source.slice(i, stop);
    i = stop;
  }
  return out;
}
