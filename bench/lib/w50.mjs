// Workload W50 for both tools: per host, 10 x {directory 0755, file from inline content 0644,
// template with three variables 0644, a line in a separate file (created if missing), a command
// guarded by `creates`} = 50 tasks, under the host's `w50_root` (inventory var).

/** The Jinja2 template both tools render (host name, a port, a joined list). */
export const TEMPLATE = 'host={{ inventory_hostname }}\nport={{ port }}\npeers={{ peers | join(",") }}\n';

/** Play vars both tools use. */
export const PLAY_VARS = { port: 8080, peers: ['a', 'b', 'c'] };

/** The converge playbook (TypeScript, loaded by the CLI with jiti). */
export const CONVERGE_PLAYBOOK = `import { definePlaybook, type Task } from '@converge/core';
import { command, copy, file, lineinfile, template } from '@converge/modules';

// Workload W50 (see bench/README.md): the host's w50_root comes from the inventory.
type Ctx = { vars: Record<string, unknown> };
const tasks: Task[] = [];
for (let i = 0; i < 10; i++) {
  const d = (h: Ctx) => \`\${String(h.vars.w50_root)}/app\${i}\`;
  tasks.push(
    file((h: Ctx) => ({ path: d(h), state: 'directory', mode: '0755' })),
    copy((h: Ctx) => ({ dest: \`\${d(h)}/motd\`, content: \`app \${i}\\n\`, mode: '0644' })),
    template((h: Ctx) => ({ src: 'app.conf.j2', dest: \`\${d(h)}/app.conf\`, mode: '0644' })),
    lineinfile((h: Ctx) => ({ path: \`\${d(h)}/settings\`, line: \`instance=\${i}\`, create: true })),
    command((h: Ctx) => ({ cmd: \`touch \${d(h)}/initialised\`, creates: \`\${d(h)}/initialised\` })),
  );
}

export default definePlaybook({ name: 'W50', hosts: 'all', vars: ${JSON.stringify(PLAY_VARS)}, tasks });
`;

/** The equivalent Ansible playbook: 50 explicit tasks (no loops), builtin modules. */
export function ansiblePlaybook() {
  const t = [];
  for (let i = 0; i < 10; i++) {
    const d = `{{ w50_root }}/app${i}`;
    t.push(
      `    - name: directory app${i}\n      ansible.builtin.file: { path: "${d}", state: directory, mode: "0755" }`,
      `    - name: motd app${i}\n      ansible.builtin.copy: { dest: "${d}/motd", content: "app ${i}\\n", mode: "0644" }`,
      `    - name: app.conf app${i}\n      ansible.builtin.template: { src: app.conf.j2, dest: "${d}/app.conf", mode: "0644" }`,
      `    - name: settings app${i}\n      ansible.builtin.lineinfile: { path: "${d}/settings", line: "instance=${i}", create: true }`,
      `    - name: initialise app${i}\n      ansible.builtin.command: { cmd: "touch ${d}/initialised", creates: "${d}/initialised" }`,
    );
  }
  return `- name: W50
  hosts: all
  gather_facts: false
  vars:
    port: ${PLAY_VARS.port}
    peers: [${PLAY_VARS.peers.join(', ')}]
  tasks:
${t.join('\n')}
`;
}

/** Every path W50 manages under `root`, for the floor's probes. */
export function managedPaths(root) {
  const out = [];
  for (let i = 0; i < 10; i++) {
    const d = `${root}/app${i}`;
    out.push({ path: d, kind: 'dir' }, { path: `${d}/motd`, kind: 'file' }, { path: `${d}/app.conf`, kind: 'file' }, { path: `${d}/settings`, kind: 'file' }, { path: `${d}/initialised`, kind: 'file' });
  }
  return out;
}

/** The hand edits of phase 3: five managed files per host. */
export function handEdits(root) {
  return [
    `echo tampered > ${root}/app0/motd`,
    `echo tampered > ${root}/app1/app.conf`,
    `sed -i d ${root}/app2/settings`,
    `printf 'app 3\\nextra\\n' > ${root}/app3/motd`,
    `sed -i s/8080/9090/ ${root}/app4/app.conf`,
  ].join('; ');
}
