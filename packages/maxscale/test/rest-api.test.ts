// Plans and apply steps of maxscale.rest_api from recorded facts: the maxctrl defaults file, the
// account on a running MaxScale, check mode before MaxScale runs, and secrecy.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { maxscaleRestApi, parseMaxctrlConfig, parseRestAccess, renderMaxctrlConfig, restUserInput } from '../src/index.js';
import type { RestAccess } from '../src/index.js';

const file = (content: string): FileState => ({
  path: '/root/.maxctrl.cnf',
  type: 'file',
  parentExists: true,
  target: { type: 'file', mode: '0600', owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', sha256: createHash('sha256').update(content).digest('hex'), content },
});
const absent: FileState = { path: '/root/.maxctrl.cnf', type: 'absent', parentExists: true };
const access = (state: RestAccess['state']): RestAccess => ({ state });
const current = renderMaxctrlConfig('ops', 'rest-pw-1', '127.0.0.1:8989');
const stdinOf = (c: { stdin?: unknown } | undefined) => (c?.stdin as { reveal(): string }).reveal();

describe('maxscale.rest_api', () => {
  it('a running MaxScale with the default account: file 0600 root, then the account set through the REST API, secrets on stdin only', () => {
    const r = planModule(maxscaleRestApi, { params: { user: 'ops', password: secret('rest-pw-1') }, facts: { file: absent, access: access('denied') } });
    expect(r.changes.map((c) => c.path)).toEqual(['maxctrl_config.state', 'maxctrl_config.content', 'maxctrl_config.mode', 'maxctrl_config.owner', 'maxctrl_config.group', 'account']);
    expect(r.commands.map((c) => c.description)).toEqual(['write /root/.maxctrl.cnf', 'REST API account ops']);
    expect(String(r.commands[0]?.script)).toContain('chmod -- 00600 "$tmp"');
    expect(stdinOf(r.commands[0])).toBe('# Written by converge (@converge/maxscale): credentials of maxctrl for the local MaxScale.\n[maxctrl]\nu = ops\np = rest-pw-1\nh = 127.0.0.1:8989\n');
    const stdin = stdinOf(r.commands[1]);
    expect(stdin).toBe(restUserInput('127.0.0.1:8989', { user: 'ops', password: 'rest-pw-1' }, [{ user: 'admin', password: 'mariadb' }]));
    expect(stdin).toContain('user = "admin:mariadb"');
    expect(stdin).toContain('data = "{\\"data\\":{\\"id\\":\\"ops\\",\\"type\\":\\"inet\\",\\"attributes\\":{\\"password\\":\\"rest-pw-1\\",\\"account\\":\\"admin\\"}}}"');
    expect(stdin).toContain('url = "http://127.0.0.1:8989/v1/users/inet/admin"\nuser = "ops:rest-pw-1"\nrequest = "DELETE"');
    expect(JSON.stringify([r.changes, r.diffs]) + String(r.commands[1]?.script)).not.toContain('rest-pw-1');
  });

  it('credentials accepted and the file as rendered: nothing, with a reason', () => {
    const r = planModule(maxscaleRestApi, { params: { user: 'ops', password: secret('rest-pw-1') }, facts: { file: file(current), access: access('ok') } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('/root/.maxctrl.cnf holds the credentials and MaxScale accepts them');
  });

  it('a changed password is authenticated by the previous one first, then by the default account', () => {
    const r = planModule(maxscaleRestApi, { params: { user: 'ops', password: secret('rest-pw-2') }, facts: { file: file(current), access: access('ok') } });
    expect(r.changes.map((c) => c.path)).toEqual(['maxctrl_config.content', 'account']);
    const stdin = stdinOf(r.commands[1]);
    expect(stdin.indexOf('user = "ops:rest-pw-1"')).toBeGreaterThan(0);
    expect(stdin.indexOf('user = "ops:rest-pw-1"')).toBeLessThan(stdin.indexOf('user = "admin:mariadb"'));
    expect(parseMaxctrlConfig(current)).toEqual({ user: 'ops', password: 'rest-pw-1' });
  });

  it('MaxScale not running: only the file; check mode with MaxScale installed or started by an earlier task predicts the account', () => {
    const params = { user: 'ops', password: secret('rest-pw-1') };
    const stopped = planModule(maxscaleRestApi, { params, facts: { file: file(current), access: access('stopped') } });
    expect(stopped.changes).toEqual([]);
    expect(stopped.reason).toMatch(/MaxScale is not running, the account is set up when it runs/);
    const predicted = planModule(maxscaleRestApi, { params, facts: { file: absent, access: access('absent') }, upstreamChanged: true });
    expect(predicted.changes.map((c) => c.path)).toContain('account');
    const fileOnly = planModule(maxscaleRestApi, { params: { ...params, account: false }, facts: { file: absent, access: access('absent') }, upstreamChanged: true });
    expect(fileOnly.changes.map((c) => c.path)).not.toContain('account');
  });

  it('parses the access probe', () => {
    expect(parseRestAccess('access=ok\n')).toEqual({ state: 'ok' });
    expect(parseRestAccess('access=stopped\n')).toEqual({ state: 'stopped' });
    expect(parseRestAccess('')).toEqual({ state: 'denied' });
  });

  it('refuses a plain-text password before any host is touched', () => {
    expect(() => planModule(maxscaleRestApi, { params: { user: 'ops', password: 'plain' }, facts: {} })).toThrow(/password/);
  });
});
