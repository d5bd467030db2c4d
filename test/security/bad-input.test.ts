import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLinesFile } from '@converge/cli';
import { isConvergeError } from '@converge/core';
import { loadInventory, parseYamlInventory } from '@converge/inventory';
import { parseYamlVars } from '@converge/template';
import { parseExtraVars } from '../../packages/cli/src/extra-vars.js';

const dir = mkdtempSync(join(tmpdir(), 'converge-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A "billion laughs" document: nine levels of nine aliases, 9^9 strings once expanded. */
function laughs(top: string): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const p = names[i - 1] as string;
    lines.push(`${names[i]}: &${names[i]} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
  }
  lines.push(`${top}: *i`);
  return `${lines.join('\n')}\n`;
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { code: isConvergeError(e) ? e.code : 'not a ConvergeError', message: (e as Error).message };
  }
  throw new Error('expected an error');
}

describe('YAML alias expansion is bounded (billion laughs)', () => {
  it('refuses it in a YAML inventory with a clear error, quickly', () => {
    const started = Date.now();
    const f = codeOf(() => parseYamlInventory(`all:\n  vars:\n${laughs('boom').replace(/^/gm, '    ')}`, 'inv.yml'));
    expect(f.code).toBe('CONVERGE_INVENTORY');
    expect(f.message).toMatch(/expands aliases more than 10000 times/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses it in group_vars and in vars files', async () => {
    const inv = join(dir, 'inv');
    mkdirSync(join(inv, 'group_vars'), { recursive: true });
    writeFileSync(join(inv, 'hosts.ini'), 'web1\n');
    writeFileSync(join(inv, 'group_vars', 'all.yml'), laughs('boom'));
    const e = await loadInventory(inv).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e && isConvergeError(e) ? e.code : e).toBe('CONVERGE_INVENTORY');
    expect(e?.message).toMatch(/expands aliases more than 10000 times/);
    expect(() => parseYamlVars(laughs('boom'))).toThrow(/expands aliases more than 10000 times/);
  });

  it('refuses it in -e @file', () => {
    const file = join(dir, 'extra.yml');
    writeFileSync(file, laughs('boom'));
    const f = codeOf(() => parseExtraVars([`@${file}`]));
    expect(f.code, f.message).toBe('CONVERGE_VARS');
    expect(f.message).toMatch(/expands aliases more than 10000 times/);
  });

  it('still reads ordinary anchors and aliases', () => {
    expect(parseYamlVars('base: &b {port: 80}\nweb: *b\napi: *b\n')).toEqual({ base: { port: 80 }, web: { port: 80 }, api: { port: 80 } });
  });
});

describe('--log and --audit-log accept regular files only, and fail fast', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [what, path] of [
    ['a file in /proc', '/proc/self/status'],
    ['a /proc symlink to a descriptor', '/proc/self/fd/1'],
    ['a device', '/dev/null'],
    ['a FIFO without a reader', fifo],
  ] as const) {
    it(`refuses ${what}`, () => {
      const started = Date.now();
      const f = codeOf(() => JsonLinesFile.open(path));
      expect(f.code).toBe('CONVERGE_OPTIONS');
      expect(f.message).toMatch(/regular files only/);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  }

  it('refuses a directory, and opens a regular file', () => {
    expect(codeOf(() => JsonLinesFile.open(dir)).code).toMatch(/CONVERGE_/);
    const log = JsonLinesFile.open(join(dir, 'ok', 'events.jsonl'));
    log.append({ type: 'x' });
    log.close();
  });
});
