// Integration tests of the file modules on real Debian 12 containers, converged over SSH:
// check, run, run again (zero changes), check again; file bytes asserted with base64/od.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { convergeTwice, runTasks, startHosts, type TestHosts } from '@converge/testing';
import { blockinfile, copy, file, iniFile, lineinfile } from '../../src/files.js';

let hosts: TestHosts;
const H = 'host1';
const sh = async (cmd: string): Promise<string> => (await hosts.exec(H, cmd)).stdout;
/** The exact bytes of a file on the host. */
const bytes = async (path: string): Promise<string> => Buffer.from((await sh(`base64 -w0 ${path}`)).trim(), 'base64').toString('utf8');
const put = async (path: string, content: string, mode = '0644'): Promise<void> => {
  await sh(`mkdir -p "$(dirname ${path})" && printf %s ${Buffer.from(content).toString('base64')} | base64 -d > ${path} && chmod ${mode} ${path}`);
};

beforeAll(async () => {
  hosts = await startHosts(1);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('lineinfile', () => {
  test('C-01: a line after a last line without newline, in LF, CRLF and empty files; twice', async () => {
    await put('/srv/c01/nonl', 'a=1');
    await put('/srv/c01/lf', 'a=1\n');
    await put('/srv/c01/crlf', 'a=1\r\n');
    await put('/srv/c01/empty', '');
    await convergeTwice(hosts, ['nonl', 'lf', 'crlf', 'empty'].map((f) => lineinfile({ path: `/srv/c01/${f}`, line: 'b=2' })));
    expect(await bytes('/srv/c01/nonl')).toBe('a=1\nb=2\n');
    expect(await bytes('/srv/c01/lf')).toBe('a=1\nb=2\n');
    expect(await bytes('/srv/c01/crlf')).toBe('a=1\r\nb=2\r\n');
    expect(await bytes('/srv/c01/empty')).toBe('b=2\n');
  });

  test('C-02: the existing key is replaced in place, the anchor ignored; twice', async () => {
    await put('/srv/c02/my.cnf', '[client]\nport=3306\n[mysqld]\nmax_allowed_packet=128M\ndatadir=/var/lib/mysql\n');
    await put('/srv/c02/new.cnf', '[client]\nport=3306\n[mysqld]\ndatadir=/var/lib/mysql\n');
    const task = (path: string) => lineinfile({ path, regexp: '^max_allowed_packet=', line: 'max_allowed_packet=256M', insertafter: '^\\[mysqld\\]' });
    await convergeTwice(hosts, [task('/srv/c02/my.cnf'), task('/srv/c02/new.cnf')]);
    expect(await bytes('/srv/c02/my.cnf')).toBe('[client]\nport=3306\n[mysqld]\nmax_allowed_packet=256M\ndatadir=/var/lib/mysql\n');
    expect(await bytes('/srv/c02/new.cnf')).toBe('[client]\nport=3306\n[mysqld]\nmax_allowed_packet=256M\ndatadir=/var/lib/mysql\n');
  });

  test('C-03: a regexp that does not match the written line converges; a never-converging task fails clearly', async () => {
    await put('/srv/c03/f', 'x old-value\n');
    await convergeTwice(hosts, [lineinfile({ path: '/srv/c03/f', regexp: 'old-value', line: 'NEW-VALUE' })]);
    expect(await bytes('/srv/c03/f')).toBe('NEW-VALUE\n');
    await put('/srv/c03/g', 'a1\na2\n');
    const report = await runTasks(hosts, [lineinfile({ path: '/srv/c03/g', regexp: '^a', line: 'b' })]);
    expect(report.tasks[0]?.status).toBe('failed');
    expect(report.tasks[0]?.message).toMatch(/never converge/);
    expect(await bytes('/srv/c03/g')).toBe('a1\na2\n');
  });

  test('C-04: an edit through a symlink edits the target, the link stays; twice', async () => {
    await put('/srv/c04/real.conf', 'foo=1\n#bar\n', '0640');
    await sh('ln -sfn real.conf /srv/c04/link.conf');
    await convergeTwice(hosts, [lineinfile({ path: '/srv/c04/link.conf', regexp: '^foo=[^#]+$', line: 'foo=2' }), blockinfile({ path: '/srv/c04/link.conf', block: 'x' })]);
    expect((await sh('stat -c %F:%N /srv/c04/link.conf')).trim()).toBe("symbolic link:'/srv/c04/link.conf' -> 'real.conf'");
    expect(await bytes('/srv/c04/real.conf')).toBe('foo=2\n#bar\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n');
    expect((await sh('stat -c %a /srv/c04/real.conf')).trim()).toBe('640');
  });

  test('C-11 and C-12: special characters byte for byte; a present line is left alone; twice', async () => {
    const line = `say "hi" 'there' $HOME \\back\\slash `;
    await put('/srv/c11/f', 'a=1\nb=2\nc=3\n');
    await convergeTwice(hosts, [
      lineinfile({ path: '/srv/c11/f', line }),
      lineinfile({ path: '/srv/c11/f', line: 'b=2', insertafter: '^c=' }),
      lineinfile({ path: '/srv/c11/f', line: 'b=2', insertbefore: 'BOF', firstmatch: true }),
    ]);
    expect(await bytes('/srv/c11/f')).toBe(`a=1\nb=2\nc=3\n${line}\n`);
    expect(await sh('od -c /srv/c11/f | tail -n 2')).toContain('\\n');
  });

  test('C-16: a secret line never shows in the diff or the report', async () => {
    await put('/srv/c16/app.conf', 'user=a\npassword=old-Pa55word\n');
    const pw = secret('password=n3w-Pa55word');
    const report = await runTasks(hosts, [lineinfile({ path: '/srv/c16/app.conf', regexp: '^password=', line: pw })], { diff: true });
    const shown = JSON.stringify(report);
    expect(shown).not.toContain('n3w-Pa55word');
    expect(shown).not.toContain('old-Pa55word');
    expect(shown).toContain(SECRET_MASK);
    expect(await bytes('/srv/c16/app.conf')).toBe('user=a\npassword=n3w-Pa55word\n');
  });
});

describe('blockinfile', () => {
  test('C-10: a block into an existing empty file; twice', async () => {
    await put('/srv/c10/empty', '');
    await convergeTwice(hosts, [blockinfile({ path: '/srv/c10/empty', block: 'a=1\nb=2\n' })]);
    expect(await bytes('/srv/c10/empty')).toBe('# BEGIN ANSIBLE MANAGED BLOCK\na=1\nb=2\n# END ANSIBLE MANAGED BLOCK\n');
  });
});

describe('ini_file', () => {
  test('C-05 and C-06: the key under [messaging], [DEFAULT] untouched; repeated keys and spacing kept; twice', async () => {
    await put('/srv/c05/nova.conf', '[DEFAULT]\npassword = default-pw\n\n[messaging]\nhost = mq1\n\n[ntp]\nserver = a\nserver=b\n');
    await convergeTwice(hosts, [
      iniFile({ path: '/srv/c05/nova.conf', section: 'messaging', option: 'password', value: 'mq-pw' }),
      iniFile({ path: '/srv/c05/nova.conf', section: 'ntp', option: 'minpoll', value: '4' }),
    ]);
    expect(await bytes('/srv/c05/nova.conf')).toBe('[DEFAULT]\npassword = default-pw\n\n[messaging]\nhost = mq1\npassword = mq-pw\n\n[ntp]\nserver = a\nserver=b\nminpoll = 4\n');
  });
});

describe('copy and file', () => {
  test('C-07: inline content ends with exactly the newline given; twice', async () => {
    await sh('mkdir -p /srv/c07');
    await convergeTwice(hosts, [
      copy({ dest: '/srv/c07/one', content: 'x = 1\n' }),
      copy({ dest: '/srv/c07/none', content: 'x = 1' }),
      copy({ dest: '/srv/c07/two', content: 'x = 1\n\n' }),
    ]);
    expect(await bytes('/srv/c07/one')).toBe('x = 1\n');
    expect(await bytes('/srv/c07/none')).toBe('x = 1');
    expect(await bytes('/srv/c07/two')).toBe('x = 1\n\n');
    expect((await sh('stat -c %a /srv/c07/one')).trim()).toBe('644');
  });

  test('C-13: replacing a 0664 file without a mode keeps 0664 and the owner; twice', async () => {
    await sh('id app >/dev/null 2>&1 || useradd --system app');
    await put('/srv/c13/f', 'old\n', '0664');
    await sh('chown app:app /srv/c13/f');
    await convergeTwice(hosts, [copy({ dest: '/srv/c13/f', content: 'new\n' })]);
    expect(await bytes('/srv/c13/f')).toBe('new\n');
    expect((await sh('stat -c %a:%U:%G /srv/c13/f')).trim()).toBe('664:app:app');
  });

  test('C-14: every spelling of 0644 converges once and then reports nothing', async () => {
    await put('/srv/c14/f', 'a\n', '0600');
    for (const mode of ['0644', '644', 0o644, 420, 'u=rw,g=r,o=r']) {
      const r = await convergeTwice(hosts, [file({ path: '/srv/c14/f', mode }), copy({ dest: '/srv/c14/g', content: 'g\n', mode })]);
      expect(r.second.tasks.every((t) => t.status !== 'changed')).toBe(true);
      expect((await sh('stat -c %a /srv/c14/f /srv/c14/g')).trim().split('\n')).toEqual(['644', '644']);
    }
    // An ambiguous mode is a params error, found before any host is contacted.
    await expect(runTasks(hosts, [file({ path: '/srv/c14/f', mode: 644 })])).rejects.toThrow(/ambiguous.*'0644'/);
  });

  test('C-15: check mode predicts exactly what touch, directory, copy and link then do', async () => {
    const r = await convergeTwice(hosts, [
      file({ path: '/srv/c15/dir/sub', state: 'directory', mode: '0750' }),
      file({ path: '/srv/c15/dir/sub/touched', state: 'touch' }),
      copy({ dest: '/srv/c15/dir/sub/copied', content: 'c\n', mode: 'u=rw,g=,o=' }),
      file({ path: '/srv/c15/dir/link', state: 'link', src: 'sub/copied' }),
    ]);
    expect(r.check.tasks.filter((t) => t.status === 'changed')).toHaveLength(4);
    expect((await sh('stat -c %a:%F /srv/c15/dir/sub /srv/c15/dir/sub/touched /srv/c15/dir/sub/copied /srv/c15/dir/link')).trim().split('\n')).toEqual([
      '750:directory',
      '644:regular empty file',
      '600:regular file',
      '777:symbolic link',
    ]);
    await convergeTwice(hosts, [file({ path: '/srv/c15/dir', state: 'absent' })]);
    expect((await hosts.exec(H, 'test -e /srv/c15/dir')).exitCode).not.toBe(0);
  });
});

describe('owner and group', () => {
  test('a name of digits is the user of that name, a number is an id; twice', async () => {
    // A user and a group named 1234 with id 2001, written to the databases as a directory service would hold them.
    await sh("grep -q '^1234:' /etc/passwd || { echo '1234:x:2001:2001::/nonexistent:/usr/sbin/nologin' >> /etc/passwd; echo '1234:x:2001:' >> /etc/group; }; mkdir -p /srv/own");
    await convergeTwice(hosts, [
      copy({ dest: '/srv/own/by-name', content: 'a\n', owner: '1234', group: '1234' }),
      file({ path: '/srv/own/dir', state: 'directory', owner: '1234', group: '1234' }),
      copy({ dest: '/srv/own/by-id', content: 'b\n', owner: 1234, group: 1234 }),
    ]);
    expect((await sh('stat -c %u:%g /srv/own/by-name /srv/own/dir /srv/own/by-id')).trim().split('\n')).toEqual(['2001:2001', '2001:2001', '1234:1234']);
  });

  test('an owner or group the host does not know fails --check where the run fails', async () => {
    const tasks = () => [copy({ dest: '/srv/own/unknown', content: 'x\n', owner: 'nosuchuser' }, { ignoreErrors: true }), file({ path: '/srv/own/unknown-dir', state: 'directory', group: 'nosuchgroup' }, { ignoreErrors: true })];
    const check = await runTasks(hosts, tasks(), { check: true });
    const run = await runTasks(hosts, tasks());
    for (const r of [check, run]) {
      expect(r.tasks.map((t) => t.status)).toEqual(['failed', 'failed']);
      expect(r.tasks[0]?.message).toMatch(/owner "nosuchuser": the host has no user of that name/);
      expect(r.tasks[1]?.message).toMatch(/group "nosuchgroup": the host has no group of that name/);
    }
    expect((await hosts.exec(H, 'test -e /srv/own/unknown || test -e /srv/own/unknown-dir')).exitCode).not.toBe(0);
  });
});
