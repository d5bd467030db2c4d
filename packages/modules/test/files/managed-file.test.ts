// defineManagedFile: a file a module owns whole, from recorded facts ({ model, state } -> changes,
// write) and for real on this machine (probe, plan, apply, probe, plan).
import { join } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSecret, secret, SECRET_MASK, sh } from '@converge/core';
import { defineManagedFile, sha256Hex } from '../../src/files.js';
import type { FileState } from '../../src/files.js';
import { fileFact, probe, runSteps, tempDir, writeBytes } from './edit-harness.js';

interface Conf {
  path: string;
  text: string;
  port?: number;
}

let renders = 0;
const confFile = defineManagedFile<Conf>({
  path: (c) => c.path,
  render: (c) => {
    renders++;
    return c.text;
  },
  mode: '0640',
  validate: 'grep -q ^ok %s',
  reload: (c) => (c.port === undefined ? undefined : { change: { path: 'service', before: 'running', after: 'reloaded' }, steps: [{ script: sh`echo reload ${String(c.port)}`, description: 'reload' }] }),
});
const context = { module: 'test.conf', upstreamChanged: false };
const withSha = (state: FileState): FileState => (state.target ? { ...state, target: { ...state.target, sha256: sha256Hex(Buffer.from(state.target.content ?? '', 'latin1')) } } : state);

describe('defineManagedFile: plan from recorded facts', () => {
  it('a new file: state, content and attributes as copy reports them, the diff, and the write', () => {
    const c = { path: '/etc/app.conf', text: 'ok\n' };
    const r = confFile.plan(c, fileFact(null, { path: c.path }), context);
    expect(r.changes).toEqual([
      { path: 'state', before: 'absent', after: 'file' },
      { path: 'content', before: null, after: `sha256:${sha256Hex('ok\n')}` },
      { path: 'mode', before: null, after: '0640' },
    ]);
    expect(r.diffs).toEqual([{ path: '/etc/app.conf', before: '', after: 'ok\n' }]);
    expect(r).toMatchObject({ write: { content: true, mode: '0640' }, contentChanged: true });
  });

  it('renders once per model object, and asks the host only for the sha256 of plain text', () => {
    const c = { path: '/etc/app.conf', text: 'ok\n' };
    const before = renders;
    expect(confFile.fact(c).args).toEqual({ path: '/etc/app.conf', contentUnlessSha256: sha256Hex('ok\n') });
    confFile.plan(c, fileFact(null, { path: c.path }), context);
    confFile.apply(c, { content: true });
    expect(renders - before).toBe(1);
  });

  it('in place: no change and a reason; only attributes: fixed in place, no write', () => {
    const c = { path: '/etc/app.conf', text: 'ok\n' };
    expect(confFile.plan(c, withSha(fileFact('ok\n', { path: c.path, mode: '0640' })), context)).toEqual({
      changes: [],
      diffs: [],
      contentChanged: false,
      reason: '/etc/app.conf already has this content and these attributes',
    });
    const r = confFile.plan(c, withSha(fileFact('ok\n', { path: c.path, mode: '0644' })), context);
    expect(r.changes).toEqual([{ path: 'mode', before: '0644', after: '0640' }]);
    expect(r.contentChanged).toBe(false);
    const steps = confFile.apply(c, r.write!);
    expect(steps).toHaveLength(1);
    expect(String(steps[0]?.script)).toMatch(/^chmod +-- 00640 \/etc\/app\.conf$/);
  });

  it('a Secret: compared on the controller (no hash of it in the fact), masked in changes and diffs', () => {
    const file = defineManagedFile<string>({ path: '/etc/app.key', render: (text) => secret(text) });
    expect(file.fact('key-one\n').args).toEqual({ path: '/etc/app.key', content: true });
    const r = file.plan('key-two\nsame\n', fileFact('key-one\nsame\n', { path: '/etc/app.key' }), context);
    expect(r.changes).toEqual([{ path: 'content', before: SECRET_MASK, after: SECRET_MASK }]);
    expect(r.diffs).toEqual([{ path: '/etc/app.key', before: `${SECRET_MASK}\n${SECRET_MASK}\n`, after: `${SECRET_MASK}\n${SECRET_MASK}\n` }]);
    expect(isSecret(file.apply('key-two\nsame\n', r.write!)[0]?.stdin)).toBe(true);
  });

  it.each([
    ['changed-lines', 'changed-lines' as const, { before: `a=1\n${SECRET_MASK}\n`, after: `a=1\n${SECRET_MASK}\n` }],
    ['a masking function', { mask: (text: string) => text.replace(/^(pw=).*$/m, `$1${SECRET_MASK}`) }, { before: `a=1\npw=${SECRET_MASK}\n`, after: `a=1\npw=${SECRET_MASK}\n` }],
  ])('secretDiff %s: the diff shows what is not secret', (_name, secretDiff, diff) => {
    const file = defineManagedFile<string>({ path: '/etc/app.conf', render: (text) => secret(text), secretDiff });
    expect(file.plan('a=1\npw=new\n', fileFact('a=1\npw=old\n', { path: '/etc/app.conf' }), context).diffs).toEqual([{ path: '/etc/app.conf', ...diff }]);
  });

  it('changes: a module reports the difference in its own words; label prefixes the default report', () => {
    const perPath = defineManagedFile<string>({ path: '/etc/a', render: (t) => t, changes: (d) => (d.content ? [{ ...d.content, path: d.path }] : []) });
    expect(perPath.plan('x\n', fileFact(null, { path: '/etc/a' }), context).changes).toEqual([{ path: '/etc/a', before: null, after: `sha256:${sha256Hex('x\n')}` }]);
    expect(confFile.plan({ path: '/etc/a', text: 'ok\n' }, fileFact(null, { path: '/etc/a' }), { ...context, label: 'files.a' }).changes.map((c) => c.path)).toEqual([
      'files.a.state',
      'files.a.content',
      'files.a.mode',
    ]);
  });

  it('reload: reported and run after a change; after a dependency changed, the live file is validated first', () => {
    const c = { path: '/etc/app.conf', text: 'ok\n', port: 80 };
    const changed = confFile.plan(c, withSha(fileFact('old\n', { path: c.path, mode: '0640' })), context);
    expect(changed.changes.map((x) => x.path)).toEqual(['content', 'service']);
    expect(confFile.apply(c, changed.write!).map((s) => s.description)).toEqual(['write /etc/app.conf', 'reload']);
    const same = withSha(fileFact('ok\n', { path: c.path, mode: '0640' }));
    expect(confFile.plan(c, same, context).write).toBeUndefined();
    const dependency = confFile.plan(c, same, { ...context, dependencyChanged: true });
    expect(dependency.changes).toEqual([{ path: 'service', before: 'running', after: 'reloaded' }]);
    const steps = confFile.apply(c, dependency.write!).map((s) => String(s.script));
    expect(steps[0]).toContain('out=$(grep -q ^ok /etc/app.conf 2>&1) ||');
    expect(steps[1]).toBe('echo reload 80');
  });

  it('a file that must not exist (render gives null) is removed, with the diff of what it held', () => {
    const dropIn = defineManagedFile<string | null>({ path: '/etc/app.d/x.conf', render: (text) => text });
    expect(dropIn.fact(null).args).toEqual({ path: '/etc/app.d/x.conf', content: true });
    expect(dropIn.plan(null, fileFact(null, { path: '/etc/app.d/x.conf' }), context)).toMatchObject({ changes: [], reason: '/etc/app.d/x.conf is absent' });
    const r = dropIn.plan(null, fileFact('old\n', { path: '/etc/app.d/x.conf' }), { ...context, label: 'drop_in' });
    expect(r.changes).toEqual([{ path: 'drop_in.state', before: 'file', after: 'absent' }]);
    expect(r.diffs).toEqual([{ path: '/etc/app.d/x.conf', before: 'old\n', after: '' }]);
    expect(dropIn.apply(null, r.write!).map((s) => [String(s.script), s.description])).toEqual([['rm -f -- /etc/app.d/x.conf', 'remove /etc/app.d/x.conf']]);
  });

  it("attributes: 'rewrite' writes the whole file again when only its mode differs", () => {
    const rewritten = defineManagedFile<string>({ path: '/etc/app.conf', render: (text) => text, mode: '0600', attributes: 'rewrite' });
    const r = rewritten.plan('ok\n', withSha(fileFact('ok\n', { path: '/etc/app.conf', mode: '0644' })), context);
    expect(r.changes).toEqual([{ path: 'mode', before: '0644', after: '0600' }]);
    expect(r.write).toEqual({ content: true, mode: '0600' });
    expect(rewritten.apply('ok\n', r.write!).map((s) => s.description)).toEqual(['write /etc/app.conf']);
  });

  it('refuses a directory, and a missing directory unless the task or an earlier one makes it', () => {
    const c = { path: '/etc/app/app.conf', text: 'ok\n' };
    expect(() => confFile.plan(c, { path: c.path, type: 'directory', parentExists: true }, context)).toThrow(/test\.conf: dest \/etc\/app\/app\.conf is a directory/);
    const orphan: FileState = { path: c.path, type: 'absent', parentExists: false };
    expect(() => confFile.plan(c, orphan, context)).toThrow(/the directory of \/etc\/app\/app\.conf does not exist/);
    expect(confFile.plan(c, orphan, { ...context, parentCreated: true }).write?.content).toBe(true);
    expect(confFile.plan(c, orphan, { ...context, upstreamChanged: true }).write?.content).toBe(true);
  });
});

describe('defineManagedFile: for real, on this machine', () => {
  it('writes, validates, and a second run changes nothing; a file the validation refuses keeps the old one', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'app.conf');
      writeBytes(path, 'ok old\n', 0o600);
      const plan = async (c: Conf) => confFile.plan(c, await probe(confFile.fact(c).args as { path: string }), context);
      const good = { path, text: 'ok new\n' };
      const first = await plan(good);
      expect(await runSteps(confFile.apply(good, first.write!))).toEqual({ exitCode: 0, stderr: '' });
      expect(readFileSync(path, 'utf8')).toBe('ok new\n');
      expect(statSync(path).mode & 0o7777).toBe(0o640);
      expect((await plan(good)).changes).toEqual([]);

      const bad = { path, text: 'not ok\n' };
      const refused = await runSteps(confFile.apply(bad, (await plan(bad)).write!));
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('validation failed (grep -q ^ok %s), the file was not changed');
      expect(readFileSync(path, 'utf8')).toBe('ok new\n');
    } finally {
      cleanup();
    }
  });
});
