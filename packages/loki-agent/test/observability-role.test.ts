// roles/observability's `observability` var: a var the role does not know is refused with its
// path (the role's tasks read the var through observabilityVarsOf); `alloy` is alloy.config params.
import { describe, expect, test } from 'vitest';
import type { TaskContext } from '@converge/core';
import { observabilityVarsOf } from '../../../roles/observability/src/index.js';

const of = (observability: unknown) => observabilityVarsOf({ vars: { observability } } as unknown as TaskContext);
const alloy = { journal: {}, endpoints: [{ url: 'https://logs.example.test/loki/api/v1/push' }] };

describe('roles/observability vars', () => {
  test.each([
    [{ grafana_key: 'KEY', alloy, alloy_verison: '1.5.*' }, 'observability.alloy_verison'],
    [{ grafana_key: 'KEY', alloy, instal: false }, 'observability.instal'],
  ])('refused: %j', (vars, path) => {
    expect(() => of(vars)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: `role observability: ${path} is not a var of the role (known: grafana_key, alloy, alloy_version, install)` }));
  });

  test('the documented vars pass as they are; a host without the var has none', () => {
    const vars = { grafana_key: 'KEY', alloy, alloy_version: '1.5.*', install: false };
    expect(of(vars)).toBe(vars);
    expect(of(undefined)).toBeUndefined();
  });
});
