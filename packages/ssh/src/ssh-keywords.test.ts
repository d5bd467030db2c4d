import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SSH_KEYWORDS, checkSshDirective } from './ssh-keywords.js';
import { parseSshLine } from './ssh-config.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Reaching hosts over SSH'), readme.indexOf('## Security'));
const source = { where: 'test', code: 'CONVERGE_OPTIONS' as const, origin: 'config-file' as const };

describe('SSH_KEYWORDS, the documented policy for every ssh option', () => {
  it.each(Object.entries(SSH_KEYWORDS).filter(([, h]) => h.kind !== 'implemented'))('the README names %s with how it is treated', (keyword, h) => {
    expect(section).toContain(h.kind === 'only' ? `\`${keyword} ${h.values[0]}` : `\`${keyword}\``);
  });

  it.each([
    ['Compression yes', true],
    ['ControlPersist 60s', true],
    ['GlobalKnownHostsFile /dev/null', true],
    ['GlobalKnownHostsFile /etc/ssh/ssh_known_hosts', false],
    ['ForwardX11 no', true],
    ['ForwardX11 yes', false],
    ['SetEnv FOO=1', false],
    ['RemoteCommand uptime', false],
    ['Frobnicate yes', false],
    ['UseRoaming no', true],
    ['PubkeyAcceptedKeyTypes +ssh-rsa', true],
    ['PubkeyAcceptedAlgorithms ssh-ed25519', false],
  ])('%s is accepted: %s', (line, accepted) => {
    const d = parseSshLine(line, source);
    if (!d) throw new Error('no directive');
    if (accepted) expect(() => checkSshDirective(d)).not.toThrow();
    else expect(() => checkSshDirective(d)).toThrow(/is not supported/);
  });

  it('IgnoreUnknown covers keywords OpenSSH does not know either, never one it knows and converge refuses', () => {
    const unknown = parseSshLine('UseFooBar yes', source);
    const known = parseSshLine('SetEnv A=1', source);
    if (!unknown || !known) throw new Error('no directive');
    expect(() => checkSshDirective(unknown, ['UseFoo*'])).not.toThrow();
    expect(() => checkSshDirective(known, ['*'])).toThrow(/SetEnv/);
  });
});
