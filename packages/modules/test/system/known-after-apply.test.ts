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
// Recorded the same way from nftables 1.0.6-2+deb12u2 (dh_installsystemd --no-enable, and a
// try-restart on upgrades only) and keepalived 1:2.2.7-1+b2 (its unit starts only with a
// non-empty keepalived.conf).
const NFTABLES = [
  'closure nftables',
  'deb nftables',
  'unit nftables.service yes',
  "script \tif deb-systemd-helper debian-installed 'nftables.service'; then",
  "script \t\t\tdeb-systemd-helper enable 'nftables.service' >/dev/null || true",
  "script \t\t\tdeb-systemd-invoke try-restart 'nftables.service' >/dev/null || true",
  '',
].join('\n');
const KEEPALIVED = [
  'closure keepalived',
  'deb keepalived',
  'unit keepalived.service yes',
  'conditions keepalived.service',
  "script \t\tdeb-systemd-helper enable 'keepalived.service' >/dev/null || true",
  "script \t\tdeb-systemd-invoke $_dh_action 'keepalived.service' >/dev/null || true",
  '',
].join('\n');
const NOT_FOUND = 'Id=nginx.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=\nNeedDaemonReload=no\nIsEnabled=\n';

describe('apt.unit_effects', () => {
  test.each<[string, string, ReturnType<typeof parseUnitEffects>]>([
    ['a package whose maintainer scripts enable and start its unit', NGINX_LIGHT, { units: { 'nginx.service': { enabled: true, installable: true, started: true, conditional: false } } }],
    ['a unit the scripts neither enable nor start (--no-enable --no-start)', 'deb x\nunit x.service yes\n', { units: { 'x.service': { enabled: false, installable: true, started: false, conditional: false } } }],
    ['a static unit (no [Install] section)', "deb y\nunit y.service no\nscript deb-systemd-invoke start 'y.service'\n", { units: { 'y.service': { enabled: false, installable: false, started: true, conditional: false } } }],
    ['policy-rc.d forbids the start', `${NGINX_LIGHT}policy nginx.service 101\n`, { units: { 'nginx.service': { enabled: true, installable: true, started: false, conditional: false } } }],
    ['built with --no-enable: the enable runs only where the unit was installed before (nftables)', NFTABLES, { units: { 'nftables.service': { enabled: false, installable: true, started: false, conditional: false } } }],
    ['a start its unit\'s conditions decide (keepalived: ConditionFileNotEmpty)', KEEPALIVED, { units: { 'keepalived.service': { enabled: true, installable: true, started: true, conditional: true } } }],
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

  test('a unit whose start its conditions decide is not predicted; a --no-enable unit is predicted disabled and inactive', () => {
    const missing = { installed: {}, missing: { keepalived: { installed: null, candidate: '1:2.2.7-1+b2' }, nftables: { installed: null, candidate: '1.0.6-2+deb12u2' } } };
    const both = { units: { ...(parseUnitEffects(KEEPALIVED) as { units: object }).units, ...(parseUnitEffects(NFTABLES) as { units: object }).units } };
    const r = planModule(apt, { params: { name: ['keepalived', 'nftables'] }, facts: { ...missing, effects: both }, host: { check: true } });
    expect(r.plan.predicts).toEqual({ 'unit:nftables.service': unitAfterInstall('nftables.service', { enabled: false, installable: true, started: false }) });
    // so a later task wanting keepalived running says known after apply, and one wanting nftables enabled a certain change
    const keepalived = planModule(systemdService, { params: { name: 'keepalived', state: 'started', enabled: true }, facts: { unit: parseUnitStatus(NOT_FOUND.replaceAll('nginx', 'keepalived')) }, host: { check: true }, upstreamChanged: true, predicted: r.plan.predicts });
    expect(keepalived.plan.unknown).toBeDefined();
    const nftables = planModule(systemdService, { params: { name: 'nftables', enabled: true }, facts: { unit: parseUnitStatus(NOT_FOUND.replaceAll('nginx', 'nftables')) }, host: { check: true }, upstreamChanged: true, predicted: r.plan.predicts });
    expect(nftables.plan.unknown).toBeUndefined();
    expect(nftables.changes).toEqual([{ path: 'enabled', before: false, after: true }]);
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
