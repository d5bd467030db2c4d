import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planModule } from '@converge/core/testing';
import { haproxyServer, haproxyServersState, parseServersState } from '../src/index.js';

// Recorded from HAProxy 2.6.12 (Debian 12): a1 after `state drain`, a2 `disabled` in the
// configuration then `state ready`, a3 after `state maint`, a4 `disabled`.
const recorded = readFileSync(join(import.meta.dirname, 'fixtures', 'show-servers-state.txt'), 'utf8');

describe('haproxy.servers_state fact', () => {
  it('reads each server\'s forced state from srv_admin_state', () => {
    const r = parseServersState(recorded);
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    expect(Object.fromEntries(Object.values(r.servers).map((s) => [s.name, s.state]))).toEqual({ a1: 'drain', a2: 'ready', a3: 'maint', a4: 'maint' });
    expect(r.servers.a1).toMatchObject({ address: '127.0.0.1', operational: 2, admin: 8, weight: 10 });
  });

  it.each([
    ['NOSOCKET /run/haproxy/admin.sock is not a socket\n', 'no-socket'],
    ['NOSOCAT\n', 'no-socat'],
    ["Can't find backend.\n\n", 'no-backend'],
    ['', 'error'],
  ])('turns %j into status %s', (out, status) => {
    expect(parseServersState(out).status).toBe(status);
  });

  it('asks the runtime API through socat, quoting the backend', () => {
    const cmd = String(haproxyServersState.definition.command({ socket: '/run/haproxy/admin.sock', backend: 'app' }));
    expect(cmd).toContain("printf '%s\\n' 'show servers state app' | socat -t 5 - UNIX-CONNECT:/run/haproxy/admin.sock");
  });
});

const facts = { backend: parseServersState(recorded) };

describe('haproxy.server plan', () => {
  it.each([
    ['a2', 'drain', [{ path: 'state', before: 'ready', after: 'drain' }]],
    ['a1', 'ready', [{ path: 'state', before: 'drain', after: 'ready' }]],
    ['a3', 'ready', [{ path: 'state', before: 'maint', after: 'ready' }]],
    ['a1', 'drain', []],
    ['a3', 'maint', []],
    ['a2', 'ready', []],
  ])('%s to %s plans %j', (server, state, changes) => {
    const r = planModule(haproxyServer, { params: { backend: 'app', server, state }, facts });
    expect(r.changes).toEqual(changes);
    if (changes.length === 0) expect(r.reason).toMatch(new RegExp(`^app/${server} is ${state}, weight \\d+$`));
    else expect(String(r.commands[0]?.script)).toContain(`'set server app/${server} state ${state}'`);
  });

  it('sets the runtime weight when it differs, together with the state', () => {
    const r = planModule(haproxyServer, { params: { backend: 'app', server: 'a2', state: 'drain', weight: 5 }, facts });
    expect(r.changes).toEqual([
      { path: 'state', before: 'ready', after: 'drain' },
      { path: 'weight', before: 1, after: 5 },
    ]);
    expect(r.commands.map((c) => c.description)).toEqual(['set server app/a2 state drain', 'set server app/a2 weight 5']);
    expect(planModule(haproxyServer, { params: { backend: 'app', server: 'a1', weight: 10 }, facts }).reason).toBe('app/a1 is drain, weight 10');
    expect(() => planModule(haproxyServer, { params: { backend: 'app', server: 'a1' }, facts })).toThrow(/give state, weight or both/);
    expect(() => planModule(haproxyServer, { params: { backend: 'app', server: 'a1', weight: 300 }, facts })).toThrow(/weight/);
  });

  it('fails for an unknown server, naming the servers there are', () => {
    expect(() => planModule(haproxyServer, { params: { backend: 'app', server: 'zz', state: 'ready' }, facts })).toThrow(/no server zz \(it has: a1, a2, a3, a4\)/);
  });

  it('fails when the socket is missing, unless an earlier task of a check run installs HAProxy', () => {
    const none = { backend: parseServersState('NOSOCKET /run/haproxy/admin.sock is not a socket') };
    expect(() => planModule(haproxyServer, { params: { backend: 'app', server: 'a1', state: 'drain' }, facts: none })).toThrow(/is not a socket/);
    const r = planModule(haproxyServer, { params: { backend: 'app', server: 'a1', state: 'drain' }, facts: none, upstreamChanged: true });
    expect(r.changes).toEqual([{ path: 'state', before: 'ready', after: 'drain' }]);
    expect(planModule(haproxyServer, { params: { backend: 'app', server: 'a1', state: 'ready' }, facts: none, upstreamChanged: true }).changes).toEqual([]);
  });

  it('refuses an unknown state before any host is touched', () => {
    expect(() => planModule(haproxyServer, { params: { backend: 'app', server: 'a1', state: 'down' }, facts })).toThrow(/state/);
  });
});
