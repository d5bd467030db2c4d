// Module cases { params, facts } -> { changes, commands } of the system configuration modules,
// and their fact parsers on recorded output (fixtures/, or probes run on this machine).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factCommand, LocalTransport } from '@converge/core';
import { planModule } from '@converge/core/testing';
import {
  alternatives,
  alternativesGroup,
  cron,
  editCrontab,
  hostname,
  locale,
  logrotate,
  modprobe,
  normalLocale,
  pamLimits,
  parseAlternativesQuery,
  stat,
  sysctl,
  sysctlValue,
  timezone,
  userCrontab,
} from '../../src/system.js';
import type { FileState } from '../../src/files.js';
import { fileFact } from '../files/edit-harness.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const scripts = (r: { commands: { script: unknown }[] }) => r.commands.map((c) => String(c.script));
const absent = (path: string): FileState => ({ path, type: 'absent', parentExists: true });
const local = new LocalTransport();
/** A recorded file.state of a file with its real sha256 (what copy-style plans compare). */
const hashed = (content: string, path: string): FileState => {
  const f = fileFact(content, { path });
  f.target!.sha256 = createHash('sha256').update(content).digest('hex');
  return f;
};

describe('sysctl', () => {
  const file = '/etc/sysctl.d/99-converge.conf';
  it.each([
    {
      name: 'a new file and a live value that differs',
      params: { name: 'net.core.somaxconn', value: 1024 },
      facts: { file: absent(file), live: { name: 'net.core.somaxconn', value: '4096' } },
      changes: [
        { path: 'state', before: 'absent', after: 'file' },
        { path: 'file', before: null, after: 'net.core.somaxconn=1024' },
        { path: 'live', before: '4096', after: '1024' },
      ],
      after: 'net.core.somaxconn=1024\n',
      live: "printf '%s\\n' 1024 > /proc/sys/net/core/somaxconn",
    },
    {
      name: 'a line with spaces and the same value, live drifted: only live',
      params: { name: 'net.ipv4.ip_local_port_range', value: '10000 60999' },
      facts: { file: fileFact('# ports\nnet.ipv4.ip_local_port_range = 10000\t60999\n', { path: file }), live: { name: 'x', value: '32768 60999' } },
      changes: [{ path: 'live', before: '32768 60999', after: '10000 60999' }],
      live: "printf '%s\\n' '10000 60999' > /proc/sys/net/ipv4/ip_local_port_range",
    },
    {
      name: 'another value in the file replaces the first line and drops repeats; true is 1',
      params: { name: 'net.ipv4.ip_forward', value: true, reload: false },
      facts: { file: fileFact('net/ipv4/ip_forward=0\nvm.swappiness=10\nnet.ipv4.ip_forward = 0\n', { path: file }), live: { name: 'x', value: '0' } },
      changes: [{ path: 'file', before: 'net/ipv4/ip_forward=0', after: 'net.ipv4.ip_forward=1' }],
      after: 'net.ipv4.ip_forward=1\nvm.swappiness=10\n',
    },
    {
      name: 'state absent removes the line and leaves the live value',
      params: { name: 'vm.swappiness', state: 'absent' },
      facts: { file: fileFact('vm.swappiness=10\n', { path: file }), live: { name: 'x', value: '10' } },
      changes: [{ path: 'file', before: 'vm.swappiness=10', after: null }],
      after: '',
    },
    {
      name: 'nothing to do',
      params: { name: 'vm.swappiness', value: '10' },
      facts: { file: fileFact('vm.swappiness=10\n', { path: file }), live: { name: 'x', value: '10' } },
      changes: [],
    },
  ])('$name', ({ params, facts, changes, after, live }) => {
    const r = planModule(sysctl, { params, facts });
    expect(r.changes).toEqual(changes);
    if (after !== undefined) expect(r.commands.find((c) => c.description?.startsWith('write'))?.stdin).toEqual(new Uint8Array(Buffer.from(after)));
    if (live !== undefined) expect(scripts(r)).toContain(live);
    else expect(scripts(r).some((s) => s.includes('/proc/sys'))).toBe(false);
  });

  it('refuses a parameter the kernel does not have, unless an earlier task (modprobe) may add it', () => {
    const facts = { file: absent(file), live: { name: 'net.bridge.x', value: null } };
    expect(() => planModule(sysctl, { params: { name: 'net.bridge.x', value: 1 }, facts })).toThrow(/no parameter net.bridge.x/);
    const r = planModule(sysctl, { params: { name: 'net.bridge.x', value: 1 }, facts, upstreamChanged: true });
    expect(r.changes.at(-1)).toEqual({ path: 'live', before: 'not known before an earlier task runs', after: '1' });
  });

  it('reads a live value from /proc/sys (tabs as one space) and an absent one', async () => {
    const out = await local.exec(factCommand(sysctlValue, { name: 'net.ipv4.ip_local_port_range' }));
    expect(sysctlValue.definition.parse(out.stdout, { args: { name: 'x' }, exitCode: 0, stderr: '' }).value).toMatch(/^\d+ \d+$/);
    const none = await local.exec(factCommand(sysctlValue, { name: 'net.no.such.key' }));
    expect(sysctlValue.definition.parse(none.stdout, { args: { name: 'net.no.such.key' }, exitCode: 0, stderr: '' })).toEqual({ name: 'net.no.such.key', value: null });
  });

  it('refuses a value with a newline and a missing value', () => {
    expect(() => planModule(sysctl, { params: { name: 'a.b', value: '1\n2' }, facts: {} })).toThrow(/value/);
    expect(() => planModule(sysctl, { params: { name: 'a.b' }, facts: {} })).toThrow(/value is required/);
  });
});

describe('modprobe', () => {
  const files = (load: string | null, options: string | null) => ({
    load: load === null ? absent('/etc/modules-load.d/dummy.conf') : hashed(load, '/etc/modules-load.d/dummy.conf'),
    options: options === null ? absent('/etc/modprobe.d/dummy.conf') : hashed(options, '/etc/modprobe.d/dummy.conf'),
  });
  it.each([
    {
      name: 'loads a module with params and writes both boot files',
      params: { name: 'dummy', params: 'numdummies=2', persistent: 'present' },
      facts: { module: { loaded: false, modprobe: true }, ...files(null, null) },
      paths: ['loaded', 'modules_load.state', 'modules_load.content', 'modprobe_options.state', 'modprobe_options.content'],
      last: 'modprobe -- dummy numdummies=2',
    },
    {
      name: 'a loaded module with its files: nothing',
      params: { name: 'dummy', params: 'numdummies=2', persistent: 'present' },
      facts: { module: { loaded: true, modprobe: true }, ...files('dummy\n', 'options dummy numdummies=2\n') },
      paths: [],
    },
    {
      name: 'unloads and removes the boot files',
      params: { name: 'dummy', state: 'absent', persistent: 'absent' },
      facts: { module: { loaded: true, modprobe: true }, ...files('dummy\n', null) },
      paths: ['loaded', 'modules_load.state'],
      last: 'modprobe -r -- dummy',
    },
  ])('$name', ({ params, facts, paths, last }) => {
    const r = planModule(modprobe, { params, facts });
    expect(r.changes.map((c) => c.path)).toEqual(paths);
    if (last) expect(scripts(r).at(-1)).toBe(last);
  });

  it('says so when the module must be loaded and the host has no modprobe', () => {
    expect(() => planModule(modprobe, { params: { name: 'dummy' }, facts: { module: { loaded: false, modprobe: false } } })).toThrow(/no modprobe.*\n?/);
  });
});

describe('hostname and timezone', () => {
  it('writes /etc/hostname and sets the live name; nothing when both match', () => {
    const r = planModule(hostname, { params: { name: 'web1.example.test' }, facts: { file: fileFact('old\n', { path: '/etc/hostname' }), live: 'old' } });
    expect(r.changes.map((c) => c.path)).toEqual(['file.content', 'live']);
    expect(scripts(r).at(-1)).toContain("n=web1.example.test; if command -v hostname");
    const none = planModule(hostname, { params: { name: 'web1' }, facts: { file: hashed('web1\n', '/etc/hostname'), live: 'web1' } });
    expect(none.changes).toEqual([]);
    expect(() => planModule(hostname, { params: { name: 'bad_name' }, facts: {} })).toThrow(/name/);
  });

  it('relinks /etc/localtime and writes /etc/timezone; refuses an unknown zone', () => {
    const zone: FileState = { path: '/usr/share/zoneinfo/Europe/Paris', type: 'file', parentExists: true, target: fileFact('TZif').target! };
    const lt: FileState = { path: '/etc/localtime', type: 'link', parentExists: true, linkTarget: '/usr/share/zoneinfo/Etc/UTC' };
    const r = planModule(timezone, { params: { name: 'Europe/Paris' }, facts: { localtime: lt, zone, file: absent('/etc/timezone') } });
    expect(r.changes[0]).toEqual({ path: 'localtime', before: 'link -> /usr/share/zoneinfo/Etc/UTC', after: 'link -> /usr/share/zoneinfo/Europe/Paris' });
    expect(scripts(r)[0]).toContain("ln -s -- /usr/share/zoneinfo/Europe/Paris \"$tmp\"\nmv -fT -- \"$tmp\" /etc/localtime");
    expect(() => planModule(timezone, { params: { name: 'Mars/Olympus' }, facts: { localtime: lt, zone: absent('/usr/share/zoneinfo/Mars/Olympus'), file: absent('/etc/timezone') } })).toThrow(/not a time zone/);
  });
});

describe('locale', () => {
  const supported = fileFact('de_DE.UTF-8 UTF-8\nde_DE ISO-8859-1\nen_US.UTF-8 UTF-8\n', { path: '/usr/share/i18n/SUPPORTED' });
  it.each([
    ['de_DE.UTF-8', 'de_DE.utf8'],
    ['en_US.ISO-8859-15', 'en_US.iso885915'],
    ['de_DE@euro', 'de_DE@euro'],
  ])('normalizes %s as locale -a prints it: %s', (a, b) => expect(normalLocale(a)).toBe(b));

  it('uncomments the line and runs locale-gen; nothing once compiled and enabled', () => {
    const gen = fileFact('# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n', { path: '/etc/locale.gen' });
    const r = planModule(locale, { params: { name: 'de_DE.UTF-8' }, facts: { gen, supported, available: { localeGen: true, locales: ['C', 'C.utf8', 'POSIX'] } } });
    expect(r.changes.map((c) => c.path)).toEqual(['locale_gen', 'compiled']);
    expect(r.diffs[0]?.after).toBe('de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n');
    expect(scripts(r).at(-1)).toBe('locale-gen >/dev/null');
    const done = planModule(locale, { params: { name: 'de_DE.UTF-8' }, facts: { gen: fileFact('de_DE.UTF-8 UTF-8\n'), supported, available: { localeGen: true, locales: ['de_DE.utf8'] } } });
    expect(done.changes).toEqual([]);
  });

  it('refuses an unsupported name, and a host without the locales package', () => {
    const facts = { gen: fileFact(''), supported, available: { localeGen: true, locales: [] } };
    expect(() => planModule(locale, { params: { name: 'xx_XX.UTF-8' }, facts })).toThrow(/not a supported locale/);
    expect(() => planModule(locale, { params: { name: 'de_DE.UTF-8' }, facts: { ...facts, supported: absent('/usr/share/i18n/SUPPORTED') } })).toThrow(/has no \/usr\/share\/i18n\/SUPPORTED/);
  });
});

describe('cron', () => {
  const job = { name: 'backup', job: '/usr/local/bin/backup', minute: '5', hour: '2' };
  it.each([
    { name: 'a job into an empty crontab', params: job, before: '', after: '#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n' },
    { name: 'the job line after its marker is replaced', params: job, before: 'MAILTO=x\n#Ansible: backup\n0 1 * * * /old\n@reboot /other\n', after: 'MAILTO=x\n#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n@reboot /other\n' },
    { name: 'a disabled special_time job', params: { name: 'b', job: 'true', special_time: 'daily', disabled: true }, before: 'x\n', after: 'x\n#Ansible: b\n#@daily true\n' },
    { name: 'absent removes marker and job', params: { name: 'backup', state: 'absent' }, before: '#Ansible: backup\n5 2 * * * /x\nkeep\n', after: 'keep\n' },
    { name: 'an env variable goes to the top', params: { name: 'PATH', job: '/usr/bin:/bin', env: true }, before: '#Ansible: a\n* * * * * a\n', after: 'PATH="/usr/bin:/bin"\n#Ansible: a\n* * * * * a\n' },
    { name: 'a cron.d line carries the user', params: { ...job, cron_file: 'backup', user: 'app' }, before: '', after: '#Ansible: backup\n5 2 * * * app /usr/local/bin/backup\n' },
    { name: 'a missing final newline is fixed', params: job, before: '#Ansible: backup\n5 2 * * * /usr/local/bin/backup', after: '#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n' },
  ])('$name', ({ params, before, after }) => {
    expect(editCrontab(before, params as never).after).toBe(after);
  });

  it('installs a user crontab through crontab(1) stdin, and a cron.d file atomically', () => {
    const r = planModule(cron, { params: { ...job, user: 'app' }, facts: { crontab: { installed: true, content: '' } } });
    expect(r.commands).toEqual([{ script: expect.anything(), stdin: '#Ansible: backup\n5 2 * * * /usr/local/bin/backup\n', description: 'install the crontab of app' }]);
    expect(scripts(r)[0]).toBe('crontab -u app -');
    const f = planModule(cron, { params: { ...job, cron_file: 'backup', user: 'app' }, facts: { file: absent('/etc/cron.d/backup') } });
    expect(f.commands[0]?.description).toBe('write /etc/cron.d/backup');
    const last = planModule(cron, { params: { name: 'backup', cron_file: 'backup', state: 'absent' }, facts: { file: fileFact('#Ansible: backup\n5 2 * * * app /x\n', { path: '/etc/cron.d/backup' }) } });
    expect(scripts(last)).toEqual(['rm -f -- /etc/cron.d/backup']);
  });

  it('refuses a cron_file job without user, a job with a newline, special_time with fields, and a host without crontab', () => {
    expect(() => planModule(cron, { params: { ...job, cron_file: 'x' }, facts: {} })).toThrow(/needs user/);
    expect(() => planModule(cron, { params: { ...job, job: 'a\nb' }, facts: {} })).toThrow(/job/);
    expect(() => planModule(cron, { params: { ...job, special_time: 'daily' }, facts: {} })).toThrow(/special_time or the time fields/);
    expect(() => planModule(cron, { params: job, facts: { crontab: { installed: false, content: '' } } })).toThrow(/no crontab command/);
  });

  it('fails check mode where crontab -u would fail: a user the host does not know, unless an earlier task may create it', () => {
    const facts = { crontab: { installed: true, content: '', userExists: false } };
    expect(() => planModule(cron, { params: { ...job, user: 'nosuchuser' }, facts })).toThrow(/cron: the host has no user "nosuchuser"/);
    expect(planModule(cron, { params: { ...job, user: 'nosuchuser' }, facts, upstreamChanged: true }).changes).toEqual([{ path: 'job', before: null, after: '5 2 * * * /usr/local/bin/backup' }]);
  });

  it('probes whether the user exists on this machine, as crontab -u resolves it', async () => {
    for (const [user, exists] of [['root', true], ['no-such-user-cv', false]] as const) {
      const r = await local.exec(factCommand(userCrontab, { user }));
      expect(userCrontab.definition.parse(r.stdout, { args: { user }, exitCode: r.exitCode, stderr: r.stderr }).userExists).toBe(exists);
    }
    expect(userCrontab.definition.resources?.({ user: 'app' })).toEqual(['crontab:app', 'user:app', '/etc/passwd']);
  });

  it('parses recorded crontab -l output', () => {
    const b64 = Buffer.from('#Ansible: a\n* * * * * a\n').toString('base64');
    expect(userCrontab.definition.parse(`crontab yes\ncontent ${b64}\n`, { args: {}, exitCode: 0, stderr: '' })).toEqual({ installed: true, content: '#Ansible: a\n* * * * * a\n' });
    expect(userCrontab.definition.parse('crontab no\n', { args: {}, exitCode: 0, stderr: '' })).toEqual({ installed: false, content: '' });
  });
});

describe('pamLimits', () => {
  const dest = '/etc/security/limits.conf';
  it.each([
    { name: 'appends a tab-separated line', params: { domain: 'app', limit_type: '-', limit_item: 'nofile', value: 65536 }, before: '# End of file\n', after: '# End of file\napp\t-\tnofile\t65536\n' },
    { name: 'rewrites the matching line', params: { domain: '@dev', limit_type: 'soft', limit_item: 'nproc', value: 'unlimited', comment: 'builds' }, before: '@dev soft nproc 100\n', after: '@dev\tsoft\tnproc\tunlimited\t#builds\n' },
    { name: 'use_max keeps a larger value', params: { domain: 'app', limit_type: 'hard', limit_item: 'nofile', value: 1024, use_max: true }, before: 'app hard nofile 4096\n', after: null },
  ])('$name', ({ params, before, after }) => {
    const r = planModule(pamLimits, { params: { ...params, dest }, facts: { file: fileFact(before, { path: dest }) } });
    if (after === null) expect(r.changes).toEqual([]);
    else expect(r.diffs[0]?.after).toBe(after);
  });
});

describe('logrotate', () => {
  it('renders the stanza and writes it with logrotate -d as validation', () => {
    const r = planModule(logrotate, {
      params: { name: 'app', path: ['/var/log/app/*.log'], frequency: 'daily', rotate: 7, compress: true, missingok: true, notifempty: false, create: '0640 app adm', postrotate: 'systemctl reload app' },
      facts: { file: absent('/etc/logrotate.d/app') },
    });
    expect(r.diffs[0]?.after).toBe(
      '# Managed by converge.\n/var/log/app/*.log {\n    daily\n    rotate 7\n    missingok\n    ifempty\n    compress\n    create 0640 app adm\n    postrotate\n        systemctl reload app\n    endscript\n}\n',
    );
    expect(scripts(r)[0]).toContain('logrotate -d');
    expect(() => planModule(logrotate, { params: { name: 'a.b', path: '/x' }, facts: {} })).toThrow(/name/);
    expect(() => planModule(logrotate, { params: { name: 'a', path: '/x', postrotate: 'a\nendscript\nb' }, facts: {} })).toThrow(/endscript/);
  });
});

describe('alternatives', () => {
  const group = parseAlternativesQuery(fixture('update-alternatives-query-editor.txt'));
  it('parses update-alternatives --query (recorded on Debian 12)', () => {
    expect(group).toEqual({
      link: '/usr/bin/editor',
      status: 'auto',
      value: '/usr/bin/vim.basic',
      alternatives: expect.arrayContaining([{ path: '/bin/ed', priority: -100 }, { path: '/usr/bin/vim.basic', priority: 30 }]),
    });
    expect(alternativesGroup.definition.parse('', { args: { name: 'x' }, exitCode: 2, stderr: '' })).toBeNull();
  });
  it.each([
    { name: 'selected: set manual', params: { name: 'editor', path: '/bin/ed', priority: -100 }, scripts: ['update-alternatives --quiet --set editor /bin/ed'] },
    { name: 'a new priority reinstalls', params: { name: 'editor', path: '/bin/ed', priority: 10, state: 'present' }, scripts: ['update-alternatives --quiet --install /usr/bin/editor editor /bin/ed 10'] },
    { name: 'auto', params: { name: 'editor', path: '/usr/bin/vim.basic', priority: 30, state: 'auto' }, scripts: [] },
    { name: 'absent', params: { name: 'editor', path: '/bin/ed', state: 'absent' }, scripts: ['update-alternatives --quiet --remove editor /bin/ed'] },
  ])('$name', ({ params, scripts: want }) => {
    expect(scripts(planModule(alternatives, { params, facts: { group } }))).toEqual(want);
  });
  it('needs link for a new group', () => {
    expect(() => planModule(alternatives, { params: { name: 'cvg', path: '/bin/true' }, facts: { group: null } })).toThrow(/no link was given/);
  });
});

describe('stat', () => {
  it('gives Ansible-shaped results for a file, a link and nothing, without changes or commands', () => {
    const f = fileFact('hi\n', { path: '/etc/x', mode: '0640' });
    f.target!.sha256 = 'abc';
    const r = planModule(stat, { params: { path: '/etc/x' }, facts: { path: f } });
    expect(r.changes).toEqual([]);
    expect(r.commands).toEqual([]);
    const def = stat.definition;
    const result = def.plan({ params: { path: '/etc/x' }, facts: { path: f }, host: { name: 'h', vars: {}, user: 'root', check: false, diff: false }, upstreamChanged: false }).result;
    expect(result).toEqual({ stat: { exists: true, path: '/etc/x', islnk: false, isdir: false, isreg: true, mode: '0640', uid: 0, gid: 0, pw_name: 'root', gr_name: 'root', size: 3, inode: 1, checksum: 'abc' } });
    const link: FileState = { path: '/l', type: 'link', parentExists: true, linkTarget: 'x', realPath: '/etc/x', target: f.target! };
    expect(def.plan({ params: { path: '/l' }, facts: { path: link }, host: { name: 'h', vars: {}, user: 'root', check: false, diff: false }, upstreamChanged: false }).result).toMatchObject({ stat: { islnk: true, lnk_target: 'x', lnk_source: '/etc/x' } });
    expect(def.plan({ params: { path: '/n' }, facts: { path: absent('/n') }, host: { name: 'h', vars: {}, user: 'root', check: true, diff: false }, upstreamChanged: true }).result).toEqual({ stat: { exists: false, path: '/n' }, before_earlier_changes: true });
  });
});
