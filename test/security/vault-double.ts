import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A TEST DOUBLE of HashiCorp Vault's HTTP API on 127.0.0.1, written for converge's tests because
 * no Vault binary can be installed on the test machines. It covers exactly the endpoints
 * converge's VaultClient uses, with Vault's status codes and JSON shapes (Vault HTTP API docs):
 *
 * - `POST /v1/auth/approle/login` `{ role_id, secret_id }` and `POST /v1/auth/userpass/login/:user`
 *   `{ password }` → `{ auth: { client_token, lease_duration, renewable, policies } }`; 400
 *   `{ errors: [...] }` for bad credentials;
 * - `GET /v1/auth/token/lookup-self` → `{ data: { ttl, renewable, policies } }`;
 *   `POST /v1/auth/token/renew-self` → `{ auth: { client_token, lease_duration, renewable } }`;
 * - KV v1 `GET /v1/:mount/:path` → `{ data }`; KV v2 `GET /v1/:mount/data/:path[?version=N]` →
 *   `{ data: { data, metadata } }` (a deleted version: 404 with `data.data` null);
 * - 403 `{ errors: ["permission denied"] }` when the token's policy lacks the path, or the
 *   namespace header (`X-Vault-Namespace`) differs from the double's namespace; 404
 *   `{ errors: [] }` for a missing secret; 503 `{ errors: ["Vault is sealed"] }` when sealed.
 *
 * It is not Vault: no storage, no real policies (a policy is a list of readable path prefixes).
 */
export interface VaultDouble {
  address: string;
  /** Requests seen: method, path with query, namespace header. */
  requests: { method: string; url: string; namespace?: string; token?: string }[];
  sealed: boolean;
  /** Issues a token with the given readable path prefixes. */
  token(readable: string[], options?: { ttl?: number; renewable?: boolean }): string;
  kv1(mount: string, path: string, data: Record<string, unknown>): void;
  kv2(mount: string, path: string, data: Record<string, unknown> | null): void;
  approle(roleId: string, secretId: string, readable: string[]): void;
  userpass(user: string, password: string, readable: string[]): void;
  stop(): Promise<void>;
}

interface Token {
  readable: string[];
  ttl: number;
  renewable: boolean;
  renewals: number;
}

export async function startVaultDouble(options: { namespace?: string; tls?: { key: string; cert: string } } = {}): Promise<VaultDouble> {
  const tokens = new Map<string, Token>();
  const kv1 = new Map<string, Record<string, unknown>>();
  const kv2 = new Map<string, (Record<string, unknown> | null)[]>();
  const approles = new Map<string, { secretId: string; readable: string[] }>();
  const users = new Map<string, { password: string; readable: string[] }>();
  let n = 0;
  const issue = (readable: string[], ttl = 3600, renewable = true) => {
    const t = `hvs.double${++n}`;
    tokens.set(t, { readable, ttl, renewable, renewals: 0 });
    return t;
  };
  const state = { sealed: false };
  const requests: VaultDouble['requests'] = [];

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const url = new URL(req.url ?? '/', 'http://x');
      const token = req.headers['x-vault-token'] as string | undefined;
      const namespace = req.headers['x-vault-namespace'] as string | undefined;
      requests.push({ method: req.method ?? '', url: url.pathname + url.search, ...(namespace ? { namespace } : {}), ...(token ? { token } : {}) });
      if (state.sealed) return send(503, { errors: ['Vault is sealed'] });
      if ((options.namespace ?? undefined) !== namespace) return send(403, { errors: ['permission denied'] });
      const path = url.pathname.replace(/^\/v1\//, '');
      let json: Record<string, unknown> = {};
      try {
        json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        return send(400, { errors: ['failed to parse JSON input'] });
      }
      const authOut = (t: string) => {
        const info = tokens.get(t) as Token;
        return { auth: { client_token: t, lease_duration: info.ttl, renewable: info.renewable, policies: ['default'] } };
      };
      if (req.method === 'POST' && path === 'auth/approle/login') {
        const r = approles.get(String(json.role_id));
        if (!r || r.secretId !== json.secret_id) return send(400, { errors: ['invalid role or secret ID'] });
        return send(200, authOut(issue(r.readable)));
      }
      const up = /^auth\/userpass\/login\/(.+)$/.exec(path);
      if (req.method === 'POST' && up) {
        const u = users.get(decodeURIComponent(up[1] as string));
        if (!u || u.password !== json.password) return send(400, { errors: ['invalid username or password'] });
        return send(200, authOut(issue(u.readable)));
      }
      const info = token ? tokens.get(token) : undefined;
      if (!info) return send(403, { errors: ['permission denied'] });
      if (req.method === 'GET' && path === 'auth/token/lookup-self') return send(200, { data: { ttl: info.ttl, renewable: info.renewable, policies: ['default'] } });
      if (req.method === 'POST' && path === 'auth/token/renew-self') {
        if (!info.renewable) return send(400, { errors: ['lease is not renewable'] });
        info.renewals += 1;
        return send(200, authOut(token as string));
      }
      if (req.method !== 'GET') return send(405, { errors: [] });
      if (!info.readable.some((p) => path.startsWith(p))) return send(403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] });
      const m2 = /^([^/]+)\/data\/(.+)$/.exec(path);
      if (m2) {
        const versions = kv2.get(`${m2[1]}/${m2[2]}`);
        if (!versions) return send(404, { errors: [] });
        const v = url.searchParams.has('version') ? Number(url.searchParams.get('version')) : versions.length;
        if (v < 1 || v > versions.length) return send(404, { errors: [] });
        const data = versions[v - 1];
        const metadata = { version: v, created_time: '2026-01-01T00:00:00Z', deletion_time: data === null ? '2026-01-02T00:00:00Z' : '', destroyed: false };
        if (data === null) return send(404, { data: { data: null, metadata } });
        return send(200, { request_id: 'x', lease_id: '', renewable: false, lease_duration: 0, data: { data, metadata } });
      }
      const d1 = kv1.get(path);
      if (!d1) return send(404, { errors: [] });
      return send(200, { request_id: 'x', lease_id: '', renewable: false, lease_duration: 2764800, data: d1 });
    });
  };
  const server: Server = options.tls ? createHttps({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttp(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    get sealed() {
      return state.sealed;
    },
    set sealed(v: boolean) {
      state.sealed = v;
    },
    token: (readable, o = {}) => issue(readable, o.ttl, o.renewable),
    kv1: (mount, path, data) => void kv1.set(`${mount}/${path}`, data),
    kv2: (mount, path, data) => {
      const k = `${mount}/${path}`;
      kv2.set(k, [...(kv2.get(k) ?? []), data]);
    },
    approle: (roleId, secretId, readable) => void approles.set(roleId, { secretId, readable }),
    userpass: (user, password, readable) => void users.set(user, { password, readable }),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
