// The quickstart, end to end: start three Debian 12 hosts, show what would change, converge
// them (the check must have predicted exactly what the run changes, with nothing left "known
// after apply"), converge again (nothing may change), then ask every host for its page over HTTP.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHosts } from '@converge/testing';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../../packages/cli/bin/converge.js');
const playbook = join(here, 'playbook.ts');

function converge(hosts, args, { capture = false } = {}) {
  const argv = [bin, '-i', hosts.inventoryPath, '--known-hosts', hosts.knownHostsPath, playbook, ...args];
  console.log(`\n$ converge ${argv.slice(1).map((a) => a.replace(here + '/', '')).join(' ')}`);
  const r = spawnSync(process.execPath, argv, { stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`converge exited with ${r.status}`);
  return r.stdout;
}

/** `host<TAB>task` of the rows of an event log (`--log`) with the given status, sorted. */
function rows(log, status) {
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'task-result' && e.report.status === status)
    .map((e) => `${e.report.host}\t${e.report.handler ? 'handler ' : ''}${e.report.task}`)
    .sort();
}

const logs = mkdtempSync(join(tmpdir(), 'converge-quickstart-'));
console.log('quickstart: starting 3 Debian 12 hosts (systemd + sshd in containers)');
const hosts = await startHosts(3, { prefix: 'web', groups: { web: ['web1', 'web2', 'web3'] } });
let failed = false;
try {
  converge(hosts, ['--check', '--diff', '--log', join(logs, 'check.jsonl')]);
  converge(hosts, ['--log', join(logs, 'run.jsonl')]);
  const predicted = rows(join(logs, 'check.jsonl'), 'changed');
  const unknown = rows(join(logs, 'check.jsonl'), 'unknown');
  const made = rows(join(logs, 'run.jsonl'), 'changed');
  if (unknown.length > 0) throw new Error(`--check left changes known after apply: ${JSON.stringify(unknown)}`);
  if (JSON.stringify(predicted) !== JSON.stringify(made)) throw new Error(`--check predicted other changes than the run made:\n  predicted: ${JSON.stringify(predicted)}\n  made:      ${JSON.stringify(made)}`);
  console.log(`\ncheck == run: ${predicted.length} changes predicted, the same ${made.length} made, none known only after apply`);
  const second = JSON.parse(converge(hosts, ['--output', 'json'], { capture: true }));
  for (const [host, s] of Object.entries(second.summary)) {
    console.log(`second run: ${host} ok=${s.ok} changed=${s.changed} failed=${s.failed} (${second.stats[host].roundTrips} round trips)`);
    if (s.changed !== 0 || s.failed !== 0 || s.unreachable !== 0) throw new Error(`second run on ${host} was not a no-op`);
  }
  for (const h of hosts.hosts) {
    const res = await fetch(`http://${h.address}:8080/`);
    const body = await res.text();
    if (!res.ok || !body.includes(`Hello from ${h.name}`)) throw new Error(`${h.name}: unexpected HTTP answer ${res.status}: ${body}`);
    console.log(`http://${h.address}:8080/ -> ${res.status} "${body.match(/<p>(.*)<\/p>/)?.[1]}"`);
  }
  console.log('\nquickstart: OK — converged 3 hosts; the second run changed nothing.');
} catch (e) {
  failed = true;
  console.error(`\nquickstart: FAILED: ${e.message}`);
} finally {
  await hosts.stop();
  rmSync(logs, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
