import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHaproxyConfig, type HaproxyConfig } from '../src/index.js';
import { secret } from '@converge/core';
import { fullModel } from './model-example.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

/** Compares with a fixture file; CONVERGE_UPDATE_FIXTURES=1 rewrites it (then review the git diff). */
function expectFixture(name: string, text: string): void {
  if (process.env.CONVERGE_UPDATE_FIXTURES === '1') writeFileSync(fixture(name), text);
  expect(text).toBe(readFileSync(fixture(name), 'utf8'));
}

describe('renderHaproxyConfig', () => {
  it('renders the minimal model with Debian-like defaults and the admin socket', () => {
    expectFixture('minimal.cfg', renderHaproxyConfig({}).text);
  });

  it('renders every section of the model (fixture full.cfg)', () => {
    const { certificates: _c, ...model } = { ...fullModel, certificates: undefined };
    expectFixture('full.cfg', renderHaproxyConfig(model as HaproxyConfig, { certificatesDir: '/etc/haproxy/tls/' }).text);
  });

  it.each<[string, HaproxyConfig, boolean]>([
    ['by default, in HTTP mode', {}, true],
    ['turned off', { defaults: { idle_close_on_response: false } }, false],
    ['not in TCP mode (an HTTP option)', { defaults: { mode: 'tcp' } }, false],
    ['once when the options list names it too', { defaults: { options: ['httplog', 'idle-close-on-response'] } }, true],
  ])('keeps idle keep-alive connections through a reload (option idle-close-on-response): %s', (_what, config, on) => {
    const text = renderHaproxyConfig(config).text;
    expect(text.split('\n').filter((l) => l.trim() === 'option idle-close-on-response').length).toBe(on ? 1 : 0);
  });

  it('is deterministic: the same model gives the same bytes, whatever the key order of objects', () => {
    const a = renderHaproxyConfig({ defaults: { timeouts: { server: '1m', connect: '2s', tunnel: '1h' } } }).text;
    const b = renderHaproxyConfig({ defaults: { timeouts: { tunnel: '1h', connect: '2s', server: '1m' } } }).text;
    expect(a).toBe(b);
    expect(a).toContain('    timeout connect 2s\n    timeout client 30s\n    timeout server 1m\n    timeout tunnel 1h\n');
  });

  it('keeps the order of ACLs and rules as given (HAProxy evaluates them in order)', () => {
    const text = renderHaproxyConfig({
      frontends: [{ name: 'f', binds: [{ address: ':80' }], use_backends: [{ backend: 'b', if: 'x' }, { backend: 'a', if: 'y' }] }],
      backends: [{ name: 'a', servers: [] }, { name: 'b', servers: [] }],
    }).text;
    expect(text.indexOf('use_backend b if x')).toBeLessThan(text.indexOf('use_backend a if y'));
  });

  it('marks a configuration holding a Secret stats password as secret', () => {
    const r = renderHaproxyConfig({ stats: { auth: { user: 'ops', password: secret('s3cr3t-pw') } } });
    expect(r.secret).toBe(true);
    expect(r.text).toContain('stats auth ops:s3cr3t-pw');
    expect(renderHaproxyConfig({ stats: {} }).secret).toBe(false);
  });

  it('refuses rules that name an undefined backend, and duplicate names', () => {
    expect(() => renderHaproxyConfig({ frontends: [{ name: 'f', binds: [{ address: ':80' }], default_backend: 'nope' }] })).toThrow(/default_backend: no backend named "nope"/);
    expect(() => renderHaproxyConfig({ backends: [{ name: 'a', servers: [] }, { name: 'a', servers: [] }] })).toThrow(/second backend named "a"/);
    expect(() => renderHaproxyConfig({ backends: [{ name: 'a', servers: [{ name: 's', address: 'x:1' }, { name: 's', address: 'y:1' }] }] })).toThrow(/second server/);
  });
});
