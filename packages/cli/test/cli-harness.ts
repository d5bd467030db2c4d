import { Writable } from 'node:stream';
import { main } from '../src/main.js';

/** A writable stream that keeps what is written to it in `text`. */
export function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** Runs the CLI's `main` in this process and returns its exit code and output. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
