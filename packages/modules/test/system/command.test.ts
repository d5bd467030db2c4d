import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { command, shell } from '../../src/command/command.js';
import { commandPathExists } from '../../src/command/path-exists.js';

describe('fact command.path_exists', () => {
  const def = commandPathExists.definition;
  test.each([
    ['yes\t/etc/passwd\n', { exists: true, match: '/etc/passwd' }],
    ['no\n', { exists: false }],
  ])('parses %j', (out, value) => {
    expect(def.parse(out, { args: { path: '/etc/passwd' }, exitCode: 0, stderr: '' })).toEqual(value);
  });
  test('quotes the pattern and expands it without word splitting', () => {
    expect(String(def.command({ path: '/tmp/a b/*.log' }))).toBe(
      `IFS=; p='/tmp/a b/*.log'; set -- $p; if [ -e "$1" ] || [ -L "$1" ]; then printf 'yes\\t%s\\n' "$1"; else echo no; fi`,
    );
  });
  test.each([
    [{ path: '/var/lib/app/.done' }, ['/var/lib/app/.done']],
    [{ path: '/var/log/app/*.log' }, ['/var/log/app']],
    [{ path: 'out.txt', chdir: '/srv' }, ['*']],
  ])('resources of %j', (args, keys) => {
    expect(def.resources?.(args)).toEqual(keys);
  });
});

describe('module command', () => {
  test.each([
    {
      case: 'runs when creates is missing',
      params: { cmd: 'touch /tmp/x', creates: '/tmp/x' },
      facts: { creates: { exists: false } },
      changes: [{ path: 'command', before: null, after: 'touch /tmp/x' }],
      script: `command -- touch /tmp/x`,
    },
    {
      case: 'argv with a word a shell would parse',
      params: { argv: ['if', 'a b', "it's"] },
      facts: {},
      changes: [{ path: 'command', before: null, after: `if 'a b' 'it'\\''s'` }],
      script: `command -- if 'a b' 'it'\\''s'`,
    },
    {
      case: 'chdir and env',
      params: { cmd: 'make install', chdir: '/opt/app', env: { PREFIX: '/usr/local' } },
      facts: {},
      changes: [{ path: 'command', before: null, after: 'make install' }],
      script: `cd -- /opt/app && env -- PREFIX=/usr/local make install`,
    },
  ])('$case', ({ params, facts, changes, script }) => {
    const r = planModule(command, { params, facts });
    expect(r.changes).toEqual(changes);
    expect(r.commands.map((c) => String(c.script))).toEqual([script]);
  });

  test('skips when creates exists, with the reason', () => {
    const r = planModule(command, { params: { cmd: 'touch /tmp/x', creates: '/tmp/*' }, facts: { creates: { exists: true, match: '/tmp/x' } } });
    expect(r).toMatchObject({ changes: [], commands: [], reason: 'creates: /tmp/x exists' });
  });

  test('skips when removes is missing', () => {
    const r = planModule(command, { params: { cmd: 'rm /tmp/x', removes: '/tmp/x' }, facts: { removes: { exists: false } } });
    expect(r).toMatchObject({ changes: [], reason: 'removes: /tmp/x does not exist' });
  });

  test('stdin gets a newline, a secret stays a secret', () => {
    const plain = planModule(command, { params: { cmd: 'cat', stdin: 'hi' }, facts: {} });
    expect(plain.commands[0]?.stdin).toBe('hi\n');
    const hidden = planModule(command, { params: { cmd: 'cat', stdin: secret('s3cr3t-value') }, facts: {} });
    expect(String(hidden.commands[0]?.stdin)).toBe('********');
  });

  test.each([{ params: {} }, { params: { cmd: 'a', argv: ['a'] } }, { params: { cmd: 'echo "x' } }])('rejects %j', ({ params }) => {
    expect(() => planModule(command, { params, facts: {} })).toThrow();
  });

  test('outcome gives rc, stripped stdout and stderr; non-zero fails', () => {
    const def = command.definition;
    const input = { params: { cmd: 'false', stdin_add_newline: true, strip_empty_ends: true }, facts: {}, host: {} as never, upstreamChanged: false, plan: { changes: [] } } as never;
    expect(def.outcome?.({ stdout: 'out\n\n', stderr: 'err\n', exitCode: 0, durationMs: 1 }, input)).toEqual({
      result: { rc: 0, stdout: 'out', stderr: 'err', cmd: 'false' },
      changed: true,
      failed: false,
    });
    expect(def.outcome?.({ stdout: '', stderr: '', exitCode: 3, durationMs: 1 }, input)).toMatchObject({ failed: true, result: { rc: 3 } });
  });
});

describe('module shell', () => {
  test('passes the text as one argument to the shell', () => {
    const r = planModule(shell, { params: { cmd: 'echo $HOME | tr a-z A-Z > /tmp/h' }, facts: {} });
    expect(r.changes).toEqual([{ path: 'command', before: null, after: 'echo $HOME | tr a-z A-Z > /tmp/h' }]);
    expect(String(r.commands[0]?.script)).toBe(`command -- /bin/sh -c 'echo $HOME | tr a-z A-Z > /tmp/h'`);
  });
});
