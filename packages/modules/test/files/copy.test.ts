import { join } from 'node:path';
import { lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { secret, SECRET_MASK } from '@converge/core';
import { planModule } from '@converge/core/testing';
import type { PrepareContext } from '@converge/core';
import { copy, template } from '../../src/files.js';
import { convergeLocally, fileFact, runSteps, tempDir, writeBytes } from './edit-harness.js';

const facts = (p: Record<string, unknown>) => ({ dest: { path: p.dest as string, contentUnlessSha256: 'x' } });

describe('copy', () => {
  it('C-15 plans the creation of a new file exactly (state, content, mode)', () => {
    const r = planModule(copy, { params: { dest: '/etc/motd', content: 'hi\n', mode: '0640' }, facts: { dest: fileFact(null, { path: '/etc/motd' }) } });
    expect(r.changes).toEqual([
      { path: 'state', before: 'absent', after: 'file' },
      { path: 'content', before: null, after: 'sha256:98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4' },
      { path: 'mode', before: null, after: '0640' },
    ]);
    expect(r.diffs).toEqual([{ path: '/etc/motd', before: '', after: 'hi\n' }]);
    expect(r.commands).toHaveLength(1);
  });

  it('reports no change, with a reason, when the sha256 and attributes match', () => {
    const f = fileFact('hi\n', { path: '/etc/motd', mode: '0664' });
    if (f.target) f.target.sha256 = '98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4';
    const r = planModule(copy, { params: { dest: '/etc/motd', content: 'hi\n' }, facts: { dest: f } });
    expect(r.changes).toEqual([]);
    expect(r.reason).toMatch(/already/);
  });

  it('refuses both content and src, and neither', () => {
    expect(() => planModule(copy, { params: { dest: '/x', content: 'a', src: 'b' }, facts: { dest: fileFact(null) } })).toThrow(/exactly one/);
    expect(() => planModule(copy, { params: { dest: '/x' }, facts: { dest: fileFact(null) } })).toThrow(/exactly one/);
  });

  it('refuses a directory as dest', () => {
    expect(() => planModule(copy, { params: { dest: '/etc', content: 'a' }, facts: { dest: { path: '/etc', type: 'directory', parentExists: true } } })).toThrow(/directory/);
  });

  it('C-16 secret content: changes show the mask and the diff masks every line', () => {
    const r = planModule(copy, { params: { dest: '/etc/key', content: secret('line-one-secret\nline-two-secret\n') }, facts: { dest: fileFact('old-secret-text\n', { path: '/etc/key' }) } });
    const shown = JSON.stringify({ c: r.changes, d: r.diffs });
    expect(shown).not.toContain('secret');
    expect(r.changes).toContainEqual({ path: 'content', before: SECRET_MASK, after: SECRET_MASK });
  });

  it.each([
    ['C-07 content ending with a newline', 'x = 1\n'],
    ['C-07 content without a final newline', 'x = 1'],
    ['C-07 content with two final newlines', 'x = 1\n\n'],
    ['C-11 special characters', `"q" 'q' $HOME \\ \t end \n`],
  ])('%s is written byte for byte, and a second run changes nothing', async (_n, content) => {
    const { dir, cleanup } = tempDir();
    try {
      const dest = join(dir, 'f');
      const run = await convergeLocally(copy, { dest, content }, facts);
      expect(run.apply.exitCode).toBe(0);
      expect(readFileSync(dest, 'utf8')).toBe(content);
      expect(statSync(dest).mode & 0o7777).toBe(0o644);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('C-13 replacing a 0664 file without a mode keeps 0664', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dest = join(dir, 'f');
      writeBytes(dest, 'old\n', 0o664);
      const run = await convergeLocally(copy, { dest, content: 'new\n' }, facts);
      expect(run.first.changes.map((c) => c.path)).toEqual(['content']);
      expect(readFileSync(dest, 'utf8')).toBe('new\n');
      expect(statSync(dest).mode & 0o7777).toBe(0o664);
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('C-14 every spelling of 0644 converges to the same file with no second change', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dest = join(dir, 'f');
      writeBytes(dest, 'a\n', 0o600);
      for (const mode of ['0644', '644', 0o644, 420, 'u=rw,g=r,o=r']) {
        const run = await convergeLocally(copy, { dest, content: 'a\n', mode }, facts);
        expect(statSync(dest).mode & 0o7777).toBe(0o644);
        expect(run.second.changes).toEqual([]);
      }
    } finally {
      cleanup();
    }
  });

  it('validate keeps the old file when the check fails', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dest = join(dir, 'f');
      writeBytes(dest, 'good\n');
      const r = planModule(copy, { params: { dest, content: 'bad\n', validate: "grep -q good %s" }, facts: { dest: fileFact('good\n', { path: dest }) } });
      const out = await runSteps(r.commands);
      expect(out.exitCode).not.toBe(0);
      expect(out.stderr).toMatch(/validation failed/);
      expect(readFileSync(dest, 'utf8')).toBe('good\n');
    } finally {
      cleanup();
    }
  });

  it('follow false replaces a symlink dest by a file (Ansible); follow true writes the target', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeBytes(join(dir, 'real'), 'a\n');
      symlinkSync('real', join(dir, 'l1'));
      symlinkSync('real', join(dir, 'l2'));
      const r1 = await convergeLocally(copy, { dest: join(dir, 'l1'), content: 'b\n' }, facts);
      expect(r1.first.changes[0]).toEqual({ path: 'state', before: 'link', after: 'file' });
      expect(lstatSync(join(dir, 'l1')).isSymbolicLink()).toBe(false);
      expect(readFileSync(join(dir, 'real'), 'utf8')).toBe('a\n');
      const r2 = await convergeLocally(copy, { dest: join(dir, 'l2'), content: 'c\n', follow: true }, facts);
      expect(lstatSync(join(dir, 'l2')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, 'real'), 'utf8')).toBe('c\n');
      expect(r1.second.changes).toEqual([]);
      expect(r2.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('prepare reads src from the files search path; non-UTF-8 bytes travel as base64', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeBytes(join(dir, 'bin'), '');
      const bytes = new Uint8Array([0, 255, 10, 128]);
      const ctx = fakeCtx(dir, { [join(dir, 'bin')]: bytes, [join(dir, 'motd')]: new TextEncoder().encode('hello\n') });
      const prepare = copy.definition.prepare;
      expect(await prepare?.({ dest: '/x', src: 'motd' }, ctx)).toEqual({ dest: '/x', content: 'hello\n' });
      const p = await prepare?.({ dest: join(dir, 'out') , src: 'bin' }, ctx);
      expect(p).toEqual({ dest: join(dir, 'out'), content_base64: Buffer.from(bytes).toString('base64') });
      const run = await convergeLocally(copy, p as Record<string, unknown>, facts);
      expect(new Uint8Array(readFileSync(join(dir, 'out')))).toEqual(bytes);
      expect(run.second.changes).toEqual([]);
      await expect(prepare?.({ dest: '/x', src: 'missing' }, ctx)).rejects.toThrow(/not found/);
    } finally {
      cleanup();
    }
  });
});

function fakeCtx(dir: string, files: Record<string, Uint8Array>): PrepareContext {
  return {
    host: { name: 'h', vars: {}, user: 'root', check: false, diff: true },
    baseDir: '/nowhere',
    searchPaths: { files: [dir], templates: [dir] },
    renderTemplate: (source, _file, extra) => source.replace(/\{\{ *(\w+) *\}\}/g, (_m, k: string) => String(extra?.[k] ?? `<${k}>`)),
    readFile: async (path) => {
      const f = files[path];
      if (!f) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return f;
    },
  };
}

describe('template', () => {
  it('C-07 prepare renders with the vars and plan writes exactly the rendered bytes', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const ctx = fakeCtx(dir, { [join(dir, 'app.conf.j2')]: new TextEncoder().encode('name = {{ name }}\n') });
      const dest = join(dir, 'app.conf');
      const p = await template.definition.prepare?.({ src: 'app.conf.j2', dest, vars: { name: 'web' } }, ctx);
      expect(p?.content).toBe('name = web\n');
      const run = await convergeLocally(template, p as Record<string, unknown>, facts);
      expect(readFileSync(dest, 'utf8')).toBe('name = web\n');
      expect(run.second.changes).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
