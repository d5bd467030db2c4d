import { afterAll, describe, expect, it } from 'vitest';
import { LocalTransport } from './local-transport.js';
import { sh } from './sh.js';

const t = new LocalTransport();
afterAll(() => t.close());

describe('LocalTransport over a framed shell', () => {
  it('separates stdout, stderr and the exit code of each command', async () => {
    const r = await t.exec('printf out; printf err >&2; exit 3');
    expect(r).toMatchObject({ stdout: 'out', stderr: 'err', exitCode: 3 });
  });

  it('keeps the session usable after exit, cd and a syntax error', async () => {
    await t.exec('cd /tmp; exit 0');
    const bad = await t.exec('if then fi (');
    expect(bad.exitCode).not.toBe(0);
    const r = await t.exec('pwd');
    expect(r.stdout).not.toBe('/tmp\n');
    expect(r.exitCode).toBe(0);
  });

  it.each([
    ['quotes and $', `a'b"c $(echo no) \`echo no\` $HOME \\ `],
    ['newlines and non-ASCII', 'line1\nline2\n\u00e9\u4e2d\n'],
    ['empty', ''],
  ])('passes %s through stdin and arguments intact', async (_n, value) => {
    const viaStdin = await t.exec('cat', { stdin: value });
    expect(viaStdin.stdout).toBe(value);
    const viaArg = await t.exec(sh`printf '%s' ${value}`);
    expect(viaArg.stdout).toBe(value);
  });

  it('cannot be fooled by output that looks like a frame marker', async () => {
    const r = await t.exec(`printf '\\036deadbeef:0\\036\\n'; echo done`);
    expect(r.stdout).toBe('\x1edeadbeef:0\x1e\ndone\n');
  });

  it('runs commands in call order and counts round trips', async () => {
    const before = t.stats.roundTrips;
    const rs = await Promise.all([1, 2, 3, 4].map((i) => t.exec(`echo ${i}`)));
    expect(rs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n']);
    expect(t.stats.roundTrips - before).toBe(4);
  });

  it('passes large binary stdin', async () => {
    const big = Buffer.alloc(300_000, 7);
    const r = await t.exec('wc -c', { stdin: big });
    expect(r.stdout.trim()).toBe('300000');
  });

  it('times out and recovers with a new session', async () => {
    await expect(t.exec('sleep 5', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CONVERGE_TIMEOUT' });
    const r = await t.exec('echo back');
    expect(r.stdout).toBe('back\n');
  });

  it('applies cwd and env', async () => {
    const r = await t.exec('pwd; echo "$X"', { cwd: '/', env: { X: "it's" } });
    expect(r.stdout).toBe("/\nit's\n");
  });
});
