import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProxyJump, resolveSshConfig } from './ssh-config.js';

const dir = mkdtempSync(join(tmpdir(), 'converge-ssh-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'config');
writeFileSync(
  file,
  `Host web*
  HostName %h.internal
  Port 2222
  IdentityFile ~/.ssh/web_key
  ProxyJump ops@bastion:2200,gw
  ServerAliveInterval 15
  ConnectTimeout 7
Host db1
  ProxyJump none
  HashKnownHosts yes
Host *
  User deploy
  IdentityFile ~/.ssh/id_all
`,
);

describe('resolveSshConfig', () => {
  it('takes the first value of each option, tokens and ~ expanded', () => {
    expect(resolveSshConfig('web1', file)).toEqual({
      hostName: 'web1.internal',
      port: 2222,
      user: 'deploy',
      identityFiles: [`${homedir()}/.ssh/web_key`, `${homedir()}/.ssh/id_all`],
      proxyJump: 'ops@bastion:2200,gw',
      serverAliveIntervalMs: 15_000,
      connectTimeoutMs: 7000,
    });
  });

  it('treats ProxyJump none as no jump host', () => {
    expect(resolveSshConfig('db1', file)).toMatchObject({ user: 'deploy', hashKnownHosts: true });
    expect(resolveSshConfig('db1', file).proxyJump).toBeUndefined();
  });

  it('is empty for a missing file', () => {
    expect(resolveSshConfig('web1', join(dir, 'missing'))).toEqual({ identityFiles: [] });
  });
});

describe('parseProxyJump', () => {
  it.each([
    ['bastion', [{ host: 'bastion' }]],
    ['ops@bastion:2200', [{ user: 'ops', host: 'bastion', port: 2200 }]],
    ['a,b@c:3', [{ host: 'a' }, { user: 'b', host: 'c', port: 3 }]],
    ['ssh://ops@[2001:db8::1]:22', [{ user: 'ops', host: '2001:db8::1', port: 22 }]],
  ])('%s', (text, want) => {
    expect(parseProxyJump(text)).toEqual(want);
  });

  it('refuses a malformed hop with CONVERGE_OPTIONS', () => {
    expect(() => parseProxyJump('a@b@c:x')).toThrow(expect.objectContaining({ code: 'CONVERGE_OPTIONS' }));
  });
});
