import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ShellSession } from './shell-session.js';

/** A shell double: the test plays the shell's side of the framing on plain streams. */
function fakeShell() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const nonces: string[] = [];
  stdin.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/printf '\\036%s\\036\\n' ([0-9a-f]+) >&2/g)) nonces.push(m[1] as string);
  });
  const session = new ShellSession({ stdin, stdout, stderr, kill: () => stdout.destroy() }, 'fake');
  return { session, stdout, stderr, nonces };
}

/** Writes `text` one byte per chunk, as a shell writing through a slow pipe may deliver it. */
async function trickle(stream: PassThrough, text: string): Promise<void> {
  for (const b of Buffer.from(text)) {
    stream.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
}

describe('ShellSession framing of output that arrives in small chunks', () => {
  it('finds markers split across chunks and keeps what follows for the next command', async () => {
    const { session, stdout, stderr, nonces } = fakeShell();
    const first = session.run('first');
    const second = session.run('second');
    await new Promise((r) => setImmediate(r));
    const [n1] = nonces;
    // A marker of another nonce in the output is just output.
    await trickle(stdout, `out \u00e9\n\x1edeadbeef:0\x1e\nmore\x1e${n1}:3\x1e\n`);
    await trickle(stderr, `err\n\x1e${n1}\x1e\n`);
    expect(await first).toMatchObject({ stdout: 'out \u00e9\n\x1edeadbeef:0\x1e\nmore', stderr: 'err\n', exitCode: 3 });
    await new Promise((r) => setImmediate(r));
    const n2 = nonces[1] as string;
    stderr.write(`\x1e${n2}\x1e\n`);
    const big = 'x'.repeat(200_000);
    stdout.write(`${big}\x1e${n2}:0\x1e`);
    stdout.write('\n');
    expect(await second).toMatchObject({ stdout: big, stderr: '', exitCode: 0 });
    session.close();
  });
});
