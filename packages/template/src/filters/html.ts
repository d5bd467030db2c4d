/**
 * MarkupSafe's `escape()`: `&`, `<`, `>`, `"` and `'` as HTML entities (`&#34;`, `&#39;`).
 * Source: MarkupSafe `_native.py` (`escape`).
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/>/g, '&gt;').replace(/</g, '&lt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}
