// Plans and apply steps of maxscale.config from recorded facts: the file write, the decision
// between maxctrl and a restart when MaxScale runs, and secrecy.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState, UnitStatus } from '@converge/modules';
import { deriveMaxscaleConfig, maxscaleConfig } from '../src/index.js';
import type { MaxscaleConfigParams } from '../src/index.js';

const params = (): MaxscaleConfigParams => ({
  servers: [{ name: 'db1', address: '10.0.0.21' }, { name: 'db2', address: '10.0.0.22' }],
  monitor: { user: 'maxscale_monitor', password: secret('monitor-pw-1') },
  service: { user: 'maxscale', password: secret('service-pw-1') },
});
const rendered = (p: MaxscaleConfigParams) => deriveMaxscaleConfig(p).text;
const file = (path: string, content: string, mode = '0640', group = 'maxscale'): FileState => ({
  path,
  type: 'file',
  parentExists: true,
  target: { type: 'file', mode, owner: 'root', group, uid: 0, gid: 999, size: content.length, inode: '1:1', sha256: createHash('sha256').update(content).digest('hex'), content },
});
const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
const unit = (activeState: string): UnitStatus => ({ id: 'maxscale.service', loadState: 'loaded', activeState, subState: '', unitFileState: 'enabled', needDaemonReload: false, fragmentPath: '', isEnabled: 'enabled' });
const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));

describe('maxscale.config plan', () => {
  it('writes a new file 0640 root:maxscale, checked by maxscale --config-check where installed; MaxScale not running: nothing else', () => {
    const r = planModule(maxscaleConfig, { params: params(), facts: { config: absent('/etc/maxscale.cnf'), unit: unit('inactive') } });
    expect(r.changes.map((c) => c.path)).toEqual(['state', 'content', 'mode', 'owner', 'group']);
    expect(r.changes).toContainEqual({ path: 'group', before: null, after: 'maxscale' });
    const s = scripts(r);
    expect(s).toHaveLength(1);
    expect(s[0]).toContain('maxscale --config-check --user=maxscale --config=');
    expect(s[0]).toContain('chmod -- 00640 "$tmp"');
    expect(s[0]!.indexOf('converge-validate')).toBeLessThan(s[0]!.indexOf('mv -fT'));
  });

  it('no change when the file holds the rendering, with a reason', () => {
    const p = params();
    const r = planModule(maxscaleConfig, { params: p, facts: { config: file('/etc/maxscale.cnf', rendered(p)), unit: unit('active') } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('/etc/maxscale.cnf already as rendered');
  });

  it('a running MaxScale gets a new server through maxctrl, authenticated by the maxctrl config file', () => {
    const before = params();
    const p: MaxscaleConfigParams = { ...params(), servers: [...params().servers, { name: 'db3', address: '10.0.0.23' }] };
    const r = planModule(maxscaleConfig, { params: p, facts: { config: file('/etc/maxscale.cnf', rendered(before)), unit: unit('active') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content', 'runtime']);
    expect(r.changes[1]?.after).toBe('maxctrl create server db3 10.0.0.23 3306; maxctrl link monitor Galera-Monitor db3; maxctrl link service Read-Write-Service db3');
    const s = scripts(r);
    const auth = 'if [ -f /root/.maxctrl.cnf ]; then set -- -c /root/.maxctrl.cnf; else set --; fi; maxctrl "$@" --hosts 127.0.0.1:8989';
    expect(s.slice(1)).toEqual([`${auth} create server db3 10.0.0.23 3306`, `${auth} link monitor Galera-Monitor db3`, `${auth} link service Read-Write-Service db3`]);
    expect(s.join('\n')).not.toContain('restart');
  });

  it('a changed password restarts MaxScale, and no password appears in changes, diffs or scripts', () => {
    const before = params();
    const p = { ...params(), monitor: { ...params().monitor, password: secret('monitor-pw-2') } };
    const r = planModule(maxscaleConfig, { params: p, facts: { config: file('/etc/maxscale.cnf', rendered(before)), unit: unit('active') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content', 'runtime']);
    expect(r.changes[1]?.after).toBe('restart (monitor Galera-Monitor: password changed (kept off maxctrl\'s command line))');
    expect(scripts(r).at(-1)).toBe('systemctl restart -- maxscale');
    const shown = JSON.stringify([r.changes, r.diffs, scripts(r)]);
    expect(shown).not.toContain('monitor-pw-');
    expect(shown).not.toContain('service-pw-');
    expect(r.diffs[0]?.after).toContain('[Galera-Monitor]');
  });

  it('runtime: false only writes the file', () => {
    const p = { ...params(), runtime: false, maxscale: { admin_port: 8990 } };
    const r = planModule(maxscaleConfig, { params: p, facts: { config: file('/etc/maxscale.cnf', rendered(params())), unit: unit('active') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content']);
  });

  it.each([
    [{ ...params(), servers: [] }, /servers/],
    [{ ...params(), monitor: { user: 'm', password: 'plain text' } }, /password/],
    [{ ...params(), servers: [{ name: 'db 1', address: 'x' }] }, /name/],
    [{ ...params(), service: { ...params().service, name: 'db1' } }, /service\.name: the name "db1" is taken by servers\[0\]\.name/],
    [{ ...params(), maxscale: { extra: { log_info: 'two\nlines' } } }, /extra/],
    [{ ...params(), monitor: { ...params().monitor, monitor_interval: '2 seconds' } }, /monitor_interval/],
  ])('refuses bad input before any host is touched (%#)', (p, message) => {
    expect(() => planModule(maxscaleConfig, { params: p, facts: {} })).toThrow(message);
  });
});
