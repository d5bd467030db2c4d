import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { failoverNotifyCommand, failoverScript, keepalivedFailover, renderFailoverConfig } from '../../src/index.js';
import type { KeepalivedFailoverParams } from '../../src/index.js';

const params: KeepalivedFailoverParams = {
  name: 'VI_LB',
  provider: 'ovh',
  ovh: { application_key: 'AK1', application_secret: secret('as-canary-1'), consumer_key: secret('ck-canary-1'), ip: '203.0.113.10', service: 'ns1.example' },
};
const SCRIPT = '/usr/local/sbin/converge-cloud-failover';
const CONF = '/etc/keepalived/cloud-failover/VI_LB.conf';

function file(path: string, content: string, mode: string): FileState {
  const sha256 = createHash('sha256').update(content).digest('hex');
  return { path, type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', sha256, content } };
}

describe('keepalived.failover plan', () => {
  it('installs the hook 0755 and its configuration 0600 in a new 0700 directory, credentials masked everywhere', () => {
    const r = planModule(keepalivedFailover, {
      params,
      facts: {
        dir: { path: '/etc/keepalived/cloud-failover', type: 'absent', parentExists: true },
        script: { path: SCRIPT, type: 'absent', parentExists: true },
        config: { path: CONF, type: 'absent', parentExists: false },
      },
    });
    expect(r.changes.map((c) => c.path)).toEqual([
      'config_dir', 'script.state', 'script.content', 'script.mode', 'script.owner', 'script.group',
      'config.state', 'config.content', 'config.mode', 'config.owner', 'config.group',
    ]);
    expect(r.changes.find((c) => c.path === 'config.content')?.after).toBe(SECRET_MASK);
    expect(JSON.stringify(r)).not.toMatch(/as-canary-1|ck-canary-1/);
    const scripts = r.commands.map((c) => String(c.script));
    expect(scripts[0]).toBe('install -d -m 0700 -o root -g root -- /etc/keepalived/cloud-failover');
    expect(scripts[1]).toContain(`p=${SCRIPT}`);
    expect(scripts[1]).toContain('chmod -- 00755 "$tmp"');
    expect(scripts[2]).toContain(`p=${CONF}`);
    expect(scripts[2]).toContain('chmod -- 00600 "$tmp"');
    // The content travels on stdin, never in the script text.
    expect(scripts.join('\n')).not.toMatch(/canary/);
  });

  it('changes nothing when both files are in place', () => {
    const r = planModule(keepalivedFailover, {
      params,
      facts: {
        dir: { path: '/etc/keepalived/cloud-failover', type: 'directory', parentExists: true },
        script: file(SCRIPT, failoverScript(), '0755'),
        config: file(CONF, renderFailoverConfig(params), '0600'),
      },
    });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe(`${SCRIPT} and ${CONF} in place`);
  });

  it('gives the notify_master command of the hook', () => {
    expect(failoverNotifyCommand(params)).toEqual([SCRIPT, CONF]);
    expect(failoverNotifyCommand({ name: 'x', script_path: '/opt/hook', config_dir: '/etc/hooks/' })).toEqual(['/opt/hook', '/etc/hooks/x.conf']);
  });

  it('tells to install keepalived first when /etc/keepalived is missing', () => {
    expect(() =>
      planModule(keepalivedFailover, {
        params,
        facts: { dir: { path: '/etc/keepalived/cloud-failover', type: 'absent', parentExists: false }, script: { path: SCRIPT, type: 'absent', parentExists: true }, config: { path: CONF, type: 'absent', parentExists: false } },
      }),
    ).toThrow(/the directory of \/etc\/keepalived\/cloud-failover does not exist/);
  });

  it.each<[unknown, RegExp]>([
    [{ ...params, provider: 'scaleway' }, /scaleway: required with provider scaleway/],
    [{ ...params, ovh: { ...params.ovh, service: 'ns1 ; rm' } }, /ovh\/service/],
    [{ ...params, endpoint: 'ftp://x' }, /endpoint/],
    [{ ...params, ovh: { ...params.ovh, ip: 'not-an-ip' } }, /ovh\/ip/],
  ])('refuses bad params before any host is touched (%#)', (p, message) => {
    expect(() => planModule(keepalivedFailover, { params: p as KeepalivedFailoverParams, facts: {} })).toThrow(message);
  });
});
