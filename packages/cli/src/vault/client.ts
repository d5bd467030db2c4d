import { readFileSync } from 'node:fs';
import type nodeVault from 'node-vault';
import { ConvergeError } from '@converge/core';
import { isSecret, reveal, type Secret } from '@converge/core';
import type { VaultRef } from '@converge/core';

/** How converge logs in to Vault. */
export type VaultAuth =
  | { method: 'token'; token: string | Secret }
  | { method: 'approle'; roleId: string; secretId: string | Secret; mount?: string }
  | { method: 'userpass'; username: string; password: string | Secret; mount?: string };

/** Where Vault is and how to log in; unset fields come from the environment. */
export interface VaultClientOptions {
  /** Server URL; default `$VAULT_ADDR`, else `http://127.0.0.1:8200`. */
  address?: string;
  /** Enterprise namespace (`X-Vault-Namespace`); default `$VAULT_NAMESPACE`. */
  namespace?: string;
  /** PEM file of the CA that signed the server's certificate; default `$VAULT_CACERT`. */
  caCertFile?: string;
  /**
   * Default: `$VAULT_TOKEN` (token), else `$VAULT_ROLE_ID` + `$VAULT_SECRET_ID` (AppRole), else
   * `$VAULT_USERNAME` + `$VAULT_PASSWORD` (userpass).
   */
  auth?: VaultAuth;
  /** Renew the token at 80 % of its TTL while the run lasts (renewable tokens only). Default true. */
  renewToken?: boolean;
  /** Per-request timeout in milliseconds. Default 10 000. */
  timeoutMs?: number;
}

type NodeVaultClient = ReturnType<typeof nodeVault>;

/**
 * A logged-in Vault client (node-vault underneath) that reads KV v1/v2 fields and turns every
 * failure into an error saying what to do: `CONVERGE_VAULT` for a missing path or field, permission
 * denied, a refused login, TLS; `CONVERGE_UNAVAILABLE` when Vault is unreachable, sealed or answers
 * with a server error (5xx). Endpoints used: `POST /v1/auth/:mount/login[/:user]`,
 * `GET /v1/auth/token/lookup-self`, `POST /v1/auth/token/renew-self`, `GET /v1/:path` (KV v1),
 * `GET /v1/:mount/data/:path[?version=N]` (KV v2). Source: Vault HTTP API docs.
 *
 * @example
 * const client = await VaultClient.connect({ auth: { method: 'approle', roleId, secretId } });
 * const pw = await client.readField({ path: 'kv/data/db', field: 'password', kv: 2 });
 * client.close();
 */
export class VaultClient {
  readonly address: string;
  readonly #c: NodeVaultClient;
  #renewError: unknown;

  private constructor(address: string, c: NodeVaultClient) {
    this.address = address;
    this.#c = c;
  }

  /** Logs in and starts token renewal. @throws ConvergeError `CONVERGE_VAULT`. */
  static async connect(options: VaultClientOptions = {}): Promise<VaultClient> {
    const env = process.env;
    const address = (options.address ?? env.VAULT_ADDR ?? 'http://127.0.0.1:8200').replace(/\/$/, '');
    const namespace = options.namespace ?? env.VAULT_NAMESPACE;
    const caFile = options.caCertFile ?? env.VAULT_CACERT;
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (e) {
        throw new ConvergeError('CONVERGE_VAULT', `cannot read the Vault CA certificate ${caFile}`, { cause: e, hint: 'set VAULT_CACERT (or caCertFile) to a PEM file' });
      }
    }
    // node-vault (and its HTTP stack) loads only when a run talks to Vault: it would add about
    // half a second to every start of the command line otherwise.
    const { default: createClient } = await import('node-vault');
    const c = createClient({
      endpoint: address,
      ...(namespace ? { namespace } : {}),
      requestOptions: { timeout: options.timeoutMs ?? 10_000, ...(ca ? { ca } : {}) },
    });
    // node-vault falls back to $VAULT_TOKEN by itself; converge decides the auth method.
    c.token = '';
    const client = new VaultClient(address, c);
    const auth = options.auth ?? authFromEnv();
    if (!auth) {
      throw new ConvergeError('CONVERGE_VAULT', `no Vault credentials for ${address}`, {
        hint: 'set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole), or VAULT_USERNAME and VAULT_PASSWORD (userpass)',
      });
    }
    await client.#login(auth);
    if (options.renewToken ?? true) await client.#startRenewal();
    return client;
  }

  async #login(auth: VaultAuth): Promise<void> {
    const what = `logging in to Vault at ${this.address} (${auth.method})`;
    if (auth.method === 'token') {
      this.#c.token = reveal(auth.token);
      return;
    }
    const res = (await this.#call(what, () =>
      auth.method === 'approle'
        ? this.#c.approleLogin({ role_id: auth.roleId, secret_id: reveal(auth.secretId), ...(auth.mount ? { mount_point: auth.mount } : {}) })
        : this.#c.userpassLogin({ username: auth.username, password: reveal(auth.password), ...(auth.mount ? { mount_point: auth.mount } : {}) }),
    )) as { auth?: { client_token?: string } };
    const token = res?.auth?.client_token;
    if (!token) throw new ConvergeError('CONVERGE_VAULT', `${what}: the answer holds no client token`);
    this.#c.token = token;
  }

  async #startRenewal(): Promise<void> {
    let info: { data?: { ttl?: number; renewable?: boolean } };
    try {
      info = (await this.#c.tokenLookupSelf()) as typeof info;
    } catch (e) {
      throw translate(e, `looking up the Vault token at ${this.address}`, this.address);
    }
    if (info?.data?.renewable && (info.data.ttl ?? 0) > 0) {
      this.#c.on('token:error:renew', (e: unknown) => (this.#renewError = e));
      await this.#c.startTokenRenewal({ ttl: info.data.ttl as number });
    }
  }

  /** The error of the last failed token renewal, if any (later reads may then be denied). */
  get renewError(): unknown {
    return this.#renewError;
  }

  /** Renews the token now (`POST auth/token/renew-self`). @returns the new TTL in seconds. */
  async renewToken(): Promise<number> {
    const res = (await this.#call(`renewing the Vault token at ${this.address}`, () => this.#c.tokenRenewSelf({}))) as { auth?: { lease_duration?: number } };
    return res?.auth?.lease_duration ?? 0;
  }

  /** Reads one field of a KV secret. @throws ConvergeError `CONVERGE_VAULT`. */
  async readField(ref: VaultRef): Promise<string> {
    const shown = `${ref.path}${ref.version !== undefined ? ` (version ${ref.version})` : ''}`;
    const url = ref.version !== undefined ? `${ref.path}?version=${ref.version}` : ref.path;
    const res = (await this.#call(`reading ${shown} from Vault at ${this.address}`, () => this.#c.read(url), shown)) as { data?: Record<string, unknown> };
    const data = (ref.kv === 2 ? (res?.data?.data as Record<string, unknown> | null | undefined) : res?.data) ?? undefined;
    if (!data || typeof data !== 'object') {
      throw new ConvergeError('CONVERGE_VAULT', `Vault has no data at ${shown}${ref.kv === 2 ? ' (deleted or destroyed version?)' : ''}`, {
        hint: ref.kv === 2 ? 'check the version with `vault kv metadata get`' : 'is this a KV v2 mount? then use a kv/data/... path',
      });
    }
    if (!(ref.field in data)) {
      throw new ConvergeError('CONVERGE_VAULT', `Vault secret ${shown} has no field "${ref.field}"`, { hint: `its fields: ${Object.keys(data).sort().join(', ') || '(none)'}` });
    }
    const v = data[ref.field];
    if (isSecret(v)) return v.reveal();
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  /** Stops token renewal. Safe to call twice. */
  close(): void {
    this.#c.stopAllRenewals();
  }

  async #call<T>(what: string, fn: () => Promise<T>, shown?: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw translate(e, what, this.address, shown);
    }
  }
}

function authFromEnv(): VaultAuth | undefined {
  const env = process.env;
  if (env.VAULT_TOKEN) return { method: 'token', token: env.VAULT_TOKEN };
  if (env.VAULT_ROLE_ID && env.VAULT_SECRET_ID) return { method: 'approle', roleId: env.VAULT_ROLE_ID, secretId: env.VAULT_SECRET_ID };
  if (env.VAULT_USERNAME && env.VAULT_PASSWORD) return { method: 'userpass', username: env.VAULT_USERNAME, password: env.VAULT_PASSWORD };
  return undefined;
}

function translate(e: unknown, what: string, address: string, shown?: string): ConvergeError {
  const err = e as Error & { code?: string; response?: { statusCode?: number; body?: { errors?: string[] } } };
  const status = err.response?.statusCode;
  const said = err.response?.body?.errors?.filter(Boolean).join('; ');
  if (status === 404) return new ConvergeError('CONVERGE_VAULT', `Vault has no secret at ${shown ?? what}`, { cause: e, hint: 'check the path (KV v2 paths read MOUNT/data/PATH) and the version' });
  if (status === 403) {
    return new ConvergeError('CONVERGE_VAULT', `permission denied ${what}`, { cause: e, hint: "the token's policies do not allow this (needs read on the path); or the token expired" });
  }
  if (status === 400 && what.startsWith('logging in')) {
    return new ConvergeError('CONVERGE_VAULT', `${what}: login refused (${said})`, { cause: e, hint: 'check the role id / secret id or the user name / password' });
  }
  if (status === 503 || /sealed/i.test(said ?? '')) {
    return new ConvergeError('CONVERGE_UNAVAILABLE', `Vault at ${address} is sealed (${what})`, { cause: e, hint: 'unseal it (`vault operator unseal`) or use another node' });
  }
  if (status !== undefined) return new ConvergeError(status >= 500 ? 'CONVERGE_UNAVAILABLE' : 'CONVERGE_VAULT', `${what}: Vault answered ${status}${said ? ` (${said})` : ''}`, { cause: e });
  const code = err.code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO/.test(code)) {
    return new ConvergeError('CONVERGE_VAULT', `${what}: TLS verification failed (${code})`, { cause: e, hint: 'set VAULT_CACERT (or caCertFile) to the CA that signed the server certificate' });
  }
  return new ConvergeError('CONVERGE_UNAVAILABLE', `cannot reach Vault at ${address} (${code ?? err.message})`, { cause: e, hint: 'check VAULT_ADDR and that the server is up and reachable' });
}
