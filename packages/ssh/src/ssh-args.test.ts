import { describe, expect, it } from 'vitest';
import { parseSshArgs } from './ssh-args.js';
import { interpretSshDirectives } from './ssh-config.js';

const source = { where: 'ansible_ssh_common_args of host web1', code: 'CONVERGE_INVENTORY' as const };
const settings = (text: string) => interpretSshDirectives(parseSshArgs(text, source).directives, 'web1');

describe('parseSshArgs reads ssh arguments as ssh(1) does', () => {
  it.each([
    [`-o ProxyCommand="ssh -W %h:%p root@bastion"`, { proxyCommand: 'ssh -W %h:%p root@bastion' }],
    [`-o 'ProxyCommand ssh -W %h:%p -q root@bastion'`, { proxyCommand: 'ssh -W %h:%p -q root@bastion' }],
    ['-oProxyJump=ops@bastion:2200', { proxyJump: 'ops@bastion:2200' }],
    ['-J ops@bastion', { proxyJump: 'ops@bastion' }],
    ['-p2222 -l deploy -i /keys/id', { port: 2222, user: 'deploy', identityFiles: ['/keys/id'] }],
    ['-o IdentitiesOnly=yes -o IdentityFile=/k/a -i /k/b', { identitiesOnly: true, identityFiles: ['/k/a', '/k/b'] }],
    ['-4 -A', { addressFamily: 'inet', forwardAgent: true }],
    ['-tt', { requestTty: 'force' }],
    ['-t', { requestTty: 'yes' }],
    ['-T', { requestTty: 'no' }],
    ['-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null', { strictHostKeyChecking: 'no', userKnownHostsFile: '/dev/null' }],
    ['-o ServerAliveInterval=7 -o ServerAliveCountMax=4', { serverAliveIntervalMs: 7000, serverAliveCountMax: 4 }],
    ['-c aes256-ctr -m hmac-sha2-512', { algorithms: { cipher: 'aes256-ctr', hmac: 'hmac-sha2-512' } }],
    ['-o Port=2200 -o Port=2300', { port: 2200 }],
  ])('%s', (text, want) => {
    expect(settings(text)).toMatchObject(want);
  });

  it('takes -F as the config file and accepts the options harmless to ignore (Ansible\'s default ssh_args)', () => {
    expect(parseSshArgs('-F ./ssh_config -C -o ControlMaster=auto -o ControlPersist=60s -q', source)).toMatchObject({ configFile: './ssh_config' });
  });

  it.each([
    ['-o LocalForward=8080:localhost:80', /ansible_ssh_common_args of host web1 \(-o LocalForward=8080:localhost:80\): ssh option "LocalForward 8080:localhost:80" is not supported/],
    ['-L 8080:localhost:80', /ssh option "LocalForward 8080:localhost:80" is not supported: converge forwards no ports/],
    ['-N', /the ssh flag -N is not supported/],
    ['-W host:22', /the ssh flag -W is not supported.*ProxyJump/],
    ['-X', /"ForwardX11 yes" is not supported/],
    ['-o NoSuchOption=1', /neither converge nor OpenSSH 9.2 knows it/],
    ['-o Host=x', /-o Host is not allowed on the command line/],
    ['-Z', /the ssh flag -Z is not supported: ssh has no such flag/],
    ['root@bastion', /unexpected argument "root@bastion"/],
    ['-o', /the ssh flag -o needs an argument/],
    ['-o "ProxyCommand', /no closing quotation/],
  ])('refuses %s, naming the option and where it was written', (text, message) => {
    expect(() => parseSshArgs(text, source)).toThrow(message);
    expect(() => parseSshArgs(text, source)).toThrow(expect.objectContaining({ code: 'CONVERGE_INVENTORY' }));
  });
});
