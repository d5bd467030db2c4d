import { describe, expect, it } from 'vitest';
import type { Play } from '@converge/core';
import { checkPlayControl, orderHosts, serialBatches } from './serial-batches.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizes = (n: number, serial: Play['serial']) => serialBatches(hosts(n), serial).map((b) => b.length);

describe('serialBatches (Ansible _get_serialized_batches)', () => {
  it.each([
    { n: 5, serial: undefined, want: [5] },
    { n: 5, serial: 0, want: [5] },
    { n: 5, serial: [], want: [5] },
    { n: 5, serial: 1, want: [1, 1, 1, 1, 1] },
    { n: 5, serial: 2, want: [2, 2, 1] },
    { n: 5, serial: '2', want: [2, 2, 1] },
    { n: 10, serial: '30%', want: [3, 3, 3, 1] },
    // int(0.29 * 100) is 28 in Python: floating point, reproduced.
    { n: 100, serial: '29%', want: [28, 28, 28, 16] },
    // A percentage that rounds down to 0 hosts is 1 host.
    { n: 3, serial: '10%', want: [1, 1, 1] },
    { n: 10, serial: [1, 3, '50%'], want: [1, 3, 5, 1] },
    { n: 6, serial: [1, 0], want: [1, 5] },
    { n: 0, serial: 2, want: [] },
  ])('$n hosts, serial $serial -> $want', ({ n, serial, want }) => {
    expect(sizes(n, serial as Play['serial'])).toEqual(want);
  });

  it('keeps the hosts in order across batches', () => {
    expect(serialBatches(hosts(5), [1, 2])).toEqual([['h1'], ['h2', 'h3'], ['h4', 'h5']]);
  });
});

describe('orderHosts (Ansible order)', () => {
  const list = ['web2', 'db1', 'web10', 'app'];
  it.each([
    { order: undefined, want: ['web2', 'db1', 'web10', 'app'] },
    { order: 'inventory', want: ['web2', 'db1', 'web10', 'app'] },
    { order: 'reverse_inventory', want: ['app', 'web10', 'db1', 'web2'] },
    { order: 'sorted', want: ['app', 'db1', 'web10', 'web2'] },
    { order: 'reverse_sorted', want: ['web2', 'web10', 'db1', 'app'] },
  ] as const)('$order', ({ order, want }) => {
    expect(orderHosts(list, order, (h) => h)).toEqual(want);
    expect(list).toEqual(['web2', 'db1', 'web10', 'app']);
  });

  it('shuffle gives a permutation that follows the random source', () => {
    const seq = [0.9, 0.1, 0.5];
    let i = 0;
    const shuffled = orderHosts(list, 'shuffle', (h) => h, () => seq[i++ % seq.length] as number);
    expect([...shuffled].sort()).toEqual([...list].sort());
    // Fisher-Yates from the end: i=3 j=3, i=2 j=0, i=1 j=1.
    expect(shuffled).toEqual(['web10', 'db1', 'web2', 'app']);
  });
});

describe('checkPlayControl', () => {
  const play = (extra: Partial<Play>): Play => ({ name: 'rolling', hosts: 'all', ...extra });
  it('accepts good options', () => {
    expect(checkPlayControl(play({ serial: [1, '25%', '100%'], maxFailPercentage: 0, anyErrorsFatal: true, order: 'sorted' }))).toEqual([]);
  });
  it.each([
    { extra: { serial: -1 }, text: 'serial -1' },
    { extra: { serial: 1.5 }, text: 'serial 1.5' },
    { extra: { serial: 'half' }, text: 'serial "half"' },
    { extra: { serial: [1, 'x%'] }, text: 'serial "x%"' },
    { extra: { maxFailPercentage: 101 }, text: 'maxFailPercentage 101' },
    { extra: { maxFailPercentage: '5' }, text: 'maxFailPercentage "5"' },
    { extra: { order: 'random' }, text: 'order "random"' },
    { extra: { anyErrorsFatal: 'yes' }, text: 'anyErrorsFatal' },
  ])('refuses $text', ({ extra, text }) => {
    const errors = checkPlayControl(play(extra as Partial<Play>));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('CONVERGE_PLAYBOOK');
    expect(errors[0]?.message).toContain('play "rolling"');
    expect(errors[0]?.message).toContain(text);
  });
});
