import { describe, expect, test } from 'vitest';
import { planModule } from '@converge/core/testing';
import { systemdDaemonReload } from '../../src/systemd/daemon-reload.js';
import { systemdService } from '../../src/systemd/service.js';
import { parseUnitStatus, parseUnitsNeedingReload, type UnitStatus } from '../../src/systemd/unit-facts.js';

// Recorded on Debian 12 (systemd 252) in the converge test image.
const RECORDED: Record<string, string> = {
  ssh: 'Id=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/ssh.service\nUnitFileState=enabled\nNeedDaemonReload=no\nIsEnabled=enabled\n',
  sshdAlias: 'Id=ssh.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/ssh.service\nUnitFileState=enabled\nNeedDaemonReload=no\nIsEnabled=alias\n',
  notFound: 'Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=\nNeedDaemonReload=no\nIsEnabled=\n',
  masked: 'Id=apt-daily.timer\nLoadState=masked\nActiveState=inactive\nSubState=dead\nFragmentPath=/etc/systemd/system/apt-daily.timer\nUnitFileState=masked\nNeedDaemonReload=no\nIsEnabled=masked\n',
  static: 'Id=systemd-journald.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/lib/systemd/system/systemd-journald.service\nUnitFileState=static\nNeedDaemonReload=no\nIsEnabled=static\n',
  changedOnDisk: 'Id=demo.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/etc/systemd/system/demo.service\nUnitFileState=disabled\nNeedDaemonReload=yes\nIsEnabled=disabled\n',
  newFile: 'Id=demo.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nFragmentPath=/etc/systemd/system/demo.service\nUnitFileState=disabled\nNeedDaemonReload=no\nIsEnabled=disabled\n',
};
const unit = (k: string): UnitStatus => parseUnitStatus(RECORDED[k] as string);

describe('fact systemd.unit', () => {
  test('parses systemctl show', () => {
    expect(unit('changedOnDisk')).toEqual({
      id: 'demo.service', loadState: 'loaded', activeState: 'active', subState: 'running', unitFileState: 'disabled',
      needDaemonReload: true, fragmentPath: '/etc/systemd/system/demo.service', isEnabled: 'disabled',
    });
    expect(unit('notFound')).toMatchObject({ loadState: 'not-found', unitFileState: '', fragmentPath: '' });
  });
  test('no LoadState (systemd not running) is an error with the stderr', () => {
    expect(() => parseUnitStatus('', 'System has not been booted with systemd as init system (PID 1).')).toThrow(/is systemd running/);
  });
  test('units needing a reload, from systemctl show *', () => {
    const out = 'Id=dbus.socket\nNeedDaemonReload=no\n\nId=demo.service\nNeedDaemonReload=yes\n\nId=a.mount\nNeedDaemonReload=yes\n';
    expect(parseUnitsNeedingReload(out)).toEqual(['a.mount', 'demo.service']);
  });
});

describe('module systemd.service', () => {
  test.each([
    { case: 'started and enabled: nothing to do', params: { name: 'ssh', state: 'started', enabled: true }, u: 'ssh', changes: [], scripts: [] },
    { case: 'an alias counts as enabled', params: { name: 'sshd', enabled: true }, u: 'sshdAlias', changes: [], scripts: [] },
    { case: 'stop and disable', params: { name: 'ssh', state: 'stopped', enabled: false }, u: 'ssh', changes: ['enabled', 'state'], scripts: ['systemctl disable -- ssh', 'systemctl stop -- ssh'] },
    { case: 'restarted always acts', params: { name: 'ssh', state: 'restarted' }, u: 'ssh', changes: ['state'], scripts: ['systemctl restart -- ssh'] },
    {
      case: 'reloaded reloads a running unit, starts a stopped one',
      params: { name: 'ssh', state: 'reloaded' }, u: 'ssh', changes: ['state'],
      scripts: ['if systemctl is-active -q -- ssh; then systemctl reload -- ssh; else systemctl start -- ssh; fi'],
    },
    { case: 'a static unit is both enabled and disabled', params: { name: 'systemd-journald', enabled: false }, u: 'static', changes: [], scripts: [] },
    { case: 'unmask, then enable and start', params: { name: 'apt-daily.timer', masked: false, enabled: true, state: 'started' }, u: 'masked', changes: ['masked', 'enabled', 'state'], scripts: ['systemctl unmask -- apt-daily.timer', 'systemctl enable -- apt-daily.timer', 'systemctl start -- apt-daily.timer'] },
    { case: 'stop, then mask', params: { name: 'ssh', state: 'stopped', masked: true }, u: 'ssh', changes: ['state', 'masked'], scripts: ['systemctl stop -- ssh', 'systemctl mask -- ssh'] },
    { case: 'C-20: a changed unit file is reloaded before start and enable', params: { name: 'demo', state: 'started', enabled: true }, u: 'changedOnDisk', changes: ['daemon_reload', 'enabled'], scripts: ['systemctl daemon-reload', 'systemctl enable -- demo'] },
    { case: 'C-20: a new unit file: enable and start', params: { name: 'demo', state: 'started', enabled: true }, u: 'newFile', changes: ['enabled', 'state'], scripts: ['systemctl enable -- demo', 'systemctl start -- demo'] },
    { case: 'stopped on a missing unit: nothing to stop', params: { name: 'nosuch', state: 'stopped' }, u: 'notFound', changes: [], scripts: [] },
  ])('$case', ({ params, u, changes, scripts }) => {
    const r = planModule(systemdService, { params, facts: { unit: unit(u) } });
    expect(r.changes.map((c) => c.path)).toEqual(changes);
    expect(r.commands.map((c) => String(c.script))).toEqual(scripts);
    if (changes.length === 0) expect(r.reason).toBeTruthy();
  });

  test('C-20 in check mode: a unit an earlier task writes is predicted, not "not found"', () => {
    const r = planModule(systemdService, { params: { name: 'demo', state: 'started', enabled: true }, facts: { unit: unit('notFound') }, upstreamChanged: true, host: { check: true } });
    expect(r.changes).toEqual([
      { path: 'daemon_reload', before: 'unit files changed earlier in this run', after: 'reloaded' },
      { path: 'enabled', before: false, after: true },
      { path: 'state', before: 'inactive', after: 'started' },
    ]);
  });

  test('starting a unit that does not exist is an error with a hint', () => {
    expect(() => planModule(systemdService, { params: { name: 'nosuch', state: 'started' }, facts: { unit: unit('notFound') } })).toThrow(/unit nosuch not found/);
  });

  test('starting a masked unit is an error', () => {
    expect(() => planModule(systemdService, { params: { name: 'apt-daily.timer', state: 'started' }, facts: { unit: unit('masked') } })).toThrow(/is masked/);
  });

  test('daemon_reload: true reloads for other units changed on disk', () => {
    const r = planModule(systemdService, { params: { name: 'ssh', daemon_reload: true }, facts: { unit: unit('ssh'), pending: ['demo.service'] } });
    expect(r.commands.map((c) => String(c.script))).toEqual(['systemctl daemon-reload']);
  });

  test.each([{ name: 'x' }, { name: 'x', masked: true, state: 'started' }, { name: 'a/b', state: 'started' }])('rejects %j', (params) => {
    expect(() => planModule(systemdService, { params, facts: { unit: unit('ssh') } })).toThrow();
  });
});

describe('module systemd.daemon_reload', () => {
  test.each([
    { pending: [], upstreamChanged: false, n: 0 },
    { pending: ['demo.service'], upstreamChanged: false, n: 1 },
    { pending: [], upstreamChanged: true, n: 1 },
  ])('pending $pending, upstream changed $upstreamChanged -> $n change(s)', ({ pending, upstreamChanged, n }) => {
    const r = planModule(systemdDaemonReload, { params: {}, facts: { pending }, upstreamChanged });
    expect(r.changes).toHaveLength(n);
    expect(r.commands.map((c) => String(c.script))).toEqual(n ? ['systemctl daemon-reload'] : []);
  });
});
