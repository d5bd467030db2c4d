// The rules of planning in check mode after earlier changes (upstreamChanged), as data tables.
import { describe, expect, test } from 'vitest';
import { ConvergeError } from '@converge/core';
import { changeNotKnownYet, NOT_KNOWN_YET, predictingEarlierChanges, requirePrerequisite } from '../../src/index.js';

const host = (check: boolean) => ({ name: 'h', vars: {}, user: 'root', check, diff: true });

describe('requirePrerequisite: refused when missing, unless an earlier task may provide it', () => {
  test.each([
    [true, false, 'goes on'],
    [true, true, 'goes on'],
    [false, true, 'goes on'],
    [false, false, 'refused'],
  ])('present %s, upstreamChanged %s: %s', (present, upstreamChanged, outcome) => {
    const run = () => requirePrerequisite(present, upstreamChanged, () => new ConvergeError('CONVERGE_PLAN', 'x: the host has no y', { hint: 'install y first' }));
    if (outcome === 'refused') expect(run).toThrow(/x: the host has no y/);
    else expect(run).not.toThrow();
  });
});

describe('predictingEarlierChanges: values read from the host predate earlier changes', () => {
  test.each([
    [true, true, true],
    [true, false, false],
    [false, true, false],
    [false, false, false],
  ])('check %s, upstreamChanged %s: %s', (check, upstreamChanged, predicting) => {
    expect(predictingEarlierChanges({ host: host(check), upstreamChanged })).toBe(predicting);
  });

  test('a change the facts cannot tell yet says so in its before', () => {
    expect(changeNotKnownYet('live', '1')).toEqual({ path: 'live', before: NOT_KNOWN_YET, after: '1' });
    expect(NOT_KNOWN_YET).toBe('not known before an earlier task runs');
  });
});
