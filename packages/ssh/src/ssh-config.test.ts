import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProxyJump, readSshConfig, resolveSshConfig, splitSshArgs } from './ssh-config.js';

const dir = mkdtempSync(join(tmpdir(), 'converge-ssh-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const file = write(
  'config',
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
    expect(resolveSshConfig('web1', file)).toMatchObject({
      hostName: 'web1.internal',
      port: 2222,
      user: 'deploy',
      identityFiles: [`${homedir()}/.ssh/web_key`, `${homedir()}/.ssh/id_all`],
      proxyJump: 'ops@bastion:2200,gw',
      serverAliveIntervalMs: 15_000,
      connectTimeoutMs: 7000,
      sources: { hostName: `${file} line 2`, user: `${file} line 12` },
    });
  });

  it('treats ProxyJump none as no jump host', () => {
    expect(resolveSshConfig('db1', file)).toMatchObject({ user: 'deploy', hashKnownHosts: true });
    expect(resolveSshConfig('db1', file).proxyJump).toBeUndefined();
  });

  it('is empty for a missing file', () => {
    expect(resolveSshConfig('web1', join(dir, 'missing'))).toEqual({ identityFiles: [], sources: {} });
  });

  it('keeps ProxyCommand as written and lets the first of ProxyJump and ProxyCommand win', () => {
    const f = write('proxy', 'Host a\n  ProxyCommand ssh -W %h:%p -o "User=x y" bastion\n  ProxyJump b\nHost b\n  ProxyJump c\n  ProxyCommand nc %h %p\n');
    expect(resolveSshConfig('a', f)).toMatchObject({ proxyCommand: 'ssh -W %h:%p -o "User=x y" bastion' });
    expect(resolveSshConfig('a', f).proxyJump).toBeUndefined();
    expect(resolveSshConfig('b', f)).toMatchObject({ proxyJump: 'c' });
    expect(resolveSshConfig('b', f).proxyCommand).toBeUndefined();
  });

  it('follows Include (relative to the directory given, globs) only inside a matching section', () => {
    mkdirSync(join(dir, 'conf.d'), { recursive: true });
    write('conf.d/10-web.conf', 'Host web9\n  Port 2201\n');
    write('conf.d/20-all.conf', 'User included\n');
    const f = write('with-include', `Host web9\n  Include ${join(dir, 'conf.d')}/*.conf\nHost other\n  Include ${join(dir, 'conf.d')}/*.conf\n`);
    expect(resolveSshConfig('web9', f)).toMatchObject({ port: 2201, user: 'included' });
    expect(resolveSshConfig('nomatch', f)).toEqual({ identityFiles: [], sources: {} });
  });

  it.each([
    ['Match host *.internal', 'web1', true],
    ['Match originalhost web1', 'web1', true],
    ['Match originalhost web2', 'web1', false],
    ['Match !host web1.internal', 'web1', false],
    ['Match all', 'anything', true],
    [`Match localuser ${userInfo().username}`, 'web1', true],
    ['Match user deploy', 'web1', true],
    ['Match canonical', 'web1', false],
  ])('%s (host %s) applies: %s', (match, host, applies) => {
    const f = write('match', `Host web1\n  HostName web1.internal\n  User deploy\n${match}\n  Port 2022\n`);
    expect(resolveSshConfig(host, f).port === 2022).toBe(applies);
  });

  it.each([
    ['Match exec "test -e /tmp/x"', /Match exec.*criterion exec is not supported/],
    ['Match final', /criterion final is not supported/],
    ['Host *\n  LocalForward 8080 localhost:80', /line 2: ssh option "LocalForward 8080 localhost:80" is not supported: converge forwards no ports/],
    ['Host *\n  CertificateFile ~/.ssh/id_cert.pub', /CertificateFile.*does not support user certificates/],
    ['Host *\n  ForwardX11 yes', /"ForwardX11 yes" is not supported.*\n?/],
    ['Host *\n  NoSuchKeyword 1', /"NoSuchKeyword 1" is not supported: neither converge nor OpenSSH 9.2 knows it/],
    ['Host *\n  Port many', /Port must be a whole number/],
    ['Host *\n  ProxyCommand "unclosed', /invalid quotes/],
  ])('refuses %s, naming the file and line', (text, message) => {
    const f = write('refused', text);
    expect(() => resolveSshConfig('web1', f)).toThrow(message);
    expect(() => resolveSshConfig('web1', f)).toThrow(expect.objectContaining({ code: 'CONVERGE_OPTIONS' }));
  });

  it('leaves sections of other hosts alone, accepts the keywords that are harmless to ignore, and honours IgnoreUnknown', () => {
    const f = write(
      'harmless',
      'Host other\n  LocalForward 1 a:2\nHost *\n  IgnoreUnknown UseFoo*\n  UseFooBar yes\n  ControlMaster auto\n  ControlPersist 60s\n  Compression yes\n  SendEnv LANG LC_*\n  GSSAPIAuthentication yes\n  ForwardX11 no\n',
    );
    expect(() => readSshConfig(f, { host: 'web1' })).not.toThrow();
    expect(readSshConfig(f, { host: 'web1' }).map((d) => d.keyword)).toEqual(['IgnoreUnknown', 'UseFooBar', 'ControlMaster', 'ControlPersist', 'Compression', 'SendEnv', 'GSSAPIAuthentication', 'ForwardX11']);
  });

  it('reads IdentitiesOnly, PreferredAuthentications, BatchMode, RequestTTY and StrictHostKeyChecking', () => {
    const f = write('auth', 'Host *\n  IdentitiesOnly yes\n  PreferredAuthentications publickey,password\n  BatchMode yes\n  RequestTTY force\n  StrictHostKeyChecking off\n  PasswordAuthentication no\n');
    expect(resolveSshConfig('h', f)).toMatchObject({
      identitiesOnly: true,
      preferredAuthentications: ['publickey', 'password'],
      batchMode: true,
      requestTty: 'force',
      strictHostKeyChecking: 'no',
      passwordAuthentication: false,
    });
  });
});

describe('splitSshArgs splits like OpenSSH argv_split', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    ["'a b' c", ['a b', 'c']],
    ['a\\ b', ['a b']],
    ['a "b \\" c"', ['a', 'b " c']],
    ['a #comment', ['a']],
    ['a#b', ['a#b']],
  ])('%s', (text, words) => {
    expect(splitSshArgs(text)).toEqual(words);
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
