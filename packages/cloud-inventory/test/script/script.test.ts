import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentHosts, runInventoryScript } from '../../src/script/script.js';
import { isInventoryScript } from '../../src/script/script-file.js';
import { tempDir } from '../support/source.js';

const dir = tempDir('converge-script-');
function script(name: string, body: string, mode = 0o755): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

describe('inventory scripts', () => {
  it('are executable files', async () => {
    expect(await isInventoryScript(script('x.sh', 'echo {}'))).toBe(true);
    expect(await isInventoryScript(script('y.sh', 'echo {}', 0o644))).toBe(false);
    expect(await isInventoryScript(dir)).toBe(false);
  });

  it('use _meta.hostvars when --list gives it, and ask --host for each host otherwise', async () => {
    const withMeta = script('meta.sh', `[ "$1" = --list ] && echo '{"g": ["a"], "_meta": {"hostvars": {"a": {"x": 1}}}}' || exit 9`);
    expect(await runInventoryScript(withMeta)).toEqual({ g: ['a'], _meta: { hostvars: { a: { x: 1 } } } });
    const log = join(dir, 'calls');
    const asked = script('host.sh', `echo "$*" >> ${log}; [ "$1" = --list ] && echo '{"g": {"hosts": ["a", "b"]}, "h": {"v": 1}}' || echo "{\\"me\\": \\"$2\\"}"`);
    const doc = await runInventoryScript(asked);
    expect(doc._meta.hostvars).toEqual({ a: { me: 'a' }, b: { me: 'b' }, h: { me: 'h' } });
  });

  it.each([
    ['fails.sh', 'echo "cannot reach the CMDB" >&2; exit 3', /inventory script .*fails.sh --list exited with 3/],
    ['text.sh', 'echo "[web]"', /--list did not print JSON/],
    ['list.sh', "echo '[1, 2]'", /must print a JSON mapping of groups/],
    ['badvars.sh', `[ "$1" = --list ] && echo '{"g": ["a"]}' || echo '[1]'`, /--host a must print a JSON mapping of vars/],
  ])('%s is refused with what went wrong', async (name, body, message) => {
    const e = await runInventoryScript(script(name, body)).then(
      () => undefined,
      (x: unknown) => x as Error & { code: string; detail?: string },
    );
    expect(e?.code).toBe('CONVERGE_INVENTORY');
    expect(e?.message).toMatch(message);
    if (name === 'fails.sh') expect(e?.detail).toBe('cannot reach the CMDB');
  });

  it('collects hosts as Ansible does: lists, hosts keys, and a group of vars only is one host', () => {
    expect(documentHosts({ a: ['h1'], b: { hosts: ['h2'], vars: {} }, c: { x: 1 }, d: { children: ['a'] }, _meta: {} })).toEqual(['h1', 'h2', 'c']);
  });
});
