import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainVar } from '@converge/cli';
import { loadInventory } from '@converge/inventory';
import { parseExtraVars } from '@converge/cli';
import { ansibleEnv, converge, findAnsible, run } from './oracle.js';

/*
 * Variable precedence compared with Ansible: for every inventory under test/fixtures/precedence/
 * (an inventory file, group_vars/, host_vars/, and case.json naming the vars to compare, the play
 * vars and the -e arguments), one generated playbook with a `debug: var=X` task per var runs ONCE
 * per inventory with the json callback; for every host and var the value converge computes
 * (explainVar, whose value is taskVars'; a template string is compared rendered) must equal Ansible's.
 */

interface Case {
  vars: string[];
  playVars?: Record<string, unknown>;
  extraVars?: string[];
}

const FIXTURES = resolve(import.meta.dirname, '../fixtures/precedence');
const ansiblePlaybook = findAnsible('ansible-playbook');
const env = ansibleEnv();
const fixtures = readdirSync(FIXTURES).filter((n) => statSync(join(FIXTURES, n)).isDirectory()).sort();
const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

function inventoryFile(dir: string): string {
  const f = readdirSync(dir).find((n) => n.startsWith('inventory.'));
  if (!f) throw new Error(`${dir} has no inventory.* file`);
  return join(dir, f);
}

function extraArgs(dir: string, c: Case): string[] {
  return (c.extraVars ?? []).map((e) => (e.startsWith('@') ? `@${join(dir, e.slice(1))}` : e));
}

type AnsibleValues = Record<string, Record<string, unknown>>;

/**
 * Runs the generated playbook once; returns host -> var -> value (NOT_DEFINED when undefined).
 * Each host writes its values as JSON with ansible-core's own `copy` module and `to_json` filter:
 * the `json` stdout callback is not part of ansible-core (it ships in the ansible.posix collection).
 */
async function ansibleValues(dir: string, c: Case): Promise<AnsibleValues> {
  const work = mkdtempSync(join(tmpdir(), 'converge-precedence-'));
  const entries = c.vars.map((v) => `${JSON.stringify(v)}: ((${v}) if (${v}) is defined else ${JSON.stringify(NOT_DEFINED)})`);
  const copy = { content: `{{ {${entries.join(', ')}} | to_json }}`, dest: `${work}/{{ inventory_hostname }}.json` };
  const play = { hosts: 'all', gather_facts: false, connection: 'local', vars: c.playVars ?? {}, tasks: [{ name: 'values', copy }] };
  writeFileSync(join(work, 'playbook.yml'), JSON.stringify([play], null, 2));
  const args = ['-i', inventoryFile(dir), join(work, 'playbook.yml')];
  for (const e of extraArgs(dir, c)) args.push('-e', e);
  await run(ansiblePlaybook as string, args, { env, cwd: work, maxBuffer: 64 * 1024 * 1024 });
  const out: AnsibleValues = {};
  for (const f of readdirSync(work).filter((n) => n.endsWith('.json'))) out[f.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(work, f), 'utf8')) as Record<string, unknown>;
  return out;
}

describe('variable precedence is the same as Ansible', () => {
  it('has ansible-playbook on PATH (required in CI) and at least 15 inventories', (ctx) => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    if (!ansiblePlaybook) {
      if (process.env['CI']) throw new Error('ansible-playbook is not on PATH; CI must install ansible-core 2.14');
      ctx.skip();
    }
  });

  // One ansible-playbook per inventory, several at a time: Ansible's start-up dominates.
  describe.skipIf(!ansiblePlaybook)('every host sees every var as Ansible does', () => {
    it.concurrent.for(fixtures)('%s', async (name, { expect }) => {
      const dir = join(FIXTURES, name);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
      const expected = await ansibleValues(dir, c);
      const inventory = await loadInventory(inventoryFile(dir));
      const extraVars = parseExtraVars(extraArgs(dir, c));
      expect(Object.keys(expected).sort()).toEqual([...inventory.hosts.keys()].sort());
      const actual: AnsibleValues = {};
      for (const host of inventory.hosts.keys()) {
        for (const v of c.vars) {
          const ex = explainVar({ inventory, host, name: v, extraVars, ...(c.playVars ? { playVars: c.playVars } : {}) });
          (actual[host] ??= {})[v] = !ex.defined ? NOT_DEFINED : ex.rendered?.ok ? ex.rendered.value : ex.value;
          if (ex.defined) expect(ex.sources.filter((s) => s.winner).map((s) => s.value)).toEqual([ex.value]);
        }
      }
      expect(actual).toEqual(expected);
    });
  });
});

describe('converge explain', () => {
  it('prints the value and every source with the winner marked', async () => {
    const dir = join(FIXTURES, '05-host-vars-files');
    const r = await converge(['explain', '-i', inventoryFile(dir), 'app1', 'level', '-e', 'unrelated=1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('app1: level = "host-vars-file"');
    expect(lines.slice(2).map((l) => l.replace(/ \[.*\]/, ''))).toEqual([
      '    inventory group "app": "inventory-group"',
      '    group_vars of "app": "group-vars-file"',
      '    inventory host "app1": "inventory-host"',
      '  * host_vars of "app1": "host-vars-file"',
    ]);
    expect(lines[3]).toContain('group_vars/app.yml');
    expect(lines[5]).toContain('host_vars/app1.yml');
  });

  it('shows play vars from a playbook and extra vars on top', async () => {
    const dir = join(FIXTURES, '08-play-vars');
    const work = mkdtempSync(join(tmpdir(), 'converge-explain-'));
    const pb = join(work, 'playbook.ts');
    writeFileSync(pb, `import { definePlaybook } from '@converge/core';\nexport default definePlaybook({ name: 'web', hosts: 'web', vars: { http_port: 8080 }, tasks: [] });\n`);
    const r = await converge(['explain', '-i', inventoryFile(dir), 'web1', 'http_port', '--playbook', pb, '-e', 'http_port=9']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('web1: http_port = "9"');
    expect(r.stdout).toMatch(/ {4}play vars \(web\): 8080\n {2}\* extra vars \(-e\): "9"/);
    const json = JSON.parse((await converge(['explain', '-i', inventoryFile(dir), 'web1', 'http_port', '--json'])).stdout) as { value: unknown; sources: { kind: string; winner: boolean }[] };
    expect(json.value).toBe(81);
    expect(json.sources.map((s) => [s.kind, s.winner])).toEqual([['inventory-group', false], ['inventory-host', true]]);
  });

  it('shows a templated value rendered, and a cycle as an error', async () => {
    const inv = inventoryFile(join(FIXTURES, '18-templated-vars'));
    const r = await converge(['explain', '-i', inv, 'web1', 'url', '-e', 'app_name=store']);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['web1: url = "{{ scheme }}://{{ inventory_hostname }}:{{ port }}/{{ app_path }}"', '  rendered: "http://web1:8443/store/v1"']);
    const cycle = await converge(['explain', '-i', inv, 'web1', 'a', '-e', '{"a": "{{ b }}", "b": "x{{ a }}"}']);
    expect(cycle.code).toBe(0);
    expect(cycle.stdout).toMatch(/cannot be rendered: .*(recursive|cycle|loop)/i);
  });

  it('says when a var is not defined, and refuses an unknown host', async () => {
    const inv = inventoryFile(join(FIXTURES, '01-group-depth'));
    expect((await converge(['explain', '-i', inv, 'web1', 'nope'])).stdout).toBe('web1: nope is not defined\n');
    expect((await converge(['explain', '-i', inv, 'ghost', 'depth'])).code).toBe(5);
  });

  it('masks secrets', async () => {
    const { maskValue, secret } = await import('@converge/core');
    const inv = await loadInventory(inventoryFile(join(FIXTURES, '01-group-depth')));
    const ex = explainVar({ inventory: inv, host: 'web1', name: 'pw', extraVars: { pw: secret('hunter2-secret') } });
    expect(JSON.stringify(maskValue(ex))).not.toContain('hunter2');
  });
});
