/**
 * The magic variables a template sees, compared with ansible-core 2.14: one ansible-playbook run
 * over a small inventory (connection local, nested groups, a group whose own host comes after its
 * children's, an ungrouped host, serial batches)
 * renders a template of them for every host from a role task and from a play task; converge's
 * engine runs the same play on the same inventory through the real LocalTransport, and the same
 * template must render the same bytes for every host and task.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalTransport, definePlaybook, defineRole } from '@converge/core';
import { parseIniInventory } from '@converge/inventory';
import { renderTemplate } from '@converge/template';
import { runPlaybook } from '../run/run-playbook.js';
import { textFile } from '../../testing.js';

const INVENTORY = `solo.example.test

[web]
web2.example.test
web1.example.test

[db]
db1.example.test

[canary]
web1.example.test

[web:children]
canary

[app:children]
web
db

[app]
app0.example.test

[all:vars]
ansible_connection=local
ansible_python_interpreter=/usr/bin/python3
`;

const TEMPLATE = `{{ inventory_hostname }} {{ inventory_hostname_short }} {{ group_names }}
groups: {{ groups }}
play: {{ ansible_play_hosts }} batch: {{ ansible_play_batch }} {{ play_hosts }}
check: {{ ansible_check_mode }} version: {{ ansible_version }} {{ ansible_version.full is version('2.12', '>=') }}
playbook_dir: {{ playbook_dir }} role_path: {{ role_path | default('(no role)') }}
omit: {{ omit is match('__omit_place_holder__[0-9a-f]{40}$') }}
{% for h in groups['all'] %}{{ h }}: {{ hostvars[h].group_names }} {{ hostvars[h].inventory_hostname_short }} {{ hostvars[h]['inventory_hostname'] }} {{ hostvars[h].ansible_version.major }}
{% endfor %}`;

// The template lookup renders on the controller with the task's variables, as the template action
// does, without running a module per host; a lookup next to the playbook writes the result.
const WRITE = (name: string) => `- {name: ${name}, debug: {msg: "{{ lookup('write_file', playbook_dir ~ '/ansible/${name}-' ~ inventory_hostname ~ '.txt', lookup('template', 'magic.j2')) }}"}}\n`;
const WRITE_LOOKUP = `from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        with open(terms[0], 'w', encoding='utf-8') as f:
            f.write(terms[1])
        return ['']
`;
const PLAYBOOK = `- hosts: all
  serial: 2
  gather_facts: false
  roles: [probe]
  tasks:
    ${WRITE('play')}`;

const hasAnsible = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0;

describe.skipIf(!hasAnsible && process.env.CI === undefined)('magic variables in templates, as ansible-core 2.14 gives them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'converge-magic-vars-'));
  const hosts = ['solo.example.test', 'web2.example.test', 'web1.example.test', 'db1.example.test', 'app0.example.test'];

  beforeAll(async () => {
    if (!hasAnsible) throw new Error('ansible-playbook is not on PATH but CI is set: the Ansible comparison cannot run');
    for (const d of ['ansible', 'converge', 'lookup_plugins', 'templates', 'roles/probe/tasks', 'roles/probe/templates']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'inventory.ini'), INVENTORY);
    writeFileSync(join(dir, 'templates/magic.j2'), TEMPLATE);
    writeFileSync(join(dir, 'roles/probe/templates/magic.j2'), TEMPLATE);
    writeFileSync(join(dir, 'roles/probe/tasks/main.yml'), WRITE('role'));
    writeFileSync(join(dir, 'lookup_plugins/write_file.py'), WRITE_LOOKUP);
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
    const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(dir, '.ansible/tmp'), ANSIBLE_RETRY_FILES_ENABLED: 'false', ANSIBLE_CONFIG: join(dir, 'none.cfg') };
    try {
      await promisify(execFile)('ansible-playbook', ['-i', 'inventory.ini', 'site.yml'], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      const out = e as { stdout?: string; stderr?: string };
      throw new Error(`ansible-playbook failed:\n${String(out.stdout ?? e).slice(-4000)}\n${out.stderr ?? ''}`);
    }

    const render = (c: { vars: Readonly<Record<string, unknown>> }) => renderTemplate(TEMPLATE, c.vars as Record<string, unknown>, { file: 'magic.j2' });
    const probe = defineRole({
      name: 'probe',
      baseDir: join(dir, 'roles/probe'),
      tasks: [textFile((c) => ({ path: join(dir, `converge/role-${String(c.vars.inventory_hostname)}.txt`), content: render(c) }))],
    });
    const report = await runPlaybook({
      playbook: definePlaybook({ name: 'magic', hosts: 'all', serial: 2, roles: [probe], tasks: [textFile((c) => ({ path: join(dir, `converge/play-${String(c.vars.inventory_hostname)}.txt`), content: render(c) }))] }),
      playbookPath: join(dir, 'site.ts'),
      inventory: parseIniInventory(INVENTORY, join(dir, 'inventory.ini')),
      transport: (spec) => new LocalTransport(spec.host),
    });
    expect(Object.values(report.summary).every((s) => s.failed === 0)).toBe(true);
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(hosts.flatMap((h) => [`role-${h}`, `play-${h}`]))('%s renders as in Ansible', (name) => {
    const ansible = readFileSync(join(dir, `ansible/${name}.txt`), 'utf8');
    expect(readFileSync(join(dir, `converge/${name}.txt`), 'utf8')).toBe(ansible);
  });
});
