import { InventoryRuleError } from './inventory-error.js';

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** True when a host name holds a range to expand; Ansible's test is just "contains `[`" (`detect_range`). */
export function hasHostRange(name: string): boolean {
  return name.includes('[');
}

/**
 * Expands the host ranges of a name, such as `web[01:03]`, `db-[a:c]`, `n[0:10:5]` or
 * `[1:3].db.example.test`, into host names, left-most range first.
 *
 * Follows `expand_hostname_range` of ansible-core 2.14 (lib/ansible/plugins/inventory/__init__.py):
 * `[begin:end]` or `[begin:end:step]`, inclusive; an empty begin is 0; a begin with a leading zero
 * sets the width (begin and end must then have the same length); single ASCII letters give letter
 * ranges (`[a:c]`, and across cases in the order a-z then A-Z); a begin greater than the end gives
 * no hosts for numbers and an error for letters.
 * See https://docs.ansible.com/ansible/latest/inventory_guide/intro_inventory.html#adding-ranges-of-hosts
 *
 * @throws InventoryRuleError for a malformed range (missing end, unequal widths, bad step, ...).
 * @example expandHostRange('web[01:03]') // ['web01', 'web02', 'web03']
 */
export function expandHostRange(name: string): string[] {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  const close = name.indexOf(']', open);
  if (close < 0 || name.indexOf('[', open + 1) >= 0 && name.indexOf('[', open + 1) < close) {
    throw new InventoryRuleError(`host range in "${name}" is not closed with "]"`);
  }
  if (name.slice(0, open).includes(']')) throw new InventoryRuleError(`host range in "${name}" has a "]" before its "["`);
  const head = name.slice(0, open);
  const body = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const bounds = body.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new InventoryRuleError(`host range "[${body}]" in "${name}" must be begin:end or begin:end:step`);
  }
  const beg = bounds[0] || '0';
  const end = bounds[1] ?? '';
  const stepText = bounds[2] ?? '1';
  if (end === '') throw new InventoryRuleError(`host range "[${body}]" in "${name}" must specify an end value`);
  const step = parsePythonIntText(stepText);
  if (step === undefined) throw new InventoryRuleError(`host range "[${body}]" in "${name}" has a step that is not an integer: "${stepText}"`);
  if (step === 0) throw new InventoryRuleError(`host range "[${body}]" in "${name}" has a step of 0`);

  let fill = (x: string): string => x;
  if (beg.startsWith('0') && beg.length > 1) {
    if (beg.length !== end.length) {
      throw new InventoryRuleError(`host range "[${body}]" in "${name}" must have begin and end of equal length (${beg} vs ${end}) when begin has a leading zero`);
    }
    fill = (x) => x.padStart(beg.length, '0');
  }

  let seq: string[];
  // Python's `ascii_letters.index(x)` finds a substring, so `[ab:cd]` is a letter range too.
  const iBeg = ASCII_LETTERS.indexOf(beg);
  const iEnd = ASCII_LETTERS.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new InventoryRuleError(`host range "[${body}]" in "${name}" must have begin <= end`);
    seq = step > 0 ? everyNth(ASCII_LETTERS.slice(iBeg, iEnd + 1).split(''), step) : [];
  } else {
    const b = parsePythonIntText(beg);
    const e = parsePythonIntText(end);
    if (b === undefined || e === undefined) {
      throw new InventoryRuleError(`host range "[${body}]" in "${name}" must be numbers or single letters`);
    }
    seq = [];
    if (step > 0) for (let i = b; i <= e; i += step) seq.push(String(i));
    else for (let i = b; i > e + 1; i += step) seq.push(String(i));
  }
  const out: string[] = [];
  for (const x of seq) {
    const hname = head + fill(x) + tail;
    if (hasHostRange(hname)) out.push(...expandHostRange(hname));
    else out.push(hname);
  }
  return out;
}

/** Python's `int(text)` for base-10 text (spaces, a sign and `_` between digits allowed). */
function parsePythonIntText(text: string): number | undefined {
  if (!/^\s*[-+]?\d(?:_?\d)*\s*$/.test(text)) return undefined;
  return Number.parseInt(text.replace(/_/g, ''), 10);
}

/** Python's `seq[::step]` for a positive step. */
function everyNth<T>(seq: T[], step: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < seq.length; i += step) out.push(seq[i] as T);
  return out;
}
