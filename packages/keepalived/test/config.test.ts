import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { deriveKeepalivedConfig, keepalivedConfig } from '../src/index.js';
import type { KeepalivedConfigParams } from '../src/index.js';

const model: KeepalivedConfigParams = {
  scripts: [{ name: 'haproxy', script: ['/usr/bin/pgrep', '-x', 'haproxy'], fall: 2, rise: 2 }],
  instances: [
    {
      name: 'VI_LB', state: 'MASTER', interface: 'eth0', virtual_router_id: 51, priority: 150,
      unicast_src_ip: '10.0.0.11', unicast_peers: ['10.0.0.12'], virtual_ipaddresses: [{ address: '10.0.0.100/24' }], track_scripts: [{ name: 'haproxy' }],
    },
  ],
};
const PATH = '/etc/keepalived/keepalived.conf';

function file(content: string, mode = '0600'): FileState {
  const sha256 = createHash('sha256').update(content).digest('hex');
  return { path: PATH, type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', sha256, content } };
}
const rendered = (p: KeepalivedConfigParams) => deriveKeepalivedConfig(p).text;

describe('keepalived.config plan', () => {
  it('writes a new keepalived.conf 0600 through keepalived -t, then reloads the running service', () => {
    const r = planModule(keepalivedConfig, { params: model, facts: { config: { path: PATH, type: 'absent', parentExists: true } } });
    expect(r.changes.map((c) => c.path)).toEqual(['state', 'content', 'mode', 'owner', 'group', 'service']);
    expect(r.diffs[0]?.after).toBe(rendered(model));
    const [write, reload] = r.commands.map((c) => String(c.script));
    expect(write).toContain("sh -c 'keepalived -t -f \"$1\"' converge-validate \"$tmp\"");
    expect(write).toContain('chmod -- 00600 "$tmp"');
    expect(write!.indexOf('converge-validate')).toBeLessThan(write!.indexOf('mv -fT'));
    expect(reload).toBe('if systemctl is-active -q -- keepalived; then systemctl reload -- keepalived; fi');
  });

  it('changes nothing when the file holds the rendering, with a reason', () => {
    const r = planModule(keepalivedConfig, { params: model, facts: { config: file(rendered(model)) } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe(`${PATH} already as rendered`);
  });

  it('with reload: false leaves the reload to a handler', () => {
    const r = planModule(keepalivedConfig, { params: { ...model, reload: false }, facts: { config: file('old\n') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content']);
    expect(r.commands.map((c) => String(c.script)).join('\n')).not.toContain('systemctl');
  });

  it('masks only the password of a configuration holding a Secret password, also a former one', () => {
    const withPw = (pw: string | ReturnType<typeof secret>): KeepalivedConfigParams => ({ ...model, instances: [{ ...model.instances[0]!, authentication: pw }] });
    const params = withPw(secret('new-pw1'));
    const r = planModule(keepalivedConfig, { params, facts: { config: file(rendered(withPw('old-pw1'))) } });
    const shown = JSON.stringify(r);
    expect(shown).not.toContain('new-pw1');
    expect(shown).not.toContain('old-pw1');
    expect(r.diffs[0]?.after).toContain('virtual_router_id 51');
    expect(r.diffs[0]?.before).toContain('auth_pass ********');
    expect(r.diffs[0]?.after).toContain('auth_pass ********');
    const removed = planModule(keepalivedConfig, { params: model, facts: { config: file(rendered(withPw('old-pw2'))) } });
    expect(JSON.stringify(removed)).not.toContain('old-pw2');
    expect(r.changes.find((c) => c.path === 'content')).toEqual({ path: 'content', before: '********', after: '********' });
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown param', { ...model, instances: [{ ...model.instances[0], preempt: true }] }, /unknown param "preempt"/],
    ['a fractional advert_int', { ...model, instances: [{ ...model.instances[0], advert_int: 0.5 }] }, /advert_int/],
    ['a password longer than auth_pass takes', { ...model, instances: [{ ...model.instances[0], authentication: 'nine-char' }] }, /authentication/],
    ['a command word with a space', { ...model, scripts: [{ name: 'haproxy', script: ['/usr/bin/pgrep', 'ha proxy'] }] }, /scripts\/0\/script\/1/],
    ['a tracked script that is not defined', { ...model, scripts: [] }, /track_scripts\[0\]: no script named "haproxy"/],
    ['a raw line with a line break', { ...model, global_defs: { extra: ['a\nb'] } }, /global_defs\/extra\/0/],
  ])('refuses %s before any host is touched', (_what, params, message) => {
    expect(() => planModule(keepalivedConfig, { params: params as KeepalivedConfigParams, facts: {} })).toThrow(message);
  });
});
