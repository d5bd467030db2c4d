import type { ShellSessionOptions, ShellStreams } from './shell-session.js';
import { ShellSession } from './shell-session.js';

/** What a {@link awaitShellStart} watcher sees and can do while a new shell starts. */
export interface ShellStartControl {
  /** Everything read so far. */
  readonly out: string;
  readonly err: string;
  /** The shell is ready: hand the streams to a {@link ShellSession}. */
  ready(): void;
  /** The shell cannot be used: kill it and reject with this error. */
  fail(error: Error): void;
}

/**
 * Watches a freshly started shell's streams until a watcher says it is ready (or failed), then
 * returns a {@link ShellSession} over them. Shared by the sudo handshake and the SSH transport's
 * first sync: both read until a marker, with a timeout and an early end as failures.
 *
 * @param watch - called after every chunk of output.
 * @param onEnd - the error for a shell that ends first, and the one for a timeout.
 * @param sessionOptions - how the ready session reads the shell's output.
 */
export function awaitShellStart(
  streams: ShellStreams,
  label: string,
  timeoutMs: number,
  watch: (c: ShellStartControl) => void,
  onEnd: { closed(c: ShellStartControl): Error; timedOut(c: ShellStartControl): Error },
  sessionOptions: ShellSessionOptions = {},
): Promise<ShellSession> {
  return new Promise((resolve, reject) => {
    let done = false;
    const ctl = {
      out: '',
      err: '',
      ready: () => finish(),
      fail: (e: Error) => finish(e),
    };
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      streams.stdout.off('data', onOut);
      streams.stderr.off('data', onErr);
      streams.stdout.off('close', onClose);
      if (e) {
        streams.kill();
        reject(e);
      } else resolve(new ShellSession(streams, label, sessionOptions));
    };
    const onOut = (d: Buffer) => {
      ctl.out += d.toString('utf8');
      watch(ctl);
    };
    const onErr = (d: Buffer) => {
      ctl.err += d.toString('utf8');
      watch(ctl);
    };
    const onClose = () => finish(onEnd.closed(ctl));
    const timer = setTimeout(() => finish(onEnd.timedOut(ctl)), timeoutMs);
    streams.stdout.on('data', onOut);
    streams.stderr.on('data', onErr);
    streams.stdout.on('close', onClose);
  });
}
