import { secret, SECRET_MASK } from '@converge/core';
import { describe, expect, it } from 'vitest';
import type { TaskReport } from './report.js';
import { maskRunEvent, maskRunReport, maskTaskReport } from './report-masking.js';

describe('report masking: the data, never converge’s words', () => {
  // A vaulted var whose text is a word converge itself uses.
  secret('changed');
  secret('failed');
  const row: TaskReport = {
    host: 'web1',
    play: 'site',
    task: 'write changed config',
    module: 'copy',
    status: 'changed',
    changes: [{ path: 'content', before: 'stopped', after: 'changed' }],
    message: 'the command changed',
    output: 'changed',
    code: 'CONVERGE_APPLY',
    result: { stdout: 'changed\n', rc: 0 },
    durationMs: 1,
  };

  it('keeps status, module, code and change paths; masks names, messages, values and output', () => {
    const m = maskTaskReport(row);
    expect(m).toMatchObject({ host: 'web1', module: 'copy', status: 'changed', code: 'CONVERGE_APPLY' });
    expect(m.task).toBe(`write ${SECRET_MASK} config`);
    expect(m.message).toBe(`the command ${SECRET_MASK}`);
    expect(m.output).toBe(SECRET_MASK);
    expect(m.changes).toEqual([{ path: 'content', before: 'stopped', after: SECRET_MASK }]);
    expect(m.result).toEqual({ stdout: SECRET_MASK, rc: 0 });
  });

  it('keeps event types and summary keys', () => {
    const report = maskRunReport({ summary: { web1: { ok: 1, changed: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0, rescued: 0 } }, tasks: [row], stats: {}, check: true, stopped: [{ host: 'web1', play: 'site', reason: 'a host failed' }] });
    expect(report.tasks[0]?.status).toBe('changed');
    expect(report.stopped?.[0]?.reason).toBe(`a host ${SECRET_MASK}`);
    expect(maskRunEvent({ type: 'task-result', report: row })).toMatchObject({ type: 'task-result', report: { status: 'changed' } });
    expect(maskRunEvent({ type: 'warning', message: 'changed' })).toEqual({ type: 'warning', message: SECRET_MASK });
  });
});
