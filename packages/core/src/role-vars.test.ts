import { describe, expect, test } from 'vitest';
import { registerSecretValue, secret } from './secret.js';
import { checkRoleVars, type KnownVars } from './role-vars.js';

interface LbVars {
  backend_port?: number;
  haproxy?: { global?: Record<string, string> };
  tls?: { cert: string; key?: string };
  backends?: { name: string; port?: number }[];
  password?: unknown;
}

const KNOWN: KnownVars<LbVars> = { backend_port: true, haproxy: true, tls: { cert: true, key: true }, backends: [{ name: true, port: true }], password: true };

describe('checkRoleVars', () => {
  test.each([
    [{ backend_prot: 8080 }, 'role load-balancer: load_balancer.backend_prot is not a var of the role (known: backend_port, haproxy, tls, backends, password)'],
    [{ tls: { cert: 'c', kye: 'k' } }, 'role load-balancer: load_balancer.tls.kye is not a var of the role (known: cert, key)'],
    [{ backends: [{ name: 'a' }, { name: 'b', prot: 1 }] }, 'role load-balancer: load_balancer.backends[1].prot is not a var of the role (known: name, port)'],
    [{ backends: { name: 'a' } }, 'role load-balancer: load_balancer.backends is not a list'],
    [{ tls: 'cert.pem' }, 'role load-balancer: load_balancer.tls is not an object (got "cert.pem")'],
    [['backend_port'], 'role load-balancer: load_balancer is not an object (got a list)'],
    [null, 'role load-balancer: load_balancer is not an object (got null)'],
    [{ toString: 1 }, 'role load-balancer: load_balancer.toString is not a var of the role (known: backend_port, haproxy, tls, backends, password)'],
  ])('refused: %j', (value, message) => {
    expect(() => checkRoleVars('load-balancer', 'load_balancer', value, KNOWN)).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message }));
  });

  test('known vars pass as they are; module params (true) and Secrets are not looked into', () => {
    const value = { backend_port: 8080, haproxy: { global: { maxconn: '100' }, anything: 1 }, tls: { cert: 'c' }, backends: [{ name: 'a', port: 80 }], password: secret('p') };
    expect(checkRoleVars('load-balancer', 'load_balancer', value, KNOWN)).toBe(value);
    expect(checkRoleVars('load-balancer', 'load_balancer', {}, KNOWN)).toEqual({});
  });

  test('a value that is not an object is shown masked', () => {
    registerSecretValue('role-vars-hunter2');
    for (const value of ['role-vars-hunter2', secret('role-vars-hunter2')]) {
      expect(() => checkRoleVars('load-balancer', 'load_balancer', value, KNOWN)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
    }
  });

  test('the known list is complete by type', () => {
    // @ts-expect-error tls is missing
    const missing: KnownVars<LbVars> = { backend_port: true, haproxy: true, backends: true, password: true };
    // @ts-expect-error backend_prot is not a var
    const extra: KnownVars<LbVars> = { ...KNOWN, backend_prot: true };
    // @ts-expect-error tls.key is missing
    const nested: KnownVars<LbVars> = { ...KNOWN, tls: { cert: true } };
    expect([missing, extra, nested]).toHaveLength(3);
  });
});
