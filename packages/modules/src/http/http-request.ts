import { ConvergeError, defineFact, isSecret, OrSecret, raw, reveal, sh, Type } from '@converge/core';
import type { RawShell, Secret } from '@converge/core';

/** Which HTTP clients the host has: converge asks curl(1), else wget(1), to make requests there. */
export interface HttpClients {
  curl: boolean;
  wget: boolean;
}

/** Fact `http.client`: whether curl and wget are installed on the host. */
export const httpClient = defineFact<Record<string, never>, HttpClients>({
  name: 'http.client',
  description: 'Whether curl and wget are installed.',
  command: () => "for c in curl wget; do if command -v $c >/dev/null 2>&1; then echo \"$c yes\"; fi; done; :",
  parse: (stdout) => ({ curl: /^curl yes$/m.test(stdout), wget: /^wget yes$/m.test(stdout) }),
  resources: () => ['package:curl', 'package:wget'],
});

/** Params every module that makes a request from the host shares (uri, getUrl, unarchive). */
export const httpParams = {
  url: Type.String({ pattern: '^https?://[^\\s]+$', description: 'http:// or https:// URL, requested from the host (put tokens in headers, not in the URL).' }),
  headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }), OrSecret(Type.String({ pattern: '^[^\\r\\n]*$' })), { description: 'Request headers; a value may be a Secret. Headers travel in the client config (curl: on stdin; wget: a 0600 temp file), never on a command line.' })),
  url_username: Type.Optional(Type.String({ pattern: '^[^:\\r\\n]*$', description: 'User for HTTP basic authentication.' })),
  url_password: Type.Optional(OrSecret(Type.String({ pattern: '^[^\\r\\n]*$', description: 'Password for HTTP basic authentication (a Secret is never shown).' }))),
  validate_certs: Type.Optional(Type.Boolean({ default: true, description: "false: do not verify the server's TLS certificate." })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, default: 30, description: 'Seconds the whole request may take.' })),
};

/** A request as the client programs get it. */
export interface HttpRequestSpec {
  url: string;
  method: string;
  headers?: Record<string, string | Secret>;
  body?: string | Secret;
  user?: string;
  password?: string | Secret;
  validateCerts?: boolean;
  timeout?: number;
  followRedirects?: boolean;
}

/** The params of {@link httpParams} as values. */
export interface HttpParamValues {
  url?: string;
  headers?: Record<string, string | Secret>;
  url_username?: string;
  url_password?: string | Secret;
  validate_certs?: boolean;
  timeout?: number;
}

/** A GET request from the shared params (getUrl, unarchive). */
export function getRequest(p: HttpParamValues): HttpRequestSpec {
  return {
    url: p.url ?? '',
    method: 'GET',
    ...(p.headers ? { headers: p.headers } : {}),
    ...(p.url_username !== undefined ? { user: p.url_username } : {}),
    ...(p.url_password !== undefined ? { password: p.url_password } : {}),
    ...(p.validate_certs !== undefined ? { validateCerts: p.validate_certs } : {}),
    ...(p.timeout !== undefined ? { timeout: p.timeout } : {}),
  };
}

/** Whether a request carries a secret (headers, password or body). */
export function hasSecret(r: HttpRequestSpec): boolean {
  return isSecret(r.password) || isSecret(r.body) || Object.values(r.headers ?? {}).some(isSecret);
}

/** A value for a curl config file: double-quoted, with curl's escapes (curl(1), -K, --config). */
function curlValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/**
 * The curl(1) config (`-K -`) of a request: URL, method, headers, basic auth, body, timeout. It
 * travels on stdin, so nothing of it (a token, a password, the body) is on a command line.
 */
export function curlConfig(r: HttpRequestSpec): string {
  const lines = [`url = ${curlValue(r.url)}`, 'silent', 'show-error', `max-time = ${r.timeout ?? 30}`];
  if (r.method === 'HEAD') lines.push('head');
  else if (r.method !== 'GET') lines.push(`request = ${curlValue(r.method)}`);
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`header = ${curlValue(`${k}: ${reveal(v)}`)}`);
  if (r.user !== undefined) lines.push(`user = ${curlValue(`${r.user}:${r.password === undefined ? '' : reveal(r.password)}`)}`);
  if (r.body !== undefined) lines.push(`data-raw = ${curlValue(reveal(r.body))}`);
  if (r.validateCerts === false) lines.push('insecure');
  if (r.followRedirects ?? true) lines.push('location');
  return `${lines.join('\n')}\n`;
}

/** The wgetrc (`--config`, read from a 0600 temp file) of a GET or HEAD request: headers, basic auth, timeout (wget(1), Wgetrc Commands). */
export function wgetConfig(r: HttpRequestSpec): string {
  const lines = [`timeout = ${r.timeout ?? 30}`];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`header = ${k}: ${reveal(v)}`);
  if (r.user !== undefined) lines.push(`http_user = ${r.user}`, `http_password = ${r.password === undefined ? '' : reveal(r.password)}`);
  if (r.validateCerts === false) lines.push('check_certificate = off');
  if (r.followRedirects === false) lines.push('max_redirect = 0');
  return `${lines.join('\n')}\n`;
}

/** Where a request's body goes: base64 on stdout (read a response), sha256sum (compare a download), or a file. */
export type HttpSink = 'response' | 'sha256' | { file: RawShell };

/**
 * The shell text of one request with the host's client. `config` says where the client config
 * comes from: `stdin` (an apply step whose stdin is {@link requestConfig}) or `inline` (a probe:
 * a here-document in the script itself). Output: the body as the sink wants it on stdout, and on
 * stderr `status NNN` (000 when no response came) then the client's error text, if any.
 *
 * @throws ConvergeError `CONVERGE_PLAN` when only wget is there and the request needs curl.
 */
export function requestScript(r: HttpRequestSpec, clients: HttpClients, config: 'stdin' | 'inline', sink: HttpSink): RawShell {
  const useCurl = clients.curl;
  if (!useCurl && !clients.wget) {
    throw new ConvergeError('CONVERGE_PLAN', `the host has neither curl nor wget to request ${r.url}`, { hint: 'install curl on the host (apt: curl)' });
  }
  if (!useCurl && ((r.method !== 'GET' && r.method !== 'HEAD') || r.body !== undefined)) {
    throw new ConvergeError('CONVERGE_PLAN', `a ${r.method} request with a body needs curl on the host, which has only wget`, { hint: 'install curl on the host (apt: curl)' });
  }
  let pipeline: RawShell;
  if (useCurl) {
    const out = sink === 'response' || sink === 'sha256' ? raw('-o -') : sh`--fail -o ${sink.file}`;
    pipeline = sh`curl -K - ${out} -w '%{stderr}status %{http_code}\\n'`;
  } else if (typeof sink === 'object') {
    // wget reads its config only from a regular file: a 0600 mktemp file, removed at once.
    pipeline = sh`{ c=$(mktemp) && cat > "$c" && wget --config="$c" -q -O ${sink.file} ${r.url}; r=$?; rm -f -- "$c"; [ "$r" -eq 0 ]; }`;
  } else {
    // wget prints the server's response with -S on stderr: the status is its last `HTTP/` line.
    const head = r.method === 'HEAD' ? raw('--spider') : raw('');
    pipeline = sh`{ c=$(mktemp) && cat > "$c"; { wget --config="$c" -q -S --content-on-error ${head} -O - ${r.url} 2>&1 >&3 | awk '/^  HTTP\\//{s=$2} !/^  /{print} END{print "status " (s ? s : "000")}' >&2; } 3>&1; rm -f -- "$c"; }`;
  }
  if (sink === 'response') pipeline = sh`${pipeline} | base64 -w0; echo`;
  if (sink === 'sha256') pipeline = sh`${pipeline} | sha256sum`;
  if (config === 'stdin') return sh`{ ${pipeline}\n}`;
  const b64 = Buffer.from(useCurl ? curlConfig(r) : wgetConfig(r), 'utf8').toString('base64').replace(/.{1,76}/g, '$&\n');
  return sh`{ base64 -d | { ${pipeline}\n}; } <<'CV_HTTP_EOF'\n${raw(b64)}CV_HTTP_EOF\n`;
}

/** The client config of a request for an apply step's stdin. */
export function requestConfig(r: HttpRequestSpec, clients: HttpClients): string {
  return clients.curl ? curlConfig(r) : wgetConfig(r);
}

/** A response as {@link requestScript} prints it. */
export interface HttpResponse {
  /** HTTP status, 0 when no response came (DNS, connection, TLS). */
  status: number;
  /** The body (binary string), with sink `response`. */
  body?: string;
  /** Hex sha256 of the body, with sink `sha256`. */
  sha256?: string;
  /** The client's error text (curl's `curl: (7) ...`). */
  error?: string;
}

/** Parses what {@link requestScript} printed. */
export function parseResponse(stdout: string, stderr: string, sink: 'response' | 'sha256'): HttpResponse {
  const statuses = [...stderr.matchAll(/^status (\d{3})$/gm)];
  const status = Number(statuses.at(-1)?.[1] ?? '0');
  const error = stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^status \d{3}$/.test(l))
    .join('\n')
    .trim();
  const out: HttpResponse = { status, ...(error !== '' ? { error } : {}) };
  if (sink === 'response') out.body = Buffer.from(stdout.trim(), 'base64').toString('latin1');
  else out.sha256 = /^([0-9a-f]{64})/.exec(stdout.trim())?.[1] ?? '';
  return out;
}

const ids = new WeakMap<object, number>();
let nextId = 0;

/**
 * A stand-in for the secrets of a request in a fact's arguments (which are its cache key and
 * show in error messages): the same Secret objects give the same id, other ones another, and
 * the id says nothing of the value.
 */
export function secretIds(r: HttpRequestSpec): number[] {
  const all = [r.password, r.body, ...Object.values(r.headers ?? {})].filter(isSecret) as object[];
  return all.map((s) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ++nextId));
    return id;
  });
}

/** Arguments of {@link httpResponse}. */
export interface HttpResponseArgs {
  request: HttpRequestSpec;
  clients: 'probe';
  sink: 'response' | 'sha256';
  secrets: number[];
}

/**
 * Fact `http.response`: a GET or HEAD request made from the host while it is probed (safe
 * methods only, RFC 9110 section 9.2.1: they change nothing on the server), with its status and
 * body, or the sha256 of the body. The client (curl, else wget) is chosen on the host; its
 * config is a here-document of the probe script, so secrets stay off command lines. Resources
 * `*`: any earlier change may change what the server says, so it is requested again after one.
 */
export const httpResponse = defineFact<HttpResponseArgs, HttpResponse & { client: 'curl' | 'wget' | 'none' }>({
  name: 'http.response',
  description: 'The status and body (or sha256) of a GET/HEAD request made from the host.',
  command: ({ request, sink }) => {
    const curl = requestScript(request, { curl: true, wget: false }, 'inline', sink);
    const wget = request.method === 'GET' || request.method === 'HEAD' ? requestScript(request, { curl: false, wget: true }, 'inline', sink) : raw('echo "status 000" >&2');
    return sh`if command -v curl >/dev/null 2>&1; then echo 'client curl'; ${curl}
elif command -v wget >/dev/null 2>&1; then echo 'client wget'; ${wget}
else echo 'client none'; fi`;
  },
  parse: (stdout, { args, stderr }) => {
    const client = (/^client (curl|wget|none)$/m.exec(stdout)?.[1] ?? 'none') as 'curl' | 'wget' | 'none';
    const rest = stdout.replace(/^client \w+\n?/m, '');
    return { client, ...parseResponse(rest, stderr, args.sink) };
  },
  resources: () => ['*'],
});
