import { secret, SECRET_MASK } from '@converge/core';
import { describe, expect, it } from 'vitest';
import { renderDiff } from './diff.js';

const KEY = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-canary-a1', 'BKcwggSjAgEAAoIBAQC7kK2Q1Rq3-canary-a2', 'Aw==', '-----END PRIVATE KEY-----', ''].join('\n');
const OLD_KEY = KEY.replace(/canary-a/g, 'former-b').replace('Aw==', 'Bw==');
const file = (before: string, after: string) => renderDiff([{ path: 'content', before: 'x', after: 'y' }], [{ path: '/etc/app/app.conf', before, after }]);

describe('renderDiff masks secrets in the data, never the frame', () => {
  secret(KEY);
  secret('sst-canary-new-91');
  secret('changed');

  it.each<[string, string, string, string[], string[]]>([
    ['a multi-line secret created in a file', '', `key:\n${KEY}`, [`+${SECRET_MASK}`, '+key:'], ['canary-a', 'Aw==', 'BEGIN']],
    ['a multi-line secret rotated: its former lines are masked too', `key:\n${OLD_KEY}port = 1\n`, `key:\n${KEY}port = 1\n`, [` key:`, ` port = 1`, `-${SECRET_MASK}`, `+${SECRET_MASK}`], ['former-b', 'canary-a', 'Bw==']],
    [
      'a rotated password keeps the setting and masks the former value',
      '[galera]\nwsrep_on = ON\nwsrep_sst_auth = mariabackup:sst-canary-old-17\nmax = 1\n',
      '[galera]\nwsrep_on = ON\nwsrep_sst_auth = mariabackup:sst-canary-new-91\nmax = 2\n',
      [`-wsrep_sst_auth = mariabackup:${SECRET_MASK}`, `+wsrep_sst_auth = mariabackup:${SECRET_MASK}`, '+max = 2', ' wsrep_on = ON'],
      ['sst-canary-old-17', 'sst-canary-new-91'],
    ],
    [
      'a line a secret-bearing line replaces, whatever it looked like',
      'a = 1\ntoken: "old-token-canary-5"\nz = 9\n',
      'a = 1\nauth sst-canary-new-91\nz = 9\n',
      [`-${SECRET_MASK}`, `+auth ${SECRET_MASK}`],
      ['old-token-canary-5'],
    ],
    ['a secret that is a common word leaves the frame and other words alone', 'mode = stopped\n\n', 'mode = stopped\n\nstate = changed\nunchanged = 1\n', ['--- /etc/app/app.conf (before)', '+++ /etc/app/app.conf (after)', `+state = ${SECRET_MASK}`, '+unchanged = 1', ' mode = stopped'], []],
  ])('%s', (_what, before, after, shown, hidden) => {
    const out = file(before, after);
    for (const s of shown) expect(out.split('\n'), out).toContain(s);
    for (const h of hidden) expect(out, out).not.toContain(h);
  });

  it('masks change values before serialising them (a multi-line secret stays masked)', () => {
    const out = renderDiff([{ path: 'changed', before: 'stopped', after: KEY }, { path: 'mode', before: '0644', after: '0600' }], []);
    expect(out).toBe(`changed: "stopped" -> "${SECRET_MASK}"\nmode: "0644" -> "0600"\n`);
  });
});
