import { Chalk, type ChalkInstance } from 'chalk';
import type { RunEvent, RunReport, TaskReport } from '@converge/engine';

/**
 * Human output: one line per task and host as results arrive, diffs under changed tasks with
 * `--diff`, and a recap per host at the end, as ansible-playbook's. Colour follows the stream
 * (off when it is not a TTY, or with NO_COLOR). Events come masked from the engine (their data,
 * never converge's words around it), so nothing is masked again here.
 */
export class PrettyReporter {
  readonly #out: NodeJS.WritableStream;
  readonly #c: ChalkInstance;
  readonly #verbose: boolean;
  readonly #live: boolean;
  #width = 0;
  #status = false;
  readonly #running = new Map<string, string>();
  /** Hints already shown: one hint serves every host it applies to. */
  readonly #hints = new Set<string>();

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, options: { verbose?: boolean; color?: boolean } = {}) {
    this.#out = out;
    const color = options.color ?? (out.isTTY === true && !process.env.NO_COLOR);
    this.#c = new Chalk({ level: color ? 1 : 0 });
    this.#verbose = options.verbose ?? false;
    this.#live = out.isTTY === true;
  }

  onEvent = (e: RunEvent): void => {
    const c = this.#c;
    switch (e.type) {
      case 'run-start':
        this.#width = Math.max(4, ...e.hosts.map((h) => h.length));
        if (e.check) this.#line(c.cyan('CHECK MODE: nothing will be changed; changed = would change; unknown = would change as an earlier change decides, known after apply'));
        break;
      case 'play-start':
        this.#line(c.bold(`\nPLAY [${e.play}] `) + c.dim(e.hosts.length ? e.hosts.join(', ') : '(no hosts matched)'));
        break;
      case 'host-unreachable':
        this.#line(`${c.red.bold('unreachable'.padEnd(11))} ${e.host.padEnd(this.#width)}  ${indent(e.message, 2 + 11 + 1 + this.#width + 2).trimStart()}`);
        if (e.hint && !this.#hints.has(e.hint)) {
          this.#hints.add(e.hint);
          this.#line(c.dim(indent(`hint: ${e.hint}`, 2 + 11 + 1 + this.#width + 2)));
        }
        break;
      case 'warning':
        this.#line(c.yellow(`warning${e.host ? ` [${e.host}]` : ''}: ${e.message}`));
        break;
      case 'task-start':
        this.#running.set(e.host, `${e.handler ? 'handler ' : ''}${e.task}`);
        this.#showStatus();
        break;
      case 'task-retry':
        this.#line(this.#c.yellow(`${'retrying'.padEnd(11)} ${e.host.padEnd(this.#width)}  ${e.task} (${e.retriesLeft} ${e.retriesLeft === 1 ? 'retry' : 'retries'} left)`));
        break;
      case 'task-result':
        this.#running.delete(e.report.host);
        this.#task(e.report);
        this.#showStatus();
        break;
      case 'run-end':
        this.#running.clear();
        this.#recap(e.report);
        break;
      default:
        break;
    }
  };

  #task(r: TaskReport): void {
    const c = this.#c;
    const colour = { ok: c.green, changed: c.yellow, unknown: c.magenta, failed: c.red, skipped: c.cyan, unreachable: c.red }[r.status];
    const label = r.ignored ? 'ignored' : r.rescued ? 'rescued' : r.status;
    const name = `${r.handler ? 'handler ' : ''}${r.task}`;
    const where = r.delegatedTo ? `${r.host} -> ${r.delegatedTo}` : r.host;
    let line = `${colour(label.padEnd(11))} ${where.padEnd(this.#width)}  ${name}`;
    if (r.attempts !== undefined && r.attempts > 1) line += c.dim(`  (${r.attempts} attempts)`);
    if (r.status === 'ok' && r.message && this.#verbose && r.output === undefined) line += c.dim(`  (${r.message})`);
    if ((r.status === 'skipped' || r.status === 'unknown') && r.message) line += c.dim(`  (${r.message})`);
    this.#line(line);
    if (r.output !== undefined) this.#line(indent(r.output, 14));
    if (r.status === 'failed' && r.message) this.#line(c.red(indent(r.message, 14)));
    if (r.diff) this.#line(colourDiff(indent(r.diff.trimEnd(), 14), c));
    if (this.#verbose && r.result) {
      for (const k of ['stdout', 'stderr'] as const) {
        const v = r.result[k];
        if (typeof v === 'string' && v.trim()) this.#line(c.dim(indent(`${k}: ${v.trimEnd()}`, 14)));
      }
    }
  }

  #recap(report: RunReport): void {
    const c = this.#c;
    this.#line(c.bold('\nRECAP'));
    for (const [host, s] of Object.entries(report.summary)) {
      const st = report.stats[host];
      const parts = [
        c.green(`ok=${s.ok}`),
        s.changed ? c.yellow(`changed=${s.changed}`) : `changed=${s.changed}`,
        ...(report.check ? [s.unknown ? c.magenta(`unknown=${s.unknown}`) : `unknown=${s.unknown ?? 0}`] : []),
        s.unreachable ? c.red(`unreachable=${s.unreachable}`) : `unreachable=${s.unreachable}`,
        s.failed ? c.red(`failed=${s.failed}`) : `failed=${s.failed}`,
        `skipped=${s.skipped}`,
        `rescued=${s.rescued ?? 0}`,
        `ignored=${s.ignored}`,
      ];
      const cost = st ? c.dim(`  (${st.roundTrips} round trips, ${(st.durationMs / 1000).toFixed(1)} s)`) : '';
      this.#line(`${host.padEnd(this.#width)}  ${parts.join(' ')}${cost}`);
    }
    for (const s of report.stopped ?? []) this.#line(c.red(`${s.host.padEnd(this.#width)}  stopped in play "${s.play}": ${s.reason}`));
  }

  #line(text: string): void {
    this.#clearStatus();
    this.#out.write(`${text}\n`);
  }

  /** On a terminal, one line at the bottom shows what runs right now (progress of slow tasks). */
  #showStatus(): void {
    if (!this.#live || this.#running.size === 0) return;
    this.#clearStatus();
    const cols = (this.#out as { columns?: number }).columns || 100;
    const [host, task] = [...this.#running][0] ?? ['', ''];
    const more = this.#running.size > 1 ? ` (+${this.#running.size - 1} hosts)` : '';
    const text = `running     ${host.padEnd(this.#width)}  ${task}${more}`.slice(0, Math.max(10, cols - 1));
    this.#out.write(this.#c.dim(text));
    this.#status = true;
  }

  #clearStatus(): void {
    if (!this.#status) return;
    this.#out.write('\r\x1b[K');
    this.#status = false;
  }
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function colourDiff(text: string, c: ChalkInstance): string {
  return text
    .split('\n')
    .map((l) => {
      const t = l.trimStart();
      if (t.startsWith('+++') || t.startsWith('---')) return c.bold(l);
      if (t.startsWith('+')) return c.green(l);
      if (t.startsWith('-')) return c.red(l);
      if (t.startsWith('@@')) return c.cyan(l);
      return l;
    })
    .join('\n');
}
