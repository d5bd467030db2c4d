import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** One request of a {@link requestLoop}. */
export interface RequestOutcome {
  /** When it was sent, ms since the epoch. */
  at: number;
  /** Answered with HTTP 200. */
  ok: boolean;
  /** The answer's status, when there was an answer. */
  status?: number;
  /** The answer's headers (empty without an answer). */
  headers: IncomingHttpHeaders;
  /** Why it failed: `HTTP 503`, `no answer within 1000 ms`, `ECONNRESET`, … */
  error?: string;
}

/** Options of {@link requestLoop}. */
export interface RequestLoopOptions {
  /** Clients sending at once, each on its own keep-alive connection; default 2. */
  clients?: number;
  /** A request without a complete answer after this many ms fails; default 1000. */
  timeoutMs?: number;
  /** The loop stops by itself after this many ms, should `stop()` never come; default 900000. */
  maxDurationMs?: number;
}

/** A running {@link requestLoop}. */
export interface RequestLoop {
  /** Stops sending, waits for the requests in flight, closes the connections: every outcome, in the order sent. */
  stop(): Promise<RequestOutcome[]>;
}

/**
 * Sends `GET url` back to back from `clients` HTTP clients with keep-alive connections (as
 * browsers and proxies do) until `stop()`, recording each outcome: the load under which a test
 * checks that a reload, a rolling deploy or a failover loses no request, or measures how long
 * requests fail ({@link failoverWindow}). After a failed request a client waits 50 ms and opens a
 * new connection.
 *
 * @example
 * const loop = requestLoop(`http://${vip}/`);
 * await deploy();
 * expect((await loop.stop()).filter((o) => !o.ok)).toEqual([]);
 */
export function requestLoop(url: string, options: RequestLoopOptions = {}): RequestLoop {
  const timeoutMs = options.timeoutMs ?? 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients ?? 2 });
  const outcomes: RequestOutcome[] = [];
  const deadline = Date.now() + (options.maxDurationMs ?? 900_000);
  let running = true;
  const one = (retry = true): Promise<void> =>
    new Promise((resolve) => {
      const at = Date.now();
      let settled = false;
      let answered = false;
      // A request records one outcome, whichever of the request and the answer reports first.
      const settle = (outcome: RequestOutcome): void => {
        if (settled) return;
        settled = true;
        outcomes.push(outcome);
        if (outcome.ok) resolve();
        else setTimeout(resolve, 50);
      };
      const req = request(url, { agent, timeout: timeoutMs }, (res) => {
        answered = true;
        res.resume();
        const ok = res.statusCode === 200;
        res.on('end', () => settle({ at, ok, status: res.statusCode ?? 0, headers: res.headers, ...(ok ? {} : { error: `HTTP ${res.statusCode}` }) }));
        res.on('error', (e) => settle({ at, ok: false, status: res.statusCode ?? 0, headers: res.headers, error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed while idle can take the next request before
        // the close arrives: a GET is then sent again once on a new connection, as browsers and
        // HTTP clients do (RFC 9110 section 9.2.2; Node's documented pattern for request.reusedSocket).
        if (retry && !answered && !settled && req.reusedSocket && e.code === 'ECONNRESET') {
          settled = true;
          void one(false).then(resolve);
          return;
        }
        settle({ at, ok: false, headers: {}, error: e.message });
      });
      req.on('close', () => settle({ at, ok: false, headers: {}, error: 'connection closed before the answer ended' }));
      req.end();
    });
  const client = async (): Promise<void> => {
    while (running && Date.now() < deadline) await one();
  };
  const clients = Array.from({ length: options.clients ?? 2 }, () => client());
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return outcomes.sort((a, b) => a.at - b.at);
    },
  };
}

/** What {@link failoverWindow} measured. */
export interface FailoverWindow {
  /** From the first failed request to the first successful one sent after the last failure, ms (0 when none failed). */
  windowMs: number;
  failed: number;
  ok: number;
}

/**
 * The one window in which a {@link requestLoop}'s requests failed: from the first failure to the
 * first success after the last failure (to now when none came). Failures apart from each other
 * are one window too, so a test that bounds the window also bounds any second outage.
 */
export function failoverWindow(outcomes: readonly RequestOutcome[]): FailoverWindow {
  const failedAt = outcomes.filter((o) => !o.ok).map((o) => o.at);
  if (failedAt.length === 0) return { windowMs: 0, failed: 0, ok: outcomes.length };
  const first = Math.min(...failedAt);
  const last = Math.max(...failedAt);
  const recovered = outcomes.find((o) => o.ok && o.at > last);
  return { windowMs: (recovered?.at ?? Date.now()) - first, failed: failedAt.length, ok: outcomes.length - failedAt.length };
}
