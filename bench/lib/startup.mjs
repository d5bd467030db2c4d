// CLI start-up, warm (jiti's transpile cache filled by a first run): medians of `node -e 0`,
// `converge --version`, the W50 playbook on an empty inventory, and the W50 playbook on one host
// whose port refuses connections (CLI start to first host contact: inventory, playbook, params
// validated for every task, ssh2 loaded, one connect attempt). Wall time and CPU time (user +
// sys) of each; the runs are interleaved so that a change in the machine's load hits all alike.
import { rmSync } from 'node:fs';
import { measure } from './measure.mjs';
import { CLI, makeWorkspace } from './workspace.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * Measures `runs` rounds and resolves with medians in ms: `{ nodeEmptyMs, versionMs, emptyRunMs,
 * firstContactMs, playbookLoadMs, cpu: { nodeEmptyMs, versionMs, emptyRunMs, firstContactMs,
 * playbookLoadMs } }`. `playbookLoadMs` is the empty-inventory run minus `--version`.
 */
export async function startup(runs, node = process.execPath) {
  const empty = makeWorkspace({ hosts: [], privateKeyPath: '/dev/null', knownHostsPath: '/dev/null', forks: 1 });
  // Port 1 on loopback refuses at once: converge does not retry a refused connection.
  const refused = makeWorkspace({ hosts: [{ name: 'refused1', address: '127.0.0.1', port: 1 }], privateKeyPath: '/dev/null', knownHostsPath: '/dev/null', forks: 1 });
  const cmds = {
    nodeEmptyMs: ['-e', '0'],
    versionMs: [CLI, '--version'],
    emptyRunMs: [CLI, '-i', empty.inventory, empty.playbook, '--output', 'json'],
    firstContactMs: [CLI, '-i', refused.inventory, refused.playbook, '--output', 'json', '--known-hosts', '/dev/null'],
  };
  await measure(node, cmds.emptyRunMs); // fills jiti's cache
  await measure(node, cmds.firstContactMs);
  const wall = {};
  const cpu = {};
  for (let i = 0; i < runs; i++) {
    for (const [k, args] of Object.entries(cmds)) {
      const r = await measure(node, args);
      (wall[k] ??= []).push(r.wallMs);
      (cpu[k] ??= []).push(r.cpuMs);
    }
  }
  rmSync(empty.dir, { recursive: true, force: true });
  rmSync(refused.dir, { recursive: true, force: true });
  const pick = (m) => {
    const r = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
    return { ...r, playbookLoadMs: r.emptyRunMs - r.versionMs };
  };
  return { ...pick(wall), cpu: pick(cpu), runs };
}
