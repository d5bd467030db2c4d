import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ConvergeError } from '@converge/core/lean';
import { ExitCode } from '../exit-codes.js';

/**
 * Registers the `converge report` command group. `converge report merge FILE... [--output
 * pretty|json|junit]` combines the JSON reports of the shards of one run (`--shard I/N
 * --report-file FILE`) into one: the recap, the `--output json` document (without `shard`) or
 * JUnit, exactly as one run over all hosts prints them; its exit code is the one that run would
 * have had (4 unreachable, 2 failed, else 0).
 */
export function registerReport(program: Command, io: { stdout: NodeJS.WritableStream; setCode: (code: number) => void }): void {
  const report = program.command('report').description('work with run reports');
  report
    .command('merge')
    .description('combine the JSON reports of the shards of a run (--shard I/N) into one recap, JSON document or JUnit file')
    .argument('<reports...>', 'the JSON reports of every shard (--report-file, or --output json)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['pretty', 'json', 'junit']).default('pretty'))
    .action(async (files: string[], flags: { output: 'pretty' | 'json' | 'junit' }) => {
      const { mergeShardReports } = await import('@converge/engine');
      const reports = files.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          throw new ConvergeError('CONVERGE_OPTIONS', `report merge: cannot read ${file}: ${(e as Error).message}`, { cause: e });
        }
        try {
          return { file, report: JSON.parse(text) as import('@converge/engine').RunReport };
        } catch (e) {
          throw new ConvergeError('CONVERGE_OPTIONS', `report merge: ${file} is not a JSON report: ${(e as Error).message}`, { cause: e, hint: 'write each shard\'s report with --report-file FILE (or --output json > FILE)' });
        }
      });
      const merged = mergeShardReports(reports);
      if (flags.output === 'json') io.stdout.write((await import('../output/json.js')).renderJson(merged));
      else if (flags.output === 'junit') io.stdout.write((await import('../output/junit.js')).renderJunit(merged));
      else {
        const { PrettyReporter } = await import('../output/pretty.js');
        const pretty = new PrettyReporter(io.stdout as NodeJS.WritableStream & { isTTY?: boolean });
        const hosts = Object.keys(merged.summary);
        pretty.onEvent({ type: 'run-start', check: merged.check, diff: false, hosts });
        pretty.onEvent({ type: 'run-end', report: merged });
      }
      const rows = Object.values(merged.summary);
      io.setCode(rows.some((s) => s.unreachable > 0) ? ExitCode.unreachable : rows.some((s) => s.failed > 0) || (merged.stopped?.length ?? 0) > 0 ? ExitCode.hostFailed : ExitCode.ok);
    });
}
