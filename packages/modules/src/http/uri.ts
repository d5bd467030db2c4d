import { ConvergeError, defineModule, isSecret, OrSecret, secret, Type } from '@converge/core';
import type { ApplyOutcome, FactRequest, Static } from '@converge/core';
import { commandPathExists } from '../command/path-exists.js';
import type { PathExists } from '../command/path-exists.js';
import { getRequest, hasSecret, httpClient, httpParams, httpResponse, parseResponse, requestConfig, requestScript, secretIds } from './http-request.js';
import type { HttpClients, HttpRequestSpec, HttpResponse } from './http-request.js';
import { predictingEarlierChanges } from '../check-mode/earlier-changes.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Params of {@link uri}. */
export const UriParams = Type.Object(
  {
    ...httpParams,
    method: Type.Optional(Type.Union(METHODS.map((m) => Type.Literal(m)), { default: 'GET', description: 'HTTP method. GET and HEAD are read in the host\'s probe (no round trip of their own, never "changed"); the others are sent when the task runs and report changed.' })),
    body: Type.Optional(
      Type.Union([OrSecret(Type.String()), Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())], {
        description: 'Request body: text (a Secret is never shown), or with body_format json/form-urlencoded a value that is encoded.',
      }),
    ),
    body_format: Type.Optional(Type.Union([Type.Literal('raw'), Type.Literal('json'), Type.Literal('form-urlencoded')], { default: 'raw', description: 'json: body is encoded as JSON and Content-Type set; form-urlencoded: an object of fields is encoded.' })),
    status_code: Type.Optional(Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1 })], { default: [200], description: 'Status codes that mean success; any other fails the task.' })),
    return_content: Type.Optional(Type.Boolean({ default: false, description: 'Put the body in the result (`content`, and `json` when it parses as JSON).' })),
    follow_redirects: Type.Optional(Type.Boolean({ default: true, description: 'Follow redirects.' })),
    creates: Type.Optional(Type.String({ minLength: 1, description: 'A path on the host; when it exists the request is not made.' })),
    removes: Type.Optional(Type.String({ minLength: 1, description: 'A path on the host; when it does not exist the request is not made.' })),
  },
  { additionalProperties: false },
);

type P = Static<typeof UriParams>;

function statusCodes(p: P): number[] {
  return p.status_code === undefined ? [200] : Array.isArray(p.status_code) ? p.status_code : [p.status_code];
}

/** The request of the params, with the body encoded and Content-Type set for json/form-urlencoded. */
export function uriRequest(p: P): HttpRequestSpec {
  const headers: Record<string, string | ReturnType<typeof secret>> = { ...(p.headers ?? {}) };
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
  let body: HttpRequestSpec['body'];
  const format = p.body_format ?? 'raw';
  if (p.body !== undefined) {
    if (format === 'json') {
      body = isSecret(p.body) ? p.body : typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
      if (!has('Content-Type')) headers['Content-Type'] = 'application/json';
    } else if (format === 'form-urlencoded') {
      body = typeof p.body === 'object' && !isSecret(p.body) ? new URLSearchParams(Object.entries(p.body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString() : (p.body as string);
      if (!has('Content-Type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      body = p.body as string;
    }
  }
  return { ...getRequest(p), method: p.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), followRedirects: p.follow_redirects ?? true };
}

/** A GET or HEAD without creates/removes is read in the probe; everything else is sent when the task runs. */
function readInProbe(p: P): boolean {
  const m = p.method ?? 'GET';
  return (m === 'GET' || m === 'HEAD') && p.creates === undefined && p.removes === undefined;
}

/** The result (Ansible's uri fields `status`, `url`, `content`, `json`, `msg`), or the failure of a response. */
export function uriResult(p: P, r: HttpResponse): { result: Record<string, unknown>; error?: string } {
  const result: Record<string, unknown> = { status: r.status, url: p.url };
  if (p.return_content && r.body !== undefined) {
    const content = Buffer.from(r.body, 'latin1').toString('utf8');
    result.content = content;
    try {
      result.json = JSON.parse(content);
    } catch {
      // not JSON: content only
    }
  }
  if (r.status === 0) return { result: { ...result, msg: r.error ?? 'no response' }, error: `${p.method ?? 'GET'} ${p.url}: no response: ${r.error ?? 'the client printed nothing'}` };
  const want = statusCodes(p);
  if (!want.includes(r.status)) {
    const msg = `Status code was ${r.status} and not [${want.join(', ')}]`;
    return { result: { ...result, msg }, error: `${p.method ?? 'GET'} ${p.url}: ${msg}` };
  }
  result.msg = `OK (${r.status})`;
  return { result };
}

interface UriFacts {
  response?: FactRequest<HttpResponse & { client: 'curl' | 'wget' | 'none' }>;
  clients?: FactRequest<HttpClients>;
  creates?: FactRequest<PathExists>;
  removes?: FactRequest<PathExists>;
}

/**
 * Makes an HTTP request from the host with curl (or, for GET and HEAD, wget), as Ansible's
 * `ansible.builtin.uri`. GET and HEAD are safe methods (RFC 9110 section 9.2.1): they are read in
 * the host's one probe, never report a change, and the result (`status`, `content`, `json`)
 * goes to `register` and `failedWhen`, in check mode too; after an earlier change in check mode
 * the response is not known and the task says so. Other methods are sent when the task runs
 * and report changed (Ansible reports them unchanged); `creates`/`removes` or `changedWhen`
 * make them idempotent. A status outside `status_code` fails the task. Headers, the password
 * and the body travel in the client's config on stdin, never on a command line. Not supported:
 * `dest`, client certificates, `unix_socket`, Digest auth.
 *
 * @example uri({ url: 'http://127.0.0.1:8080/health', status_code: [200, 204] })
 * @example uri({ url: 'https://api.example.test/v1/hooks', method: 'POST', body: { name: 'deploy' }, body_format: 'json', headers: { Authorization: token }, status_code: 201, creates: '/etc/app/.hook-registered' })
 */
export const uri = defineModule({
  name: 'uri',
  description: 'Make an HTTP request from the host and check its status.',
  params: UriParams,
  validate: (p) => {
    const m = p.method ?? 'GET';
    if ((m === 'GET' || m === 'HEAD') && p.body !== undefined) return `a ${m} request has no body`;
    if (p.body !== undefined && typeof p.body === 'object' && !isSecret(p.body) && (p.body_format ?? 'raw') === 'raw') return 'an object body needs body_format json or form-urlencoded';
    if (p.url_password !== undefined && p.url_username === undefined) return 'url_password needs url_username';
    return undefined;
  },
  facts: (p): UriFacts => {
    const request = uriRequest(p);
    if (readInProbe(p)) return { response: httpResponse({ request, clients: 'probe', sink: 'response', secrets: secretIds(request) }) };
    return {
      clients: httpClient({}),
      creates: p.creates !== undefined ? commandPathExists({ path: p.creates }) : undefined,
      removes: p.removes !== undefined ? commandPathExists({ path: p.removes }) : undefined,
    };
  },
  plan: ({ params: p, facts: f, host, upstreamChanged }) => {
    if (f.response) {
      if (f.response.client === 'none') throw new ConvergeError('CONVERGE_PLAN', `uri: the host has neither curl nor wget to request ${p.url}`, { hint: 'install curl on the host (apt: curl)' });
      if (predictingEarlierChanges({ host, upstreamChanged })) return { changes: [], reason: 'check mode: the response after the earlier changes is not known before they run', result: { url: p.url, status: null } };
      const { result, error } = uriResult(p, f.response);
      if (error !== undefined) throw new ConvergeError('CONVERGE_PLAN', `uri: ${error}`, { detail: String(result.content ?? '') });
      return { changes: [], reason: `${p.method ?? 'GET'} ${p.url}: ${String(result.msg)}`, result };
    }
    if (p.creates !== undefined && f.creates?.exists) return { changes: [], reason: `creates: ${p.creates} exists` };
    if (p.removes !== undefined && f.removes && !f.removes.exists) return { changes: [], reason: `removes: ${p.removes} does not exist` };
    // Refuses a request the host's client cannot make, before anything runs.
    requestScript(uriRequest(p), f.clients ?? { curl: false, wget: false }, 'stdin', 'response');
    return { changes: [{ path: 'request', before: null, after: `${p.method ?? 'GET'} ${p.url} (response not known before it is sent)` }] };
  },
  apply: ({ params: p, facts }) => {
    const clients = facts.clients ?? { curl: false, wget: false };
    const request = uriRequest(p);
    const config = requestConfig(request, clients);
    return [{ script: requestScript(request, clients, 'stdin', 'response'), stdin: hasSecret(request) ? secret(config) : config, description: `${p.method ?? 'GET'} ${p.url}`, okExitCodes: Array.from({ length: 256 }, (_, i) => i) }];
  },
  outcome: (out, { params: p }): ApplyOutcome => {
    const { result, error } = uriResult(p, parseResponse(out.stdout, out.stderr, 'response'));
    return error === undefined ? { result, changed: true } : { result, changed: true, failed: true, message: error };
  },
  resources: () => ['*'],
  verify: false,
});

