import { ConvergeError, Secret } from '@converge/core';
import { HttpClient } from '../http/http-client.js';
import { ovhSignature } from './signature.js';

/**
 * The OVHcloud API v1 endpoints and their OAuth2 token URLs.
 * Source: ovh/go-ovh `ovh/ovh.go` (OvhEU, OvhCA, OvhUS and the oauth2 token URLs), at
 * 3557ca425d191faf7c96757d30a9df67a61b2298 (2025-08-25).
 */
export const OVH_ENDPOINTS = {
  'ovh-eu': { api: 'https://eu.api.ovh.com/1.0', token: 'https://www.ovh.com/auth/oauth2/token' },
  'ovh-ca': { api: 'https://ca.api.ovh.com/1.0', token: 'https://ca.ovh.com/auth/oauth2/token' },
  'ovh-us': { api: 'https://api.us.ovhcloud.com/1.0', token: 'https://us.ovhcloud.com/auth/oauth2/token' },
} as const;

/** How requests are authenticated: an application key with a consumer key, or an OAuth2 service account. */
export type OvhAuth =
  | { kind: 'application'; applicationKey: string; applicationSecret: Secret; consumerKey: Secret }
  | { kind: 'oauth2'; clientId: string; clientSecret: Secret; tokenUrl: string };

/** Options of {@link OvhClient}. */
export interface OvhClientOptions {
  /** API base URL, e.g. {@link OVH_ENDPOINTS}`['ovh-eu'].api`. */
  apiUrl: string;
  auth: OvhAuth;
  http: HttpClient;
  /** Unix time in milliseconds; tests pass a fixed clock. */
  now?: () => number;
}

/**
 * A read-only client of the OVHcloud API v1.
 *
 * With an application key, each request is signed ({@link ovhSignature}) with a timestamp
 * corrected by the offset between the local clock and `GET /auth/time` (read once, without
 * authentication), so a controller whose clock is off still gets answers. With an OAuth2
 * service account, a token is requested with the client-credentials grant (scope `all`) and
 * sent as `Authorization: Bearer`, and requested again when it expires.
 * Sources: OVHcloud, "First steps with the OVHcloud APIs"; "Managing OVHcloud service accounts
 * via the API" (client credentials); ovh/go-ovh `ovh/configuration.go` (scope `all`).
 */
export class OvhClient {
  readonly #o: OvhClientOptions;
  #timeDelta: Promise<number> | undefined;
  #token: { value: Secret; expiresAt: number } | undefined;

  constructor(options: OvhClientOptions) {
    this.#o = options;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** GET a path of the API (`/cloud/project`) and return its JSON. @throws ConvergeError `CONVERGE_CLOUD`. */
  async get<T>(path: string): Promise<T> {
    const url = `${this.#o.apiUrl}${path}`;
    const auth = this.#o.auth;
    if (auth.kind === 'application') {
      const delta = await this.timeDelta();
      const res = await this.#o.http.request<T>({
        method: 'GET',
        url,
        sign: () => {
          const timestamp = Math.floor(this.#now() / 1000) + delta;
          return {
            'X-Ovh-Application': auth.applicationKey,
            'X-Ovh-Consumer': auth.consumerKey.reveal(),
            'X-Ovh-Timestamp': String(timestamp),
            'X-Ovh-Signature': ovhSignature({ applicationSecret: auth.applicationSecret.reveal(), consumerKey: auth.consumerKey.reveal(), method: 'GET', url, body: '', timestamp }),
          };
        },
      });
      return res.body;
    }
    const res = await this.#o.http.request<T>({ method: 'GET', url, sign: async () => ({ Authorization: `Bearer ${(await this.#accessToken()).reveal()}` }) });
    return res.body;
  }

  /** Seconds to add to the local clock to get the API's (`GET /auth/time` minus local time), read once. */
  timeDelta(): Promise<number> {
    this.#timeDelta ??= this.#o.http.request<unknown>({ method: 'GET', url: `${this.#o.apiUrl}/auth/time` }).then((res) => {
      if (typeof res.body !== 'number' || !Number.isInteger(res.body)) {
        throw new ConvergeError('CONVERGE_CLOUD', 'OVHcloud API: GET /auth/time did not answer a Unix time');
      }
      return res.body - Math.floor(this.#now() / 1000);
    });
    return this.#timeDelta;
  }

  async #accessToken(): Promise<Secret> {
    const auth = this.#o.auth;
    if (auth.kind !== 'oauth2') throw new ConvergeError('CONVERGE_INTERNAL', 'no OAuth2 settings');
    if (this.#token && this.#token.expiresAt > this.#now() + 10_000) return this.#token.value;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret.reveal(), scope: 'all' }).toString();
    const res = await this.#o.http.request<{ access_token?: unknown; expires_in?: unknown }>({
      method: 'POST',
      url: auth.tokenUrl,
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const token = res.body?.access_token;
    if (typeof token !== 'string' || token === '') throw new ConvergeError('CONVERGE_CLOUD', `OVHcloud OAuth2: ${auth.tokenUrl} answered without an access_token`);
    const ttl = typeof res.body.expires_in === 'number' ? res.body.expires_in : 3600;
    this.#token = { value: new Secret(token), expiresAt: this.#now() + ttl * 1000 };
    return this.#token.value;
  }
}
