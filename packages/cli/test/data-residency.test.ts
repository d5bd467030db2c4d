import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

/*
 * The data-residency guard and the empty-inventory warnings, through the command line. Hosts
 * are local (ansible_connection=local): a run that passes the guard changes a file in a
 * temporary directory, a run the guard stops leaves it absent.
 */

const dir = mkdtempSync(join(tmpdir(), 'converge-residency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function playbook(name: string, repositoryEndpoint: string, marker: string): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    [
      "import { definePlaybook, secret } from '@converge/core';",
      "import { copy } from '@converge/modules';",
      "import { restic } from '@converge/restic-backup';",
      'export default definePlaybook([{',
      "  name: 'backups', hosts: 'all',",
      '  tasks: [',
      `    copy({ dest: ${JSON.stringify(marker)}, content: 'ran\\n' }),`,
      "    restic.repository({ name: 'offsite', password: secret('repo-password'), location: { type: 's3', endpoint: " +
        JSON.stringify(repositoryEndpoint) +
        ", region: 'x', bucket: 'acme-backups', access_key_id: 'a', secret_access_key: secret('s3-secret') } }),",
      '  ],',
      '}]);',
    ].join('\n'),
  );
  return file;
}

function inventory(name: string, lines: string, allVars?: string): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'group_vars'), { recursive: true });
  writeFileSync(join(d, 'hosts'), lines);
  if (allVars) writeFileSync(join(d, 'group_vars', 'all.yml'), allVars);
  return d;
}

describe('data residency through the command line', () => {
  it('stops a run whose backup repository is in Beauharnois (Canada) before any host is contacted', async () => {
    const marker = join(dir, 'bhs-marker');
    const inv = inventory('bhs', 'db1 ansible_connection=local region=GRA11 provider=ovhcloud\n', 'dataResidency: eu\n');
    const r = await cli(['-i', inv, playbook('bhs', 'https://s3.bhs.io.cloud.ovh.net', marker), '--state-dir', join(dir, 'state')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('[CONVERGE_RESIDENCY] data residency "eu": 1 violation; no host was contacted');
    expect(r.stderr).toContain('- [endpoint] task "restic.repository offsite" (restic.repository) on db1 sends backup data to https://s3.bhs.io.cloud.ovh.net, in Canada (OVHcloud Beauharnois), outside the EU');
    expect(existsSync(marker)).toBe(false);
  });

  it('stops a run on a host in UK1 given --data-residency eu, and runs the same playbook in Gravelines', async () => {
    const marker = join(dir, 'uk-marker');
    const pb = playbook('uk', 'https://s3.gra.io.cloud.ovh.net', marker);
    const uk = inventory('uk', 'lon1 ansible_connection=local region=UK1\n');
    const stopped = await cli(['-i', uk, pb, '--check', '--data-residency', 'eu', '--state-dir', join(dir, 'state')]);
    expect(stopped.code).toBe(4);
    expect(stopped.stderr).toContain('- [host-region] host lon1: region UK1 is in United Kingdom (OVHcloud London), outside the EU');
    // without the flag nothing is checked
    const gra = inventory('gra', 'gra1 ansible_connection=local region=GRA11\n');
    const ok = await cli(['-i', gra, pb, '--check', '--data-residency', 'eu', '--state-dir', join(dir, 'state')]);
    expect(ok.stderr).not.toContain('CONVERGE_RESIDENCY');
    expect(ok.stdout).toContain('gra1');
  });

  it('fails closed on an unknown region, and accepts it declared by hand', async () => {
    const pb = playbook('onprem', 'https://backup.example.net', join(dir, 'onprem-marker'));
    const unknown = inventory('onprem-unknown', 'dc1 ansible_connection=local region=paris-dc\n', 'dataResidency: eu\n');
    const r = await cli(['-i', unknown, pb, '--check', '--state-dir', join(dir, 'state')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('[unknown-region] host dc1: region paris-dc is in no region list converge has');
    expect(r.stderr).toContain('[unknown-endpoint] task "restic.repository offsite" (restic.repository) on dc1 sends backup data to https://backup.example.net: converge cannot tell where backup.example.net is');
    const declared = inventory('onprem-declared', 'dc1 ansible_connection=local region=paris-dc\n', 'dataResidency: eu\ndataResidencyRegions:\n  paris-dc: FR\ndataResidencyEndpoints:\n  backup.example.net: DE\n');
    const ok = await cli(['-i', declared, pb, '--check', '--state-dir', join(dir, 'state')]);
    expect(ok.stderr).not.toContain('CONVERGE_RESIDENCY');
  });
});

describe('warnings for inventories and plays that match nothing', () => {
  it('names an inventory path that yields no hosts, and the pattern of a play that matches none', async () => {
    const d = join(dir, 'local-inv');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'hosts.ini'), '[web]\nweb1 ansible_connection=local\n');
    const pb = join(dir, 'web.ts');
    writeFileSync(pb, "import { definePlaybook } from '@converge/core';\nexport default definePlaybook([{ name: 'web servers', hosts: 'web', tasks: [] }]);\n");
    const r = await cli(['-i', d, pb, '--state-dir', join(dir, 'state'), '--output', 'json']);
    expect(r.stderr).toContain(`converge: warning: inventory source ${d} yields no hosts; skipped hosts.ini: in an inventory directory, files ending in .ini`);
    expect(r.stderr).toContain('converge: warning: play "web servers": the host pattern "web" matches no host of the inventory');
    const listed = await cli(['inventory', '-i', d, '--list']);
    expect(listed.stderr).toContain('yields no hosts');
  });
});
