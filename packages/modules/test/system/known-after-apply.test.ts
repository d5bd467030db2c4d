import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core';
import { apt } from '../../src/apt/apt.js';
import { parseUnitEffects } from '../../src/apt/unit-effects.js';
import { systemdService } from '../../src/systemd/service.js';
import { parseUnitStatus, unitAfterInstall } from '../../src/systemd/unit-facts.js';

// Recorded with the fact's command on Debian 12 in the converge test image (`apt.unit_effects`
// of nginx-light): the closure, each .deb's service units and the postinst lines that enable
// and start them (nginx-common's, made by dh_installsystemd).
const NGINX_LIGHT = [
  'closure nginx-common',
  'nginx',
  'libnginx-mod-http-echo',
  'nginx-light',
  'deb libnginx-mod-http-echo',
  'deb nginx-common',
  'unit nginx.service yes',
  "script \t\tdeb-systemd-helper enable 'nginx.service' >/dev/null || true",
  "script \t\tdeb-systemd-invoke $_dh_action 'nginx.service' >/dev/null || true",
  'deb nginx-light',
  'deb nginx',
  '',
].join('\n');
const NOT_FOUND = 'Id=nginx.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=\nNeedDaemonReload=no\nIsEnabled=\n';

describe('apt.unit_effects', () => {
  test.each<[string, string, ReturnType<typeof parseUnitEffects>]>([
    ['a package whose maintainer scripts enable and start its unit', NGINX_LIGHT, { units: { 'nginx.service': { enabled: true, installable: true, started: true } } }],
    ['a unit the scripts neither enable nor start (--no-enable --no-start)', 'deb x\nunit x.service yes\n', { units: { 'x.service': { enabled: false, installable: true, started: false } } }],
    ['a static unit (no [Install] section)', "deb y\nunit y.service no\nscript deb-systemd-invoke start 'y.service'\n", { units: { 'y.service': { enabled: false, installable: false, started: true } } }],
    ['policy-rc.d forbids the start', `${NGINX_LIGHT}policy nginx.service 101\n`, { units: { 'nginx.service': { enabled: true, installable: true, started: false } } }],
    ['lists that do not know the package', 'error apt-get -s install: E: Unable to locate package nosuch \n', { unknown: 'apt-get -s install: E: Unable to locate package nosuch ' }],
  ])('%s', (_what, stdout, value) => {
    expect(parseUnitEffects(stdout)).toEqual(value);
  });
});

describe('check mode after a package install: known, or known after apply', () => {
  const effects = parseUnitEffects(NGINX_LIGHT);
  const installed = { installed: {}, missing: { 'nginx-light': { installed: null, candidate: '1.22.1-9+deb12u12' } } };

  test('apt predicts the units its packages bring, as their maintainer scripts leave them', () => {
    const r = planModule(apt, { params: { name: ['nginx-light'] }, facts: { ...installed, effects }, host: { check: true } });
    expect(r.changes).toEqual([{ path: 'packages.nginx-light', before: null, after: 'installed' }]);
    expect(r.plan.predicts).toEqual({ 'unit:nginx.service': unitAfterInstall('nginx.service', { enabled: true, installable: true, started: true }) });
    expect(r.plan.unknown).toBeUndefined();
    // effects that could not be read predict nothing
    expect(planModule(apt, { params: { name: ['nginx-light'] }, facts: { ...installed, effects: { unknown: 'no lists' } }, host: { check: true } }).plan.predicts).toBeUndefined();
  });

  test.each([
    ['started and enabled by the package: nothing left to do (the real run reports ok)', { name: 'nginx', state: 'started', enabled: true }, [], undefined],
    ['a reload handler: only the reload, no daemon-reload', { name: 'nginx', state: 'reloaded' }, [{ path: 'state', before: 'active', after: 'reloaded' }], undefined],
    ['stopped and disabled: certain changes', { name: 'nginx', state: 'stopped', enabled: false }, [{ path: 'enabled', before: true, after: false }, { path: 'state', before: 'active', after: 'stopped' }], undefined],
  ])('systemd.service with the prediction: %s', (_what, params, changes, unknown) => {
    const predicted = planModule(apt, { params: { name: ['nginx-light'] }, facts: { ...installed, effects }, host: { check: true } }).plan.predicts;
    const r = planModule(systemdService, { params, facts: { unit: parseUnitStatus(NOT_FOUND) }, host: { check: true }, upstreamChanged: true, ...(predicted ? { predicted } : {}) });
    expect(r.changes).toEqual(changes);
    expect(r.plan.unknown).toBe(unknown);
  });

  test('systemd.service without a prediction says its change is known after apply', () => {
    const r = planModule(systemdService, { params: { name: 'nginx', state: 'started', enabled: true }, facts: { unit: parseUnitStatus(NOT_FOUND) }, host: { check: true }, upstreamChanged: true });
    expect(r.changes.map((c) => c.path)).toEqual(['daemon_reload', 'enabled', 'state']);
    expect(r.plan.unknown).toMatch(/known after it runs/);
  });
});
