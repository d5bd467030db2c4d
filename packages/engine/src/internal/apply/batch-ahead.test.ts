import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConvergeError } from '@converge/core';
import { defineFact } from '@converge/core';
import { defineModule, type Task } from '@converge/core';
import { sh } from '@converge/core';
import { play, runLocal } from '../../testing.js';

// How a real run saves round trips without planning from guesses: a task writing into a
// directory made earlier in the same script is planned from the fact's `afterNewDirectories` hint,
// and the facts an apply makes stale are probed again at the end of the apply's own script.
// Runs on this controller through the real LocalTransport (a framed /bin/sh).

interface PathKind {
  kind: 'absent' | 'file' | 'directory';
  parentExists: boolean;
  text?: string;
}

let probes = 0;

const pathKindFact = {
  name: 'test.path_kind',
  command: ({ path }: { path: string }) =>
    sh`if [ -d ${path} ]; then echo directory; elif [ -f ${path} ]; then echo file; cat -- ${path}; else echo absent; fi; [ -d "$(dirname -- ${path})" ] && echo parent >&2; true`,
  parse: (out: string, { stderr }: { stderr: string }): PathKind => {
    probes += 1;
    const [kind, ...rest] = out.split('\n');
    return { kind: kind as PathKind['kind'], parentExists: stderr.includes('parent'), ...(kind === 'file' ? { text: rest.join('\n') } : {}) };
  },
  resources: ({ path }: { path: string }) => [path],
};
const afterNewDirectories = (value: PathKind, { path, hook }: { path: string; hook: boolean }, dirs: readonly string[]): PathKind | undefined => {
  if (!hook || value.kind !== 'absent' || dirs.includes(path) || !path.startsWith(`${dirs[0]}/`)) return undefined;
  return dirs.includes(dirname(path)) ? { ...value, parentExists: true } : value;
};

/** What is at a path, with a file's text; knows its value after new directories are made above it (a probe hint). */
const pathKind = defineFact<{ path: string; hook: boolean }, PathKind>(pathKindFact, { afterNewDirectories });
/** The same with the deprecated field of the definition. */
const pathKindDeprecated = defineFact<{ path: string; hook: boolean }, PathKind>({ ...pathKindFact, name: 'test.path_kind_deprecated', afterNewDirectories });

const mkdir = defineModule({
  name: 'test.mkdir',
  description: 'A directory whose parent exists.',
  params: Type.Object({ path: Type.String(), hook: Type.Optional(Type.Boolean()), fail: Type.Optional(Type.Boolean()), deprecated: Type.Optional(Type.Boolean()) }),
  facts: (p) => ({ at: (p.deprecated ? pathKindDeprecated : pathKind)({ path: p.path, hook: p.hook ?? true }) }),
  plan: ({ params, facts }) => {
    if (facts.at.kind === 'directory') return { changes: [] };
    const changes = [{ path: 'state', before: facts.at.kind, after: 'directory' }];
    return params.deprecated ? { changes, newDirectories: [params.path] } : { changes, hints: { newDirectories: [params.path] } };
  },
  apply: ({ params }) => [{ script: params.fail ? 'exit 5' : sh`mkdir -- ${params.path}`, description: 'make the directory' }],
  resources: (p) => [p.path],
});

const put = defineModule({
  name: 'test.put',
  description: 'A file with this text, in an existing directory.',
  params: Type.Object({ path: Type.String(), text: Type.String(), hook: Type.Optional(Type.Boolean()), deprecated: Type.Optional(Type.Boolean()) }),
  facts: (p) => ({ at: (p.deprecated ? pathKindDeprecated : pathKind)({ path: p.path, hook: p.hook ?? true }) }),
  plan: ({ params, facts, upstreamChanged }) => {
    if (facts.at.kind === 'file' && facts.at.text === params.text) return { changes: [] };
    // Check mode plans from the facts before the run: an earlier task may make the directory.
    if (!facts.at.parentExists && !upstreamChanged) throw new ConvergeError('CONVERGE_PLAN', `the directory of ${params.path} does not exist`);
    return { changes: [{ path: 'text', before: facts.at.text ?? null, after: params.text }] };
  },
  apply: ({ params }) => [{ script: sh`printf %s ${params.text} > ${params.path}` }],
  resources: (p) => [p.path],
});

/** Runs a script that may write anywhere (resources `*`); with `fail`, its second step fails after the first wrote. */
const script = defineModule({
  name: 'test.script',
  description: 'Run a shell script.',
  params: Type.Object({ cmd: Type.String(), fail: Type.Optional(Type.Boolean()) }),
  plan: ({ params }) => ({ changes: [{ path: 'run', before: null, after: params.cmd }] }),
  apply: ({ params }) => [{ script: params.cmd }, ...(params.fail ? [{ script: 'exit 4', description: 'fail on purpose' }] : [])],
  verify: false,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-ahead-'));
  probes = 0;
});

async function run(tasks: Task[], check = false) {
  return (await runLocal(play(tasks), { dir, check })).report;
}

const statuses = (r: Awaited<ReturnType<typeof run>>) => r.tasks.map((t) => `${t.status} ${t.task}`);

describe('round trips of a real run', () => {
  it('runs files into directories made in the same script: probe, one apply, verify', async () => {
    const tasks = ['a', 'b'].flatMap((d) => [mkdir({ path: join(dir, d) }), put({ path: join(dir, d, 'x'), text: `in ${d}` }), put({ path: join(dir, d, 'y'), text: 'y' })]);
    const check = await run(tasks, true);
    const first = await run(tasks);
    expect(statuses(first)).toEqual(statuses(check));
    expect(first.summary.local1).toMatchObject({ changed: 6, failed: 0 });
    expect(readFileSync(join(dir, 'b', 'x'), 'utf8')).toBe('in b');
    expect(first.stats.local1?.roundTrips).toBe(3);
    const second = await run(tasks);
    expect(second.summary.local1).toMatchObject({ ok: 6, changed: 0 });
    expect(second.stats.local1?.roundTrips).toBe(1);
  });

  it('takes the deprecated fields (Plan.newDirectories, FactDefinition.afterNewDirectories) as the hints', async () => {
    const deprecated = true;
    const tasks = ['a', 'b'].flatMap((d) => [mkdir({ path: join(dir, d), deprecated }), put({ path: join(dir, d, 'x'), text: `in ${d}`, deprecated }), put({ path: join(dir, d, 'y'), text: 'y', deprecated })]);
    const first = await run(tasks);
    expect(first.summary.local1).toMatchObject({ changed: 6, failed: 0 });
    expect(readFileSync(join(dir, 'b', 'x'), 'utf8')).toBe('in b');
    expect(first.stats.local1?.roundTrips).toBe(3);
  });

  it('probes again, in the apply script, a fact that cannot tell its value after the new directory', async () => {
    const tasks = [mkdir({ path: join(dir, 'a') }), put({ path: join(dir, 'a', 'x'), text: 'x', hook: false })];
    const first = await run(tasks);
    expect(first.summary.local1).toMatchObject({ changed: 2, failed: 0 });
    // probe; mkdir with the re-probe of x at its end; put; verify
    expect(first.stats.local1?.roundTrips).toBe(4);
    expect(readFileSync(join(dir, 'a', 'x'), 'utf8')).toBe('x');
  });

  it('plans the task after a write-anywhere script from facts probed after the script ran', async () => {
    const target = join(dir, 'made-by-script');
    const tasks = [script({ cmd: `printf done > ${target}` }), put({ path: target, text: 'done' })];
    const first = await run(tasks);
    // The script made the file with the wanted text: put finds nothing to do.
    expect(statuses(first)).toEqual([`changed test.script printf done > ${target}`, `ok test.put ${target}`]);
    expect(first.stats.local1?.roundTrips).toBe(2);
  });

  it('does not plan from the probe of a script that stopped at a failed step whose error is ignored', async () => {
    const target = join(dir, 'half');
    const tasks = [
      script({ cmd: `printf half > ${target}`, fail: true }, { ignoreErrors: true }),
      put({ path: target, text: 'half' }),
      put({ path: join(dir, 'after'), text: 'after' }),
    ];
    const first = await run(tasks);
    expect(first.summary.local1).toMatchObject({ ignored: 1, failed: 0, changed: 1 });
    // The first step wrote before the second failed: put sees it, from a probe of its own.
    expect(statuses(first).slice(1)).toEqual([`ok test.put ${target}`, `changed test.put ${join(dir, 'after')}`]);
    // probe; the script (its probe at the end never ran); probe again; put; verify
    expect(first.stats.local1?.roundTrips).toBe(5);
  });

  it('stops at a directory that failed: the task planned into it in the same script does not run', async () => {
    const tasks = [mkdir({ path: join(dir, 'a'), fail: true }), put({ path: join(dir, 'a', 'x'), text: 'x' }), put({ path: join(dir, 'y'), text: 'y' })];
    const first = await run(tasks);
    expect(statuses(first)).toEqual([`failed test.mkdir ${join(dir, 'a')}`]);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(existsSync(join(dir, 'y'))).toBe(false);
  });

  it('probes at the end of a script only the facts that no task before theirs may write again', async () => {
    const target = join(dir, 'late');
    // failedWhen ends each script's batch, as a command's outcome does.
    const own = { failedWhen: () => false };
    const tasks = [script({ cmd: 'true' }, own), script({ cmd: 'true' }, own), script({ cmd: 'true' }, own), put({ path: target, text: 'late' })];
    const first = await run(tasks);
    expect(first.summary.local1).toMatchObject({ changed: 4, failed: 0 });
    // probe; three scripts, the last ending with the re-probe of the file; put; verify
    expect(first.stats.local1?.roundTrips).toBe(6);
    // The file is read by the first probe, after the last script and by verify: not after every script.
    expect(probes).toBe(3);
  });
});
