import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

// `--audit-syslog`: every audit record also goes to syslog through util-linux logger(1). Remote
// servers are real listeners on loopback (UDP, and TCP with RFC 6587 octet counting) that check
// each message is well-formed RFC 5424. The local socket is a Unix stream socket the test
// listens on, given as `unix:PATH`: logger sends the same local-format messages it sends to
// /dev/log; journald itself does not run on the controller, so its parsing is not covered here.

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const PASSWORD = 'syslog-canary-Zq81';


/** RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG], with logger's timeQuality element. */
const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-|(?:\[[^\]]*\])+) (.*)$/s;

interface Parsed {
  pri: number;
  app: string;
  procid: string;
  msgid: string;
  msg: string;
}
function parse5424(message: string): Parsed {
  const m = RFC5424.exec(message);
  if (!m) throw new Error(`not an RFC 5424 message: ${JSON.stringify(message)}`);
  return { pri: Number(m[1]), app: m[4] as string, procid: m[5] as string, msgid: m[6] as string, msg: m[8] as string };
}

let dir: string;
let inv: string;
let audit: string;
const servers: { close(): void }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-syslog-'));
  inv = join(dir, 'hosts.ini');
  audit = join(dir, 'audit.jsonl');
  writeFileSync(inv, `[local]\nlocal1 ansible_connection=local\n\n[local:vars]\ntarget_dir=${dir}\n`);
  writeFileSync(join(dir, 'become-pw'), `${PASSWORD}\n`);
});
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  delete process.env.CONVERGE_AUDIT_SYSLOG;
});

async function udpListener(): Promise<{ port: number; messages: string[] }> {
  const socket = createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  servers.push(socket);
  return { port: socket.address().port, messages };
}

/** A TCP (or Unix stream socket) listener; `octets`: frames are `LENGTH SP MESSAGE` (RFC 6587 3.4.1), else newline-terminated. */
async function streamListener(where: { port: 0 } | { path: string }, octets: boolean): Promise<{ port: number; messages: string[]; raw: () => string }> {
  const messages: string[] = [];
  let raw = '';
  const server: Server = createServer((conn) => {
    let buf = Buffer.alloc(0);
    conn.on('data', (d: Buffer) => {
      raw += d.toString('utf8');
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (octets) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) return;
          const len = Number(buf.subarray(0, sp).toString());
          if (!Number.isInteger(len) || len <= 0) throw new Error(`bad octet count in ${JSON.stringify(buf.toString())}`);
          if (buf.length < sp + 1 + len) return;
          messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
          buf = buf.subarray(sp + 1 + len);
        } else {
          const nl = buf.indexOf(0x0a);
          if (nl < 0) return;
          messages.push(buf.subarray(0, nl).toString('utf8'));
          buf = buf.subarray(nl + 1);
        }
      }
    });
  });
  await new Promise<void>((resolve) => ('path' in where ? server.listen(where.path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  servers.push(server);
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, messages, raw: () => raw };
}

const fileLines = () => readFileSync(audit, 'utf8').trim().split('\n');

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('converge --audit-syslog', () => {
  it('sends every audit record, masked as in the file, to UDP and TCP servers as RFC 5424 messages', async () => {
    const udp = await udpListener();
    const tcp = await streamListener({ port: 0 }, true);
    // b.txt's content holds the become password: masked by value in the change records
    const r = await cli(['-i', inv, fixture('local-files.ts'), '--audit-log', audit, '--become-password-file', join(dir, 'become-pw'), '-e', `b_content=pw=${PASSWORD}`, '--audit-syslog', `udp://127.0.0.1:${udp.port}`, '--audit-syslog', `tcp://127.0.0.1:${tcp.port}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe(`pw=${PASSWORD}`);
    const lines = fileLines();
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['run-start', 'run-plan', 'task', 'task', 'run-end']);
    expect(lines.join('\n')).toContain('pw=********');
    await until(() => udp.messages.length >= lines.length, 'the UDP messages');
    for (const received of [udp.messages, tcp.messages]) {
      const parsed = received.map(parse5424);
      expect(parsed.map((p) => p.msg)).toEqual(lines);
      // facility authpriv (10), severity notice (5): PRI 10 * 8 + 5
      expect(parsed.map((p) => p.pri)).toEqual(lines.map(() => 85));
      expect(new Set(parsed.map((p) => `${p.app} ${p.procid} ${p.msgid}`))).toEqual(new Set([`converge ${process.pid} -`]));
      expect(received.join('\n')).not.toContain(PASSWORD);
    }
    expect(r.stderr).toBe('');
  });

  it('takes the facility from --audit-syslog-facility and logs failures at severity warning', async () => {
    const tcp = await streamListener({ port: 0 }, true);
    const r = await cli(['-i', inv, fixture('local-files.ts'), '--audit-log', audit, '-e', 'fail=yes', '--audit-syslog', `tcp://127.0.0.1:${tcp.port}`, '--audit-syslog-facility', 'local3']);
    expect(r.code).toBe(2);
    const recs = fileLines().map((l) => JSON.parse(l) as { type: string; status?: string; result?: string });
    const parsed = tcp.messages.map(parse5424);
    expect(parsed.map((p) => p.msg)).toEqual(fileLines());
    // local3 (19): notice 19 * 8 + 5 = 157, warning 19 * 8 + 4 = 156
    expect(parsed.map((p) => p.pri)).toEqual(recs.map((rec) => (rec.status === 'failed' || rec.result === 'failed' ? 156 : 157)));
    expect(recs.filter((rec) => rec.status === 'failed' || rec.result === 'failed')).toHaveLength(2);
  });

  it('sends to a local syslog socket (unix:PATH; local is /dev/log) in the local format, also when set by CONVERGE_AUDIT_SYSLOG', async () => {
    const path = join(dir, 'log.sock');
    const local = await streamListener({ path }, false);
    process.env.CONVERGE_AUDIT_SYSLOG = `unix:${path}`;
    const r = await cli(['-i', inv, fixture('local-files.ts'), '--audit-log', audit]);
    expect(r.code, r.stderr).toBe(0);
    const lines = fileLines();
    await until(() => local.messages.length >= lines.length, 'the local messages');
    // RFC 3164 section 4.1 as logger(1) writes it to a local socket: <PRI>TIMESTAMP TAG[PID]: MSG
    const re = /^<85>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d converge\[(\d+)\]: (.*)$/;
    for (const [i, m] of local.messages.entries()) {
      const match = re.exec(m);
      expect(match, m).not.toBeNull();
      expect(match?.[1]).toBe(String(process.pid));
      expect(match?.[2]).toBe(lines[i]);
    }
  });

  it('a syslog server that cannot be reached is reported, recorded in the file, and costs the file no record', async () => {
    const closed = await streamListener({ port: 0 }, true);
    servers.pop()?.close();
    const r = await cli(['-i', inv, fixture('local-files.ts'), '--audit-log', audit, '--audit-syslog', `tcp://127.0.0.1:${closed.port}`, '--audit-syslog', `unix:${join(dir, 'no-such.sock')}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`converge: warning: audit records are not reaching syslog tcp://127.0.0.1:${closed.port}: logger exited with code 1: logger: failed to connect to 127.0.0.1 port ${closed.port}; the audit log ${audit} keeps every record`);
    expect(r.stderr).toMatch(new RegExp(`converge: warning: audit records are not reaching syslog unix:${join(dir, 'no-such.sock')}: logger exited with code 1: .*No such file or directory`));
    const types = fileLines().map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.filter((t) => t !== 'sink-error')).toEqual(['run-start', 'run-plan', 'task', 'task', 'run-end']);
    expect(types.filter((t) => t === 'sink-error').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a destination it does not know before touching a host', async () => {
    for (const bad of ['tls://logs.example.test:6514', 'udp://', 'tcp://host:70000', 'unix:relative.sock']) {
      const r = await cli(['-i', inv, fixture('local-files.ts'), '--audit-log', audit, '--audit-syslog', bad]);
      expect(r.code, bad).toBe(5);
      expect(r.stderr).toContain(`--audit-syslog ${JSON.stringify(bad)}`);
    }
    expect(readFileSync(join(dir, 'hosts.ini'), 'utf8')).toContain('local1');
    expect(() => readFileSync(join(dir, 'a.txt'))).toThrow();
  });
});
