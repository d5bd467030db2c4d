// A temporary working directory for one benchmark: the converge playbook (with the workspace's
// packages linked in node_modules so that the playbook's imports resolve), the Ansible
// playbook and ansible.cfg, the shared template and the inventory both tools read.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERGE_PLAYBOOK, TEMPLATE, ansiblePlaybook } from './w50.mjs';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(REPO, 'packages/cli/bin/converge.js');

/** The CLI of a converge checkout (this one by default, or another built one: `--baseline`). */
export const cliOf = (repo = REPO) => join(repo, 'packages/cli/bin/converge.js');

/**
 * Creates the directory and returns its paths. `hosts` are `{ name, address, port, vars? }`;
 * every host also gets `w50_root` (default /srv/w50); `allVars` go to `[all:vars]`. The playbook's
 * `@converge/*` imports resolve to the packages of `repo` (this checkout by default).
 */
export function makeWorkspace({ hosts, privateKeyPath, knownHostsPath, forks, root = '/srv/w50', user = 'root', prefix = 'converge-bench-', allVars = {}, repo = REPO }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules/@converge'), { recursive: true });
  for (const p of ['core', 'modules']) symlinkSync(join(repo, 'packages', p), join(dir, 'node_modules/@converge', p));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates/app.conf.j2'), TEMPLATE);
  writeFileSync(join(dir, 'playbook.ts'), CONVERGE_PLAYBOOK);
  writeFileSync(join(dir, 'site.yml'), ansiblePlaybook());
  const lines = hosts.map(
    (h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port} w50_root=${h.root ?? root}`,
  );
  writeFileSync(
    join(dir, 'inventory.ini'),
    `${lines.join('\n')}\n\n[all:vars]\nansible_user=${user}\nansible_ssh_private_key_file=${privateKeyPath}\n${Object.entries(allVars).map(([k, v]) => `${k}=${v}\n`).join('')}`,
  );
  mkdirSync(join(dir, 'ansible-cp'));
  writeFileSync(
    join(dir, 'ansible.cfg'),
    `[defaults]
inventory = ${join(dir, 'inventory.ini')}
forks = ${forks}
host_key_checking = True
interpreter_python = /usr/bin/python3
retry_files_enabled = False
local_tmp = ${join(dir, 'ansible-local')}
nocows = True

[ssh_connection]
pipelining = True
control_path_dir = ${join(dir, 'ansible-cp')}
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHostsPath} -o StrictHostKeyChecking=yes
`,
  );
  return {
    dir,
    inventory: join(dir, 'inventory.ini'),
    playbook: join(dir, 'playbook.ts'),
    ansiblePlaybook: join(dir, 'site.yml'),
    ansibleCfg: join(dir, 'ansible.cfg'),
    knownHostsPath,
    privateKeyPath,
  };
}
