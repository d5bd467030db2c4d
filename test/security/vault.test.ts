import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvergeError, clearVaultValues, maskText, parseVaultSpec, vault } from '@converge/core';
import { VaultClient, resolveVaultLookups, type VaultClientOptions } from '@converge/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDouble, type VaultDouble } from './vault-double.js';

// HashiCorp Vault lookups. Without a Vault server on the test machines, the tests run against a
// Vault-API-compatible TEST DOUBLE (./vault-double.ts, documented there: exactly the endpoints
// converge uses). With VAULT_ADDR and VAULT_TOKEN (a root or admin token) set, the same tests run
// against that real Vault too: the backend seeds mounts ckv1/ckv2, policies, an AppRole and a
// userpass user through Vault's API. Cases only a double can stage (sealed, namespaces, a
// self-signed CA) run on the double only.

interface Backend {
  name: string;
  address: string;
  kv1(path: string, data: Record<string, unknown>): Promise<void>;
  kv2(path: string, data: Record<string, unknown>): Promise<void>;
  deleteLatestKv2(path: string): Promise<void>;
  token(readable: string[], ttlSeconds?: number): Promise<string>;
  approle(readable: string[]): Promise<{ roleId: string; secretId: string }>;
  userpass(user: string, password: string, readable: string[]): Promise<void>;
  double?: VaultDouble;
  stop(): Promise<void>;
}

async function doubleBackend(): Promise<Backend> {
  const d = await startVaultDouble();
  let roles = 0;
  const versions = new Map<string, Record<string, unknown>[]>();
  return {
    name: 'test double',
    address: d.address,
    double: d,
    kv1: async (p, data) => d.kv1('ckv1', p, data),
    kv2: async (p, data) => {
      versions.set(p, [...(versions.get(p) ?? []), data]);
      d.kv2('ckv2', p, data);
    },
    deleteLatestKv2: async (p) => d.kv2('ckv2', p, null),
    token: async (readable, ttl) => d.token(readable, ttl ? { ttl } : {}),
    approle: async (readable) => {
      const r = { roleId: `role-${++roles}`, secretId: `secret-${roles}-x` };
      d.approle(r.roleId, r.secretId, readable);
      return r;
    },
    userpass: async (u, p, readable) => d.userpass(u, p, readable),
    stop: () => d.stop(),
  };
}

async function realBackend(address: string, root: string): Promise<Backend> {
  const api = async (method: string, path: string, body?: unknown, token = root): Promise<any> => {
    const res = await fetch(`${address.replace(/\/$/, '')}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok && !/already in use/.test(text)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  await api('POST', 'sys/mounts/ckv1', { type: 'kv', options: { version: '1' } });
  await api('POST', 'sys/mounts/ckv2', { type: 'kv', options: { version: '2' } });
  await api('POST', 'sys/auth/approle', { type: 'approle' });
  await api('POST', 'sys/auth/userpass', { type: 'userpass' });
  let n = 0;
  const policy = async (readable: string[]) => {
    const name = `converge-test-${process.pid}-${++n}`;
    await api('PUT', `sys/policies/acl/${name}`, { policy: readable.map((p) => `path "${p}*" { capabilities = ["read"] }`).join('\n') });
    return name;
  };
  return {
    name: `real Vault at ${address}`,
    address,
    kv1: async (p, data) => void (await api('POST', `ckv1/${p}`, data)),
    kv2: async (p, data) => void (await api('POST', `ckv2/data/${p}`, { data })),
    deleteLatestKv2: async (p) => {
      const meta = await api('GET', `ckv2/metadata/${p}`);
      await api('POST', `ckv2/delete/${p}`, { versions: [meta.data.current_version] });
    },
    token: async (readable, ttl) => (await api('POST', 'auth/token/create', { policies: [await policy(readable)], ttl: `${ttl ?? 3600}s` })).auth.client_token,
    approle: async (readable) => {
      const role = `converge-test-${process.pid}-${++n}`;
      await api('POST', `auth/approle/role/${role}`, { token_policies: [await policy(readable)] });
      const roleId = (await api('GET', `auth/approle/role/${role}/role-id`)).data.role_id;
      const secretId = (await api('POST', `auth/approle/role/${role}/secret-id`)).data.secret_id;
      return { roleId, secretId };
    },
    userpass: async (u, p, readable) => void (await api('POST', `auth/userpass/users/${u}`, { password: p, token_policies: [await policy(readable)] })),
    stop: async () => undefined,
  };
}

const backends: (() => Promise<Backend>)[] = [doubleBackend];
if (process.env.VAULT_ADDR && process.env.VAULT_TOKEN) backends.push(() => realBackend(process.env.VAULT_ADDR as string, process.env.VAULT_TOKEN as string));

const vaultError = (re: RegExp) => expect.objectContaining({ code: 'CONVERGE_VAULT', message: expect.stringMatching(re) });

describe('vault lookup specs', () => {
  it.each([
    ['kv/data/db#password', { path: 'kv/data/db', field: 'password', kv: 2 }],
    ['kv/data/app/db#password@3', { path: 'kv/data/app/db', field: 'password', kv: 2, version: 3 }],
    ['secret/db#user', { path: 'secret/db', field: 'user', kv: 1 }],
    ['/v1/secret/db#user', { path: 'secret/db', field: 'user', kv: 1 }],
  ])('%s reads %o', (spec, ref) => {
    expect(parseVaultSpec(spec)).toEqual(ref);
  });
  it('a KV v2 mount named in options gets data/ inserted', () => {
    expect(parseVaultSpec('kv/app/db#pw', { kv: 2, version: 2 })).toEqual({ path: 'kv/data/app/db', field: 'pw', kv: 2, version: 2 });
  });
  it.each(['kv/data/db', '#password', 'kv/data/db#', 'kv/data/db#pw@0', 'secret/db#pw@2'])('%s is refused with a clear error', (spec) => {
    expect(() => parseVaultSpec(spec)).toThrow(vaultError(/vault lookup/));
  });
  it('a lookup is a Secret: masked in output, refused on a command line, and unreadable before the run reads it', () => {
    const l = vault('kv/data/never#read');
    expect(String(l)).toBe('********');
    expect(JSON.stringify({ l })).toBe('{"l":"********"}');
    expect(() => l.reveal()).toThrow(vaultError(/used before converge read it/));
  });
});

for (const make of backends) {
  describe.sequential(`vault lookups against a ${make.name === 'test double' ? 'Vault test double' : 'real Vault'}`, () => {
    let b: Backend;
    let reader: string;
    const opts = (o: Partial<VaultClientOptions> = {}): VaultClientOptions => ({ address: b.address, auth: { method: 'token', token: reader }, ...o });

    beforeAll(async () => {
      b = await make();
      await b.kv2('app/db', { password: 'v1-password-ab12', user: 'app' });
      await b.kv2('app/db', { password: 'v2-password-cd34', user: 'app' });
      await b.kv2('app/gone', { password: 'gone-password' });
      await b.deleteLatestKv2('app/gone');
      await b.kv1('legacy/db', { password: 'kv1-password-ef56' });
      await b.kv2('other/x', { password: 'other-password' });
      reader = await b.token(['ckv1/legacy/', 'ckv2/data/app/']);
    });
    afterAll(async () => {
      await b?.stop();
    });

    it('reads KV v2 (latest and a given version) and KV v1 fields', async () => {
      const c = await VaultClient.connect(opts());
      try {
        expect(await c.readField(parseVaultSpec('ckv2/data/app/db#password'))).toBe('v2-password-cd34');
        expect(await c.readField(parseVaultSpec('ckv2/data/app/db#password@1'))).toBe('v1-password-ab12');
        expect(await c.readField(parseVaultSpec('ckv1/legacy/db#password'))).toBe('kv1-password-ef56');
      } finally {
        c.close();
      }
    });

    it('says what is missing: path, field (naming the fields, never their values), deleted version', async () => {
      const c = await VaultClient.connect(opts());
      try {
        await expect(c.readField(parseVaultSpec('ckv2/data/app/nope#password'))).rejects.toThrow(vaultError(/no secret at ckv2\/data\/app\/nope/));
        const e = await c.readField(parseVaultSpec('ckv2/data/app/db#passwd')).catch((x: ConvergeError) => x);
        expect(e).toEqual(vaultError(/has no field "passwd"/));
        expect((e as ConvergeError).hint).toBe('its fields: password, user');
        expect(JSON.stringify(e) + String(e)).not.toContain('v2-password-cd34');
        await expect(c.readField(parseVaultSpec('ckv2/data/app/gone#password'))).rejects.toThrow(vaultError(/no (secret|data) at ckv2\/data\/app\/gone/));
        await expect(c.readField(parseVaultSpec('ckv2/data/app/db#password@9'))).rejects.toThrow(vaultError(/no (secret|data) at ckv2\/data\/app\/db \(version 9\)/));
      } finally {
        c.close();
      }
    });

    it('a path outside the policy is "permission denied"', async () => {
      const c = await VaultClient.connect(opts());
      try {
        await expect(c.readField(parseVaultSpec('ckv2/data/other/x#password'))).rejects.toThrow(vaultError(/permission denied reading ckv2\/data\/other\/x/));
      } finally {
        c.close();
      }
      await expect(VaultClient.connect(opts({ auth: { method: 'token', token: 'hvs.not-a-token' } }))).rejects.toThrow(vaultError(/permission denied/));
    });

    it('logs in with AppRole and with userpass; wrong credentials are refused clearly', async () => {
      const role = await b.approle(['ckv2/data/app/']);
      const a = await VaultClient.connect(opts({ auth: { method: 'approle', ...role } }));
      expect(await a.readField(parseVaultSpec('ckv2/data/app/db#user'))).toBe('app');
      a.close();
      await expect(VaultClient.connect(opts({ auth: { method: 'approle', roleId: role.roleId, secretId: 'wrong' } }))).rejects.toThrow(vaultError(/login refused/));
      await b.userpass('deployer', 'pass-word-1', ['ckv1/legacy/']);
      const u = await VaultClient.connect(opts({ auth: { method: 'userpass', username: 'deployer', password: 'pass-word-1' } }));
      expect(await u.readField(parseVaultSpec('ckv1/legacy/db#password'))).toBe('kv1-password-ef56');
      u.close();
      await expect(VaultClient.connect(opts({ auth: { method: 'userpass', username: 'deployer', password: 'nope' } }))).rejects.toThrow(vaultError(/login refused/));
    });

    it('renews the token: on demand, and by itself before the TTL runs out', async () => {
      const short = await b.token(['ckv2/data/app/'], 2);
      const c = await VaultClient.connect(opts({ auth: { method: 'token', token: short } }));
      try {
        expect(await c.renewToken()).toBeGreaterThan(0);
        if (b.double) {
          const before = b.double.requests.filter((r) => r.url === '/v1/auth/token/renew-self').length;
          await new Promise((r) => setTimeout(r, 2_200));
          expect(b.double.requests.filter((r) => r.url === '/v1/auth/token/renew-self').length).toBeGreaterThan(before);
        }
        expect(c.renewError).toBeUndefined();
      } finally {
        c.close();
      }
    });

    it('resolves every lookup in vars, params and inventory once per run, as masked Secrets', async () => {
      clearVaultValues();
      const pw = vault('ckv2/data/app/db#password');
      const roots = [{ vars: { db: pw, again: vault('ckv2/data/app/db#password') } }, new Map([['h', { v: [vault('ckv1/legacy/db#password')] }]])];
      const before = b.double?.requests.length ?? 0;
      expect(await resolveVaultLookups(roots, opts())).toBe(2);
      if (b.double) expect(b.double.requests.slice(before).filter((r) => r.url.startsWith('/v1/ckv')).length).toBe(2);
      expect(pw.reveal()).toBe('v2-password-cd34');
      expect(vault('ckv1/legacy/db#password').reveal()).toBe('kv1-password-ef56');
      expect(maskText(`url=postgres://app:${pw.reveal()}@db`)).toBe('url=postgres://app:********@db');
      expect(await resolveVaultLookups(roots, opts())).toBe(0); // cached for the run
      expect(await resolveVaultLookups([{ nothing: 1 }], { address: 'http://127.0.0.1:9' })).toBe(0); // no lookup: no connection
      clearVaultValues();
      await expect(resolveVaultLookups([vault('ckv2/data/app/db#nope')], opts())).rejects.toThrow(vaultError(/no field "nope"/));
    });
  });
}

describe('vault failures only a test double can stage', () => {
  let d: VaultDouble;
  beforeAll(async () => {
    d = await startVaultDouble({ namespace: 'team-a' });
    d.kv2('kv', 'db', { password: 'ns-password' });
  });
  afterAll(async () => d?.stop());

  it('sends the namespace header; without it the namespace is not found', async () => {
    const token = d.token(['kv/']);
    const c = await VaultClient.connect({ address: d.address, namespace: 'team-a', auth: { method: 'token', token } });
    expect(await c.readField(parseVaultSpec('kv/data/db#password'))).toBe('ns-password');
    c.close();
    expect(d.requests.at(-1)?.namespace).toBe('team-a');
    await expect(VaultClient.connect({ address: d.address, auth: { method: 'token', token } })).rejects.toThrow(vaultError(/permission denied/));
  });

  it('a sealed Vault says so', async () => {
    d.sealed = true;
    try {
      await expect(VaultClient.connect({ address: d.address, namespace: 'team-a', auth: { method: 'token', token: d.token(['kv/']) } })).rejects.toThrow(expect.objectContaining({ code: 'CONVERGE_UNAVAILABLE', message: expect.stringMatching(/is sealed/) }));
    } finally {
      d.sealed = false;
    }
  });

  it('an unreachable Vault says so, fast', async () => {
    const started = Date.now();
    await expect(VaultClient.connect({ address: 'http://127.0.0.1:9', auth: { method: 'token', token: 'x' } })).rejects.toThrow(expect.objectContaining({ code: 'CONVERGE_UNAVAILABLE', message: expect.stringMatching(/cannot reach Vault at http:\/\/127.0.0.1:9 \(ECONNREFUSED\)/) }));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('no credentials at all is a clear error', async () => {
    const saved = { ...process.env };
    for (const k of ['VAULT_TOKEN', 'VAULT_ROLE_ID', 'VAULT_SECRET_ID', 'VAULT_USERNAME', 'VAULT_PASSWORD']) delete process.env[k];
    try {
      await expect(VaultClient.connect({ address: d.address })).rejects.toThrow(vaultError(/no Vault credentials/));
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('a custom CA: refused without it, accepted with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-vault-ca-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=converge test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    execFileSync('sh', ['-c', "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf"], { cwd: dir });
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    const tls = await startVaultDouble({ tls: { key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') } });
    try {
      tls.kv1('secret', 'db', { password: 'tls-password' });
      const token = tls.token(['secret/']);
      await expect(VaultClient.connect({ address: tls.address, auth: { method: 'token', token } })).rejects.toThrow(vaultError(/TLS verification failed/));
      const c = await VaultClient.connect({ address: tls.address, caCertFile: join(dir, 'ca.pem'), auth: { method: 'token', token } });
      expect(await c.readField(parseVaultSpec('secret/db#password'))).toBe('tls-password');
      c.close();
    } finally {
      await tls.stop();
    }
  });
});
