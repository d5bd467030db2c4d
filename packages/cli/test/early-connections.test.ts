import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedHosts } from '../../ssh/test/simulated-hosts.js';
import type { SimulatedHosts } from '../../ssh/test/simulated-hosts.js';

// The connections a run opens while its playbook loads (the hosts the last run of the same
// playbook reached), counted on the server side: the simulated hosts' SSH server reports every
// login and every exec request.

const bin = join(import.meta.dirname, '..', 'bin', 'converge.js');
const HOSTS = 3;
let sim: SimulatedHosts;
let dir: string;

const playbook = (extra = '') => `import { definePlaybook } from '@converge/core';
import { file } from '@converge/modules';
type Ctx = { vars: Record<string, unknown> };
// ${extra}
export default definePlaybook({
  name: 'early',
  hosts: 'all',
  tasks: [file((h: Ctx) => ({ path: String(h.vars.w50_root), state: 'directory', mode: String(h.vars.dir_mode ?? '0755') }))],
});
`;

function converge(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '-i', join(dir, 'inventory.ini'), join(dir, 'playbook.ts'), '--known-hosts', sim.knownHostsFile, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CONVERGE_CACHE_DIR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const changed = (stdout: string) => Object.values(JSON.parse(stdout).summary as Record<string, { changed: number }>).map((s) => s.changed);
const warm = () => join(dir, '.converge', 'warm-hosts.json');

beforeAll(async () => {
  sim = await startSimulatedHosts(HOSTS, { prefix: 'e' });
  dir = mkdtempSync(join(tmpdir(), 'converge-early-test-'));
  writeFileSync(join(dir, 'inventory.ini'), sim.inventory());
  writeFileSync(join(dir, 'playbook.ts'), playbook());
});

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connections opened while the playbook loads', () => {
  it('the next run of the same playbook connects each host once, early, and the run uses that connection', async () => {
    const first = await converge(['--output', 'json']);
    expect(first.code, first.stderr).toBe(0);
    expect(changed(first.stdout)).toEqual([1, 1, 1]);
    expect(JSON.parse(readFileSync(warm(), 'utf8')).hosts.sort()).toEqual(sim.hosts.map((h) => h.name).sort());

    const before = sim.counts();
    const again = await converge(['--output', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(changed(again.stdout)).toEqual([0, 0, 0]);
    expect(Object.values(JSON.parse(again.stdout).stats as Record<string, { roundTrips: number }>).map((s) => s.roundTrips)).toEqual([1, 1, 1]);
    // One login and one login shell per host: the early connection was the run's.
    expect(sim.counts()).toEqual({ logins: before.logins + HOSTS, execs: before.execs + HOSTS });
  });

  it('a run that fails validation after connecting early changes nothing on the hosts and says why, before any task', async () => {
    const before = sim.counts();
    const r = await converge(['-e', 'dir_mode=bogus']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/CONVERGE_PARAMS|mode/);
    // Connected early (the playbook's bytes did not change): a login and a login shell per host,
    // and nothing else; the hosts' directories keep their mode.
    expect(sim.counts()).toEqual({ logins: before.logins + HOSTS, execs: before.execs + HOSTS });
    for (const h of sim.hosts) expect(statSync(h.root).mode & 0o777).toBe(0o755);
  });

  it('a changed playbook connects only once it is loaded and validated', async () => {
    writeFileSync(join(dir, 'playbook.ts'), playbook('changed'));
    const before = sim.counts();
    const r = await converge(['-e', 'dir_mode=bogus']);
    expect(r.code).toBe(4);
    expect(sim.counts()).toEqual(before);
  });
});
