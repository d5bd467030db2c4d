import { splitKwargs } from './python-methods.js';
import { strict } from './undefined.js';

/** Python `range(stop)` / `range(start, stop[, step])` as a list. Source: Jinja2 docs, "List of Global Functions". */
export function pyRange(...args: unknown[]): number[] {
  const n = args.map((a) => Number(strict(a)));
  const [start, stop, step] = n.length === 1 ? [0, n[0] ?? 0, 1] : [n[0] ?? 0, n[1] ?? 0, n[2] ?? 1];
  if (step === 0) throw new RangeError('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** The global functions of Jinja2 that Ansible templates use: `range` and `dict(key=value)`. */
export const jinjaGlobals: Record<string, unknown> = {
  range: pyRange,
  dict: (...args: unknown[]) => {
    const { positional, kwargs } = splitKwargs(args);
    const base = positional[0];
    const entries: [string, unknown][] = Array.isArray(base) ? (base as unknown[][]).map((p) => [String(p[0]), p[1]]) : typeof base === 'object' && base !== null ? Object.entries(base) : [];
    return { ...Object.fromEntries(entries), ...kwargs };
  },
};
