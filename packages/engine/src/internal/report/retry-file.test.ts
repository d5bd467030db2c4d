import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptySummary, type RunReport } from './report.js';
import { retryFilePath, retryHosts, writeRetryFile } from './retry-file.js';

const report = (rows: Record<string, Partial<ReturnType<typeof emptySummary>>>, stopped: RunReport['stopped'] = undefined): RunReport => ({
  summary: Object.fromEntries(Object.entries(rows).map(([h, s]) => [h, { ...emptySummary(), ...s }])),
  tasks: [],
  stats: {},
  check: false,
  ...(stopped ? { stopped } : {}),
});

describe('retry file', () => {
  it('is named after the playbook, as Ansible names it', () => {
    expect(retryFilePath('/x/.converge', '/x/site.ts')).toBe('/x/.converge/site.retry');
    expect(retryFilePath('/s', 'deploy.web.ts')).toBe('/s/deploy.web.retry');
  });

  it('lists failed, unreachable and stopped hosts, sorted, one per line, mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-retry-'));
    const r = report({ web2: { failed: 1 }, web1: { ok: 3 }, db1: { unreachable: 1 }, web3: { ok: 1 } }, [{ host: 'web3', play: 'p', reason: 'anyErrorsFatal: web2 failed' }]);
    expect(retryHosts(r)).toEqual(['db1', 'web2', 'web3']);
    const path = await writeRetryFile(dir, join(dir, 'site.ts'), r);
    expect(path).toBe(join(dir, 'site.retry'));
    expect(readFileSync(path as string, 'utf8')).toBe('db1\nweb2\nweb3\n');
    expect(statSync(path as string).mode & 0o777).toBe(0o600);
  });

  it('is not written when every host is fine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-retry-'));
    expect(await writeRetryFile(dir, join(dir, 'site.ts'), report({ web1: { ok: 1, ignored: 1 } }))).toBeUndefined();
    expect(existsSync(join(dir, 'site.retry'))).toBe(false);
  });
});
