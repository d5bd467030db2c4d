import { ConvergeError } from '@converge/core';
import type { HostOrder, Play } from '@converge/core';

const ORDERS: readonly HostOrder[] = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'];

/**
 * The play's hosts in the order its `order` asks for (Ansible's `order` play keyword): the
 * inventory order, reversed, sorted by name (code point order, as Python's `sorted`), reverse
 * sorted, or shuffled. Returns a new array.
 */
export function orderHosts<T>(hosts: readonly T[], order: HostOrder | undefined, name: (h: T) => string, random: () => number = Math.random): T[] {
  const out = [...hosts];
  const byName = (a: T, b: T) => {
    const x = name(a);
    const y = name(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  switch (order ?? 'inventory') {
    case 'reverse_inventory':
      return out.reverse();
    case 'sorted':
      return out.sort(byName);
    case 'reverse_sorted':
      return out.sort(byName).reverse();
    case 'shuffle':
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    default:
      return out;
  }
}

/** One `serial` entry as a batch size, as Ansible's `pct_to_int`: `'N%'` of `total` rounded down (at least 1), else the number. */
function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'string' && entry.trim().endsWith('%')) {
    const pct = Number(entry.trim().slice(0, -1));
    return Math.trunc((pct / 100) * total) || 1;
  }
  return Math.trunc(Number(entry));
}

/**
 * Splits a play's hosts into serial batches, as Ansible's `_get_serialized_batches`: each entry
 * of `serial` gives the size of the next batch (a number, or a percentage of all the play's
 * hosts), the last entry repeats until every host is in a batch, and a size of 0 (or no
 * `serial`) puts all remaining hosts in one batch. No host list gives no batch.
 * Call {@link checkPlayControl} first: entries are assumed valid.
 */
export function serialBatches<T>(hosts: readonly T[], serial: Play['serial']): T[][] {
  const list = serial === undefined ? [] : Array.isArray(serial) ? serial : [serial];
  const entries = list.length === 0 ? [0] : list;
  const rest = [...hosts];
  const batches: T[][] = [];
  let item = 0;
  while (rest.length > 0) {
    const size = batchSize(entries[item] as number | string, hosts.length);
    if (size <= 0) {
      batches.push(rest.splice(0));
      break;
    }
    batches.push(rest.splice(0, size));
    item = Math.min(item + 1, entries.length - 1);
  }
  return batches;
}

/**
 * Problems with a play's execution options (`serial`, `maxFailPercentage`, `anyErrorsFatal`,
 * `order`), as ConvergeErrors (`CONVERGE_PLAYBOOK`) naming the play, so that they are reported
 * before any host is contacted.
 */
export function checkPlayControl(play: Play): ConvergeError[] {
  const errors: ConvergeError[] = [];
  const bad = (what: string, hint: string) => errors.push(new ConvergeError('CONVERGE_PLAYBOOK', `play "${play.name}": ${what}`, { hint }));
  if (play.serial !== undefined) {
    const entries = Array.isArray(play.serial) ? play.serial : [play.serial];
    for (const e of entries) {
      const ok =
        (typeof e === 'number' && Number.isInteger(e) && e >= 0) ||
        (typeof e === 'string' && (/^\s*\d+\s*$/.test(e) || /^\s*\d+(\.\d+)?%\s*$/.test(e)));
      if (!ok) bad(`serial ${JSON.stringify(e)} is not a number of hosts or a percentage`, "use a whole number >= 0 (2), a percentage ('30%'), or a list of them ([1, '50%'])");
    }
  }
  const mfp = play.maxFailPercentage;
  if (mfp !== undefined && (typeof mfp !== 'number' || !Number.isFinite(mfp) || mfp < 0 || mfp > 100)) {
    bad(`maxFailPercentage ${JSON.stringify(mfp)} is not a percentage`, 'use a number from 0 to 100');
  }
  if (play.anyErrorsFatal !== undefined && typeof play.anyErrorsFatal !== 'boolean') bad(`anyErrorsFatal must be true or false`, 'anyErrorsFatal: true');
  if (play.order !== undefined && !ORDERS.includes(play.order)) {
    bad(`order ${JSON.stringify(play.order)} is not known`, `one of ${ORDERS.join(', ')}`);
  }
  return errors;
}
