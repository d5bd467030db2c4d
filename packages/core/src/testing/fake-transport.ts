import type { RawShell } from '../sh.js';
import type { ExecOptions, ExecResult, Transport, TransportStats } from '../transport.js';

/** One command a {@link FakeTransport} was asked to run. */
export interface RecordedCommand {
  /** The shell text, as the host would have received it. */
  script: string;
  options: ExecOptions;
}

/** Options of {@link fakeTransport}. */
export interface FakeTransportOptions {
  /** Inventory name of the host; default `test-host`. */
  host?: string;
  /** The user commands run as without become; default `root`. */
  loginUser?: string;
  /**
   * The result of a command, from its text (recorded output of a real host, say); what it leaves
   * out is empty output and exit status 0. Default: every command succeeds silently.
   */
  answer?(script: string, options: ExecOptions): Partial<ExecResult> | undefined;
}

/** A {@link Transport} that runs nothing and keeps what it was asked to run, in order. */
export interface FakeTransport extends Transport {
  readonly commands: readonly RecordedCommand[];
}

/**
 * A transport for tests that need no host: it records every command (with its options: stdin,
 * become, ...) and answers each with `answer`'s result, or success with no output. Use it to
 * assert what code sends to a host (how many round trips, that a secret travels on stdin and
 * never in the script); to run commands for real, use `@converge/testing`'s container hosts.
 *
 * @example
 * const t = fakeTransport({ answer: (s) => (s.startsWith('systemctl show') ? { stdout: recorded } : undefined) });
 * await code(t);
 * expect(t.commands.map((c) => c.script)).toEqual(['systemctl show -- nginx']);
 */
export function fakeTransport(options: FakeTransportOptions = {}): FakeTransport {
  const commands: RecordedCommand[] = [];
  const stats: TransportStats = { roundTrips: 0 };
  return {
    host: options.host ?? 'test-host',
    loginUser: options.loginUser ?? 'root',
    stats,
    commands,
    connect: async () => {},
    close: async () => {},
    exec: async (command: string | RawShell, execOptions: ExecOptions = {}): Promise<ExecResult> => {
      const script = String(command);
      commands.push({ script, options: execOptions });
      stats.roundTrips += 1;
      const answer = options.answer?.(script, execOptions) ?? {};
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 0, ...answer };
    },
  };
}
