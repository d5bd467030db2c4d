import { createRequire } from 'node:module';

/**
 * MarkupSafe's `escape()`: `&`, `<`, `>`, `"` and `'` as HTML entities (`&#34;`, `&#39;`).
 * Source: MarkupSafe `_native.py` (`escape`).
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/>/g, '&gt;').replace(/</g, '&lt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

// Python's `\w` (Unicode word characters).
const W = '[\\p{L}\\p{N}\\p{Mn}\\p{Pc}]';
const HTTP_RE = new RegExp(
  `^(?:(?:https?://|www\\.)(?:(?:(?:${W}|[%-])+\\.)+)?(?:[a-z]{2,63}|xn--(?:${W}|%){2,59})|(?:(?:${W}|[%-]){2,63}\\.)+(?:com|net|int|edu|gov|org|info|mil)|https?://(?:\\d{1,3}(?:\\.\\d{1,3}){3}|\\[(?:[\\da-f]{0,4}:){2}(?:[\\da-f]{0,4}:?){1,6}\\]))(?::\\d{1,5})?(?:[/?#]\\S*)?$`,
  'iu',
);
const EMAIL_RE = new RegExp(`^\\S+@${W}(?:${W}|[.-])*\\.${W}+$`, 'u');

/**
 * Jinja2 3.1's `urlize(trim_url_limit=None, nofollow=False, target=None, rel=None)`: links for
 * `http(s)://`, `www.` (as `https://`), bare domains of the basic TLDs, `mailto:` and email
 * addresses, with `rel="noopener"` (Jinja2's `urlize.rel` policy) and surrounding punctuation
 * kept outside the link. Source: Jinja2 3.1 `utils.py` (`urlize`) and `filters.py` (`do_urlize`).
 */
export function urlize(text: string, trimLimit: number | null, nofollow: boolean, target: string | null, rel: string | null): string {
  const relParts = new Set((rel ?? '').split(/\s+/).filter((r) => r !== ''));
  if (nofollow) relParts.add('nofollow');
  relParts.add('noopener');
  const relText = [...relParts].sort().join(' ');
  const relAttr = relText ? ` rel="${escapeHtml(relText)}"` : '';
  const targetAttr = target ? ` target="${escapeHtml(target)}"` : '';
  const trim = (x: string): string => (trimLimit !== null && Array.from(x).length > trimLimit ? `${Array.from(x).slice(0, trimLimit).join('')}...` : x);
  const words = escapeHtml(text).split(/(\s+)/u);
  return words
    .map((word) => {
      let head = '';
      let middle = word;
      let tail = '';
      const lead = /^(?:[(<]|&lt;)+/.exec(middle);
      if (lead) {
        head = lead[0];
        middle = middle.slice(lead[0].length);
      }
      if (/(?:[)>.,\n]|&gt;)$/.test(middle)) {
        const trailing = /(?:[)>.,\n]|&gt;)+$/.exec(middle);
        if (trailing) {
          tail = trailing[0];
          middle = middle.slice(0, trailing.index);
        }
      }
      for (const [open, close] of [['(', ')'], ['<', '>'], ['&lt;', '&gt;']] as const) {
        const opens = middle.split(open).length - 1;
        if (opens <= middle.split(close).length - 1) continue;
        for (let k = 0; k < Math.min(opens, tail.split(close).length - 1); k++) {
          const end = tail.indexOf(close) + close.length;
          middle += tail.slice(0, end);
          tail = tail.slice(end);
        }
      }
      if (HTTP_RE.test(middle)) {
        const href = middle.startsWith('https://') || middle.startsWith('http://') ? middle : `https://${middle}`;
        middle = `<a href="${href}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
      } else if (middle.startsWith('mailto:') && EMAIL_RE.test(middle.slice(7))) {
        middle = `<a href="${middle}">${middle.slice(7)}</a>`;
      } else if (middle.includes('@') && !middle.startsWith('www.') && !middle.includes(':') && EMAIL_RE.test(middle)) {
        middle = `<a href="mailto:${middle}">${middle}</a>`;
      }
      return head + middle + tail;
    })
    .join('');
}

/**
 * MarkupSafe's `striptags`: comments and tags removed, whitespace collapsed to single spaces,
 * HTML entities unescaped (Python's `html.unescape`, the HTML5 rules, here by the `entities`
 * library). Source: MarkupSafe 2.1 `Markup.striptags`.
 */
export function striptags(text: string): string {
  const value = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<[\s\S]*?>/g, '');
  return decodeHtml()(value.split(/[\s\x1c-\x1f\x85\u2028\u2029]+/u).filter((w) => w !== '').join(' '));
}

/**
 * Python's `urllib.parse.quote_from_bytes` of the UTF-8 text: letters, digits and `_.-~` kept,
 * plus the characters of `safe`; everything else as `%XX`.
 */
export function urlQuote(text: string, safe: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(ch) || (byte < 0x80 && safe.includes(ch)) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

let decoder: ((text: string) => string) | undefined;
/** entities' HTML decoder, loaded on first use (its tables are large and most runs need none). */
function decodeHtml(): (text: string) => string {
  decoder ??= (createRequire(import.meta.url)('entities/decode') as { decodeHTML: (text: string) => string }).decodeHTML;
  return decoder;
}
