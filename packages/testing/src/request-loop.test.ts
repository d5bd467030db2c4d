import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { failoverWindow, requestLoop, type RequestOutcome } from './request-loop.js';

const at = (t: number, ok: boolean): RequestOutcome => ({ at: t, ok, headers: {} });

describe('failoverWindow', () => {
  it.each([
    { name: 'no failure', outcomes: [at(0, true), at(10, true)], windowMs: 0, failed: 0, ok: 2 },
    { name: 'one outage', outcomes: [at(0, true), at(10, false), at(20, false), at(35, true), at(40, true)], windowMs: 25, failed: 2, ok: 3 },
    { name: 'two outages count as one window', outcomes: [at(0, false), at(5, true), at(50, false), at(60, true)], windowMs: 60, failed: 2, ok: 2 },
  ])('$name', ({ outcomes, windowMs, failed, ok }) => {
    expect(failoverWindow(outcomes)).toEqual({ windowMs, failed, ok });
  });

  it('runs to now when no request succeeded after the last failure', () => {
    const start = Date.now() - 1000;
    expect(failoverWindow([at(start - 10, true), at(start, false)]).windowMs).toBeGreaterThanOrEqual(1000);
  });
});

describe('requestLoop', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
    server = undefined;
  });
  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<{ url: string; connections: () => number }> => {
    let connections = 0;
    server = createServer(handler);
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections: () => connections };
  };
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('sends a GET again once when a kept-alive connection was closed by the server as it was reused', async () => {
    const seen = new WeakMap<object, number>();
    let cut = 0;
    const { url } = await listen((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      // The second request on every connection finds it closed, as an idle connection closed by the server.
      if (n === 2) {
        cut++;
        req.socket.destroy();
        return;
      }
      res.end('ok');
    });
    const loop = requestLoop(url, { clients: 1 });
    await settle(300);
    const outcomes = await loop.stop();
    expect(cut).toBeGreaterThan(0);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(cut);
  });

  it('sends from two clients over keep-alive connections, recording status and headers', async () => {
    let n = 0;
    const { url, connections } = await listen((_req, res) => {
      n++;
      res.writeHead(n % 5 === 0 ? 503 : 200, { 'x-app-version': '1.0.0' }).end('ok');
    });
    const loop = requestLoop(url);
    await settle(300);
    const outcomes = await loop.stop();
    expect(outcomes.length).toBeGreaterThan(10);
    expect(connections()).toBe(2);
    expect(outcomes.every((o) => o.headers['x-app-version'] === '1.0.0')).toBe(true);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((o) => o.status === 503 && o.error === 'HTTP 503')).toBe(true);
    expect(outcomes.map((o) => o.at)).toEqual([...outcomes.map((o) => o.at)].sort((a, b) => a - b));
  });

  it('fails a request without an answer in time, and one whose connection is cut, each once', async () => {
    let n = 0;
    const { url } = await listen((req, res) => {
      n++;
      if (n === 1) return; // never answered
      if (n === 2) {
        res.writeHead(200, { 'content-length': '10' }).write('part');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.end('ok');
    });
    const loop = requestLoop(url, { clients: 1, timeoutMs: 500 });
    await settle(1500);
    const outcomes = await loop.stop();
    expect(outcomes.slice(0, 2).map((o) => [o.ok, o.error])).toEqual([
      [false, 'no answer within 500 ms'],
      [false, expect.stringMatching(/aborted|ECONNRESET|closed/)],
    ]);
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(2);
    expect(outcomes.slice(2).some((o) => o.ok)).toBe(true);
  });
});
