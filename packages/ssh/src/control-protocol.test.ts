import { describe, expect, it } from 'vitest';
import { isSecret, secret } from '@converge/core';
import { decodeMessage, encodeMessage } from './control-protocol.js';
import { connectionKey } from './control-server.js';

describe('the control socket protocol', () => {
  it('carries a secret as its value (not its mask) and gives it back as a Secret, on one line', () => {
    const line = encodeMessage({ id: 7, op: 'exec', command: 'id', options: { become: { method: 'sudo', user: 'root', password: secret('pa\nss "w0rd"') } } });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const back = decodeMessage<{ options: { become: { password: unknown } } }>(line.trimEnd());
    const password = back.options.become.password;
    expect(isSecret(password) && password.reveal()).toBe('pa\nss "w0rd"');
  });

  it('tells connections apart by their secrets, without printing them', () => {
    const spec = (pw: string) => ({ host: 'h', connection: 'ssh', address: 'a', port: 22, password: secret(pw), options: {}, connectTimeoutMs: 1000 });
    expect(connectionKey(spec('one'), {})).not.toBe(connectionKey(spec('two'), {}));
    expect(connectionKey(spec('one'), {})).toBe(connectionKey(spec('one'), {}));
    expect(connectionKey(spec('one'), {})).toMatch(/^[0-9a-f]{64}$/);
  });
});
