import { randomBytes } from 'node:crypto';
import { ConvergeError } from '@converge/core';
import type { FactRequest } from '@converge/core';
import { quote } from '@converge/core';
import type { ExecOptions, Transport } from '@converge/core';
import { runsInScriptShell, sharedProbeText } from './batching/probe-batching.js';

/** A fact's value, or why it could not be read. */
export type FactResult = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * Builds ONE shell script that runs every probe: first what the facts' probe hints share over
 * all requests ({@link sharedProbeText}: preludes and batches), then each probe in a subshell
 * (through `eval`, so that a syntax error or `exit` ends only that probe; in the script's own
 * shell for a fact whose hints say `sameShell`), all with `LC_ALL=C` and stdin
 * from /dev/null. Each probe's output is followed by a per-run random marker carrying its index
 * and exit status on stdout and on stderr, so outputs split unambiguously.
 */
export function probeScript(requests: readonly FactRequest[], nonce: string): string {
  const lines = [
    'LC_ALL=C; export LC_ALL; exec </dev/null',
    `cv_probe_end() { printf '\\036${nonce}F%d:%d\\036\\n' "$1" "$2"; printf '\\036${nonce}F%d\\036\\n' "$1" >&2; }`,
    'cv_probe_all() {',
    ...sharedProbeText(requests),
  ];
  requests.forEach((r, i) => {
    const cmd = String(r.fact.command(r.args));
    lines.push(runsInScriptShell(r) ? `${cmd}\ncv_probe_end ${i} $?` : `( eval ${quote(cmd)} ); cv_probe_end ${i} $?`);
  });
  // Probes write many short lines; dd collects stdout into blocks so that they travel in a few
  // packets instead of one per line (dd writes a block when it holds obs bytes, and at the end).
  lines.push('}', 'if command -v dd >/dev/null 2>&1; then cv_probe_all | dd ibs=4096 obs=65536 status=none; else cv_probe_all; fi');
  return lines.join('\n');
}

/** Splits the batched output back into each probe's stdout, stderr and exit status, and parses them. */
export function parseProbeOutput(requests: readonly FactRequest[], nonce: string, stdout: string, stderr: string): Map<string, FactResult> {
  const results = new Map<string, FactResult>();
  const outRe = new RegExp(`\\x1e${nonce}F(\\d+):(\\d+)\\x1e\\n`, 'g');
  const errRe = new RegExp(`\\x1e${nonce}F(\\d+)\\x1e\\n`, 'g');
  const outs = split(stdout, outRe);
  const errs = split(stderr, errRe);
  requests.forEach((r, i) => {
    const o = outs.get(i);
    if (!o) {
      results.set(r.key, { ok: false, error: new ConvergeError('CONVERGE_FACT', `fact ${r.fact.name} produced no output (the probe script was cut short)`, { detail: stderr.slice(-2000) }) });
      return;
    }
    const errText = errs.get(i)?.text ?? '';
    try {
      results.set(r.key, { ok: true, value: r.fact.parse(o.text, { args: r.args, exitCode: o.code, stderr: errText }) });
    } catch (e) {
      results.set(r.key, {
        ok: false,
        error: new ConvergeError('CONVERGE_FACT', `fact ${r.fact.name} ${JSON.stringify(r.args)}: ${(e as Error).message}`, { cause: e, ...(errText ? { detail: errText } : {}) }),
      });
    }
  });
  return results;
}

function split(text: string, re: RegExp): Map<number, { text: string; code: number }> {
  const out = new Map<number, { text: string; code: number }>();
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.set(Number(m[1]), { text: text.slice(last, m.index), code: m[2] === undefined ? 0 : Number(m[2]) });
    last = (m.index ?? 0) + m[0].length;
  }
  return out;
}

/**
 * Runs the given fact requests on a host in one round trip and returns their values by key.
 * Duplicate keys are probed once.
 *
 * @throws ConvergeError from the transport when the host cannot run the script.
 */
export async function probe(transport: Transport, requests: readonly FactRequest[], options: ExecOptions = {}): Promise<Map<string, FactResult>> {
  const unique = [...new Map(requests.map((r) => [r.key, r])).values()];
  if (unique.length === 0) return new Map();
  const nonce = randomBytes(6).toString('hex');
  const r = await transport.exec(probeScript(unique, nonce), options);
  return parseProbeOutput(unique, nonce, r.stdout, r.stderr);
}
