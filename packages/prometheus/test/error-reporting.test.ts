import { describe, expect, test } from 'vitest';
import { secret } from '@converge/core';
import { planModule } from '@converge/core/testing';
import { sentryEndpoints, sentryEnvironment } from '../src/index.js';

const DSN = 'https://0123456789abcdef@o4507.ingest.de.sentry.io/4508123';

describe('sentry.environment', () => {
  test('the endpoints it sends data to: the DSN host, never its key', () => {
    const endpoints = sentryEndpoints({ dsn: secret(DSN) });
    expect(endpoints).toEqual([{ url: 'https://o4507.ingest.de.sentry.io', kind: 'errors' }]);
    expect(sentryEnvironment.definition.endpoints?.({ dsn: secret(DSN), environment: 'p', path: '/x' } as never)).toEqual(endpoints);
    expect(JSON.stringify(endpoints)).not.toContain('0123456789abcdef');
    expect(sentryEndpoints({ dsn: secret('https://k@sentry.internal.example:9000/7') })).toEqual([{ url: 'https://sentry.internal.example:9000', kind: 'errors' }]);
  });

  test('a new file: written 0640 for the app group, content masked in the change and the diff', () => {
    const r = planModule(sentryEnvironment, {
      params: { dsn: secret(DSN), environment: 'production', release: 'notes@1.4.2', path: '/etc/notes/sentry.env', group: 'www-data' },
      facts: { dest: { type: 'absent', parentExists: true } },
    });
    expect(r.changes.map((c) => [c.path, c.after])).toEqual([
      ['state', 'file'],
      ['content', '********'],
      ['mode', '0640'],
      ['owner', 'root'],
      ['group', 'www-data'],
    ]);
    expect(JSON.stringify([r.changes, r.diffs, r.commands.map((c) => String(c.script))])).not.toContain('0123456789abcdef');
    const stdin = r.commands[0]?.stdin as { reveal(): string };
    expect(stdin.reveal()).toBe(`# Managed by converge (sentry.environment).\nSENTRY_DSN=${DSN}\nSENTRY_ENVIRONMENT=production\nSENTRY_RELEASE=notes@1.4.2\n`);
  });

  test.each(['not a url', 'https://o4507.ingest.de.sentry.io/4508123', 'ftp://k@host/1', 'https://k@host/project'])('refuses %s without showing it', (dsn) => {
    expect(() => planModule(sentryEnvironment, { params: { dsn: secret(dsn), environment: 'production', path: '/etc/app/sentry.env' }, facts: {} })).toThrow(
      /module sentry.environment: dsn is not (a URL|a Sentry DSN)/,
    );
    try {
      planModule(sentryEnvironment, { params: { dsn: secret(dsn), environment: 'production', path: '/etc/app/sentry.env' }, facts: {} });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(dsn);
    }
  });
});
