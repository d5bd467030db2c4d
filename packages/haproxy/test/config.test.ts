import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { FileState } from '@converge/modules';
import { deriveHaproxyConfig, haproxyConfig } from '../src/index.js';
import type { HaproxyConfigParams } from '../src/index.js';
import { createHash } from 'node:crypto';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const model: HaproxyConfigParams = {
  frontends: [{ name: 'www', binds: [{ address: '*:80' }], default_backend: 'app' }],
  backends: [{ name: 'app', servers: [{ name: 'app1', address: '10.0.0.11:80' }] }],
};

const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
function file(path: string, content: string, mode = '0644'): FileState {
  const sha256 = createHash('sha256').update(content).digest('hex');
  return { path, type: 'file', parentExists: true, target: { type: 'file', mode, owner: 'root', group: 'root', uid: 0, gid: 0, size: content.length, inode: '1:1', sha256, content } };
}
const rendered = (p: HaproxyConfigParams) => deriveHaproxyConfig(p).text;

describe('haproxy.config plan', () => {
  it('replaces a different haproxy.cfg: validated candidate, then reload', () => {
    const r = planModule(haproxyConfig, { params: model, facts: { config: file('/etc/haproxy/haproxy.cfg', 'global\n') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content', 'service']);
    expect(r.diffs[0]?.after).toBe(rendered(model));
    const scripts = r.commands.map((c) => String(c.script));
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toContain("sh -c 'haproxy -c -f \"$1\"' converge-validate \"$tmp\"");
    expect(scripts[0]!.indexOf('converge-validate')).toBeLessThan(scripts[0]!.indexOf('mv -fT'));
    expect(scripts[1]).toContain('systemctl reload -- haproxy');
    expect(scripts[1]).not.toContain('restart');
  });

  it('changes nothing when the file already holds the rendering, with a reason', () => {
    const params = { ...model };
    const r = planModule(haproxyConfig, { params, facts: { config: file('/etc/haproxy/haproxy.cfg', rendered(params)) } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toBe('/etc/haproxy/haproxy.cfg already as rendered');
  });

  it('saves the runtime server states before the reload when there is a server state file', () => {
    const params: HaproxyConfigParams = { ...model, global: { server_state_file: '/var/lib/haproxy/server-state' } };
    const r = planModule(haproxyConfig, { params, facts: { config: file('/etc/haproxy/haproxy.cfg', 'x\n') } });
    const reload = String(r.commands.at(-1)?.script);
    expect(reload).toContain("printf '%s\\n' 'show servers state' | socat -t 5 - UNIX-CONNECT:/run/haproxy/admin.sock 2>/dev/null > /var/lib/haproxy/server-state.converge-new");
    expect(reload.indexOf('server-state.converge-new')).toBeLessThan(reload.indexOf('systemctl reload'));
    expect(rendered(params)).toContain('    load-server-state-from-file global\n');
    expect(String(planModule(haproxyConfig, { params: model, facts: { config: file('/etc/haproxy/haproxy.cfg', 'x\n') } }).commands.at(-1)?.script)).not.toContain('show servers state');
  });

  it('with reload: false leaves the reload to a handler', () => {
    const r = planModule(haproxyConfig, { params: { ...model, reload: false }, facts: { config: file('/etc/haproxy/haproxy.cfg', 'x\n') } });
    expect(r.changes.map((c) => c.path)).toEqual(['content']);
    expect(r.commands.map((c) => String(c.script)).join('\n')).not.toContain('systemctl');
  });

  it('writes certificates 0600 into a new directory before the configuration, masked in every output', () => {
    const params: HaproxyConfigParams = { ...model, frontends: [{ name: 'www', binds: [{ address: '*:443', ssl: { certificates: ['site'] } }], default_backend: 'app' }], certificates: { site: secret(PEM) } };
    const r = planModule(haproxyConfig, {
      params,
      facts: { config: absent('/etc/haproxy/haproxy.cfg'), certDir: absent('/etc/haproxy/certs'), 'cert:site': { path: '/etc/haproxy/certs/site.pem', type: 'absent', parentExists: false } },
    });
    expect(r.changes).toEqual([
      { path: 'certificates_dir', before: 'absent', after: 'directory' },
      { path: 'certificates.site.state', before: 'absent', after: 'file' },
      { path: 'certificates.site.content', before: null, after: SECRET_MASK },
      { path: 'certificates.site.mode', before: null, after: '0600' },
      { path: 'certificates.site.owner', before: null, after: 'root' },
      { path: 'certificates.site.group', before: null, after: 'root' },
      expect.objectContaining({ path: 'state', after: 'file' }),
      expect.objectContaining({ path: 'content' }),
      expect.objectContaining({ path: 'service' }),
    ]);
    expect(JSON.stringify(r.changes) + JSON.stringify(r.diffs)).not.toContain('MIIE');
    const scripts = r.commands.map((c) => String(c.script));
    expect(scripts[0]).toBe('install -d -m 0700 -o root -g root -- /etc/haproxy/certs');
    expect(scripts[1]).toContain('p=/etc/haproxy/certs/site.pem');
    expect(scripts[1]).toContain('chmod -- 00600 "$tmp"');
    expect(scripts[2]).toContain('p=/etc/haproxy/haproxy.cfg');
    expect(rendered(params)).toContain('bind *:443 ssl crt /etc/haproxy/certs/site.pem');
  });

  it('checks the live file before reloading when only a certificate changed', () => {
    const params: HaproxyConfigParams = { ...model, certificates: { site: PEM } };
    const r = planModule(haproxyConfig, {
      params,
      facts: { config: file('/etc/haproxy/haproxy.cfg', rendered(params)), certDir: { path: '/etc/haproxy/certs', type: 'directory', parentExists: true }, 'cert:site': file('/etc/haproxy/certs/site.pem', 'old\n', '0600') },
    });
    expect(r.changes.map((c) => c.path)).toEqual(['certificates.site.content', 'service']);
    expect(String(r.commands[1]?.script)).toContain('haproxy -c -f /etc/haproxy/haproxy.cfg');
  });

  it('masks only the stats password of a configuration that holds a Secret stats password', () => {
    const params: HaproxyConfigParams = { ...model, stats: { auth: { user: 'ops', password: secret('pw-canary-123') } } };
    const before = rendered({ ...model, stats: { auth: { user: 'ops', password: 'old-password-1' } } });
    const r = planModule(haproxyConfig, { params, facts: { config: file('/etc/haproxy/haproxy.cfg', before) } });
    const shown = JSON.stringify(r);
    expect(shown).not.toContain('pw-canary-123');
    expect(shown).not.toContain('old-password-1');
    expect(r.diffs[0]?.after).toContain('backend app');
    expect(r.changes).toContainEqual({ path: 'mode', before: '0644', after: '0640' });
  });

  const withAuth = (pw: string | ReturnType<typeof secret>, maxconn?: number): HaproxyConfigParams => ({ ...model, ...(maxconn ? { global: { maxconn } } : {}), stats: { auth: { user: 'ops', password: pw } } });
  it.each<[string, string | null, HaproxyConfigParams, string[]]>([
    ['a maxconn change shows the maxconn lines, not a masked file', rendered(withAuth('old-password-2', 100)), withAuth(secret('pw-canary-456'), 200), ['maxconn 100', 'maxconn 200', 'backend app', `stats auth ops:${SECRET_MASK}`]],
    ['a new file shows every line, the password masked', null, withAuth(secret('pw-canary-456')), ['backend app', 'frontend stats', `stats auth ops:${SECRET_MASK}`]],
    ['removing stats auth does not show the former password', rendered(withAuth('old-password-3')), { ...model, stats: {} }, [`stats auth ops:${SECRET_MASK}`, 'frontend stats']],
  ])('%s', (_what, before, params, shown) => {
    const r = planModule(haproxyConfig, { params, facts: { config: before === null ? absent('/etc/haproxy/haproxy.cfg') : file('/etc/haproxy/haproxy.cfg', before) } });
    const text = `${r.diffs[0]?.before}\n${r.diffs[0]?.after}`;
    for (const s of shown) expect(text).toContain(s);
    expect(JSON.stringify(r)).not.toMatch(/pw-canary-456|old-password-[23]/);
  });

  it.each([
    [{ ...model, frontends: [{ name: 'www', binds: [{ address: '*:443', ssl: { certificates: ['nope'] } }] }] }, /no certificate named "nope"/],
    [{ ...model, certificates: { site: 'not a pem' } }, /certificates.site: not a PEM bundle/],
    [{ ...model, frontends: [{ name: 'www', binds: [{ address: '*:80' }], use_backends: [{ backend: 'nope' }] }] }, /use_backends\[0\]: no backend named "nope"/],
    [{ ...model, global: { extra: ['two\nlines'] } }, /global\/extra\/0/],
    [{ ...model, backends: [{ name: 'app', balance: 'fastest', servers: [] }] }, /balance/],
  ])('refuses bad input before any host is touched (%#)', (params, message) => {
    expect(() => planModule(haproxyConfig, { params, facts: {} })).toThrow(message);
  });
});
