import { ConvergeError, maskText } from '@converge/core';

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** The provider's name in messages, e.g. `OVHcloud`. */
  provider: string;
  /** Timeout of each request (connect, headers and body), in milliseconds. Default 30,000. */
  timeoutMs?: number;
  /** Attempts for a 5xx answer, a 429 or a network error, the first included. Default 4. */
  attempts?: number;
  /** Delay before the second attempt, in milliseconds; doubled for each further one. Default 250. */
  backoffMs?: number;
  /** Longest wait a `Retry-After` may ask for before converge gives up, in milliseconds. Default 60,000. */
  maxRetryAfterMs?: number;
  /** What to check when the API answers 401 or 403 (credentials, rights). */
  authHint: string;
  /** Waits; tests pass a recorder. Default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

/** One request of {@link HttpClient.request}. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Headers computed per attempt (a signature that includes a timestamp). */
  sign?: () => Promise<Record<string, string>> | Record<string, string>;
}

/** A successful answer: the status, the headers and the parsed JSON body. */
export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * JSON over HTTPS for the cloud inventory sources, with the failure rules every source shares.
 *
 * Node's `fetch` (undici) keeps connections alive between requests to the same origin. Each
 * request has a timeout ({@link HttpClientOptions.timeoutMs}). A 5xx answer or a network error
 * is retried with exponential backoff, then fails; a 429 waits what `Retry-After` says (seconds
 * or an HTTP date, RFC 9110 section 10.2.3) and is retried; a 401 or 403 fails at once with
 * what to check. Error messages carry the method, the URL without its query string, the status
 * and the provider's message, never a request header (where credentials travel); any secret
 * text in them is masked.
 *
 * @throws ConvergeError `CONVERGE_UNAVAILABLE` when the API cannot be reached or keeps failing (5xx)
 *   after the retries, `CONVERGE_CLOUD` for every other failure.
 */
export class HttpClient {
  readonly #o: Required<Omit<HttpClientOptions, 'sleep'>> & { sleep: (ms: number) => Promise<void> };

  constructor(options: HttpClientOptions) {
    this.#o = {
      timeoutMs: 30_000,
      attempts: 4,
      backoffMs: 250,
      maxRetryAfterMs: 60_000,
      sleep: sleepFor,
      ...options,
    };
  }

  /** Sends a request and parses the JSON answer. @throws ConvergeError `CONVERGE_CLOUD`. */
  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const o = this.#o;
    const where = `${req.method} ${redactUrl(req.url)}`;
    let lastProblem = '';
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      let res: Response;
      const signed = req.sign ? await req.sign() : {};
      try {
        res = await fetch(req.url, {
          method: req.method,
          headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers, ...signed },
          ...(req.body !== undefined ? { body: req.body } : {}),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (e) {
        const err = e as Error;
        if (err.name === 'TimeoutError' || err.name === 'AbortError') {
          lastProblem = `no answer within ${o.timeoutMs / 1000} s`;
        } else {
          lastProblem = describeNetworkError(err);
        }
        if (attempt < o.attempts) {
          await o.sleep(o.backoffMs * 2 ** (attempt - 1));
          continue;
        }
        throw new ConvergeError('CONVERGE_UNAVAILABLE', maskText(`${o.provider} API: ${where} failed: ${lastProblem} (${attempt} attempts)`), {
          cause: e,
          hint: `check that the ${o.provider} API is reachable from this machine (proxy, firewall, DNS); no host was contacted`,
        });
      }
      const text = await readBody(res, o.timeoutMs).catch((e: Error) => {
        throw new ConvergeError('CONVERGE_CLOUD', maskText(`${o.provider} API: ${where}: the answer could not be read: ${e.message}`), { cause: e });
      });
      if (res.status >= 200 && res.status < 300) {
        let body: unknown = null;
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch (e) {
            throw new ConvergeError('CONVERGE_CLOUD', maskText(`${o.provider} API: ${where} answered ${res.status} with a body that is not JSON`), {
              cause: e,
              detail: maskText(text.slice(0, 500)),
            });
          }
        }
        return { status: res.status, headers: res.headers, body: body as T };
      }
      const message = providerMessage(text);
      if (res.status === 401 || res.status === 403) {
        throw new ConvergeError('CONVERGE_CLOUD', maskText(`${o.provider} API: ${where} was refused (${res.status}${message ? `: ${message}` : ''})`), { hint: o.authHint });
      }
      if (res.status === 429 || res.status >= 500) {
        lastProblem = `${res.status}${message ? `: ${message}` : ''}`;
        if (attempt < o.attempts) {
          const wait = res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : undefined;
          if (wait !== undefined && wait > o.maxRetryAfterMs) {
            throw new ConvergeError('CONVERGE_CLOUD', maskText(`${o.provider} API: ${where} is rate-limited (429) and asks to wait ${Math.ceil(wait / 1000)} s`), {
              hint: `run again later; converge waits at most ${o.maxRetryAfterMs / 1000} s. No host was contacted`,
            });
          }
          await o.sleep(wait ?? o.backoffMs * 2 ** (attempt - 1));
          continue;
        }
        throw new ConvergeError(res.status === 429 ? 'CONVERGE_CLOUD' : 'CONVERGE_UNAVAILABLE', maskText(`${o.provider} API: ${where} failed after ${attempt} attempts (last answer ${lastProblem})`), {
          hint: res.status === 429 ? 'the API keeps rate-limiting: run again later, or read fewer sources at once. No host was contacted' : `the ${o.provider} API is failing; see the provider's status page and run again. No host was contacted`,
        });
      }
      throw new ConvergeError('CONVERGE_CLOUD', maskText(`${o.provider} API: ${where} answered ${res.status}${message ? `: ${message}` : ''}`), {
        hint: res.status === 404 ? 'check the names in the inventory source (project, zone, region) and that the credentials may see them' : 'check the inventory source configuration',
      });
    }
    /* c8 ignore next */
    throw new ConvergeError('CONVERGE_INTERNAL', `${o.provider} API: ${where}: no attempt made`);
  }
}

async function readBody(res: Response, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([res.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error text a provider put in its JSON body (`message`, OVHcloud and Scaleway), else the first line. */
function providerMessage(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    for (const k of ['message', 'error_description', 'error']) if (typeof j[k] === 'string') return (j[k] as string).slice(0, 300);
  } catch {
    /* not JSON */
  }
  return text.split('\n')[0]?.slice(0, 200) ?? '';
}

/** The URL without its query string (it may carry filters the user thinks private). */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function describeNetworkError(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code}${cause.message ? ` (${cause.message})` : ''}` : e.message;
}
