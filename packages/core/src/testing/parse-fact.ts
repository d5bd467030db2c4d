import { ConvergeError } from '../errors.js';
import type { FactRequest } from '../fact.js';

/** What a probe printed besides stdout: its exit status (default 0) and stderr (default empty). */
export interface RecordedProbe {
  exitCode?: number;
  stderr?: string;
}

/**
 * Runs a fact's parser on output recorded from a host, as the engine does after a probe: the way
 * fact cases `recorded output -> value` are tested, and how module cases get their fact values.
 *
 * @param request - the fact with its arguments, e.g. `systemdUnit({ name: 'nginx' })`.
 * @param stdout - the probe's standard output, as the host printed it.
 * @throws ConvergeError `CONVERGE_FACT` naming the fact and its arguments when the parser
 * refuses the output (the parser's error is the cause; stderr is the detail).
 * @example
 * const unit = parseFact(systemdUnit({ name: 'nginx' }), readFileSync('fixtures/nginx.show', 'utf8'));
 */
export function parseFact<T>(request: FactRequest<T>, stdout: string, probe: RecordedProbe = {}): T {
  const stderr = probe.stderr ?? '';
  try {
    return request.fact.parse(stdout, { args: request.args, exitCode: probe.exitCode ?? 0, stderr });
  } catch (e) {
    throw new ConvergeError('CONVERGE_FACT', `fact ${request.fact.name} ${JSON.stringify(request.args)}: ${(e as Error).message}`, { cause: e, ...(stderr ? { detail: stderr } : {}) });
  }
}
