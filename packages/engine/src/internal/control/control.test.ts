import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { beforeEach, describe, expect, it } from 'vitest';
import { block } from '@converge/core';
import { defineModule, type RegisteredResult } from '@converge/core';
import type { Play, TaskListItem } from '@converge/core';
import { isSecret, reveal, secret, secretText, type Secret } from '@converge/core';
import { OrSecret } from '@converge/core';
import { sh } from '@converge/core';
import { command, fileText, play, rendered, runLocal, textFile, type LocalRunOptions } from '../../testing.js';

// Task-level playbook semantics (loops, register, until/retries, blocks, task vars, host facts)
// run through the real LocalTransport (a framed /bin/sh) with the engine's test fixtures.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-control-'));
});

const run = (plays: Play | Play[], options: Partial<LocalRunOptions> = {}) => runLocal(plays, { dir, ...options });
const rows = (r: Awaited<ReturnType<typeof run>>) => r.report.tasks.map((t) => `${t.status} ${t.task}`);
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('loops', () => {
  it('runs one row per item, named with its label; params and when see the item', async () => {
    const users = [
      { name: 'ann', shell: 'bash' },
      { name: 'bob', shell: 'zsh' },
      { name: 'cy', shell: 'sh' },
    ];
    const task = textFile((c) => ({ path: join(dir, c.item.name), content: `${c.item.shell} ${String(c.vars.user?.constructor === Object)} ${String(c.vars.i)}\n` }), {
      name: 'home',
      loop: users,
      loopControl: { label: (u) => u.name, loopVar: 'user', indexVar: 'i' },
      when: (c) => c.item.name !== 'cy',
    });
    const r = await run(play([task]));
    expect(rows(r)).toEqual(['changed home (item=ann)', 'changed home (item=bob)', 'skipped home (item=cy)']);
    expect(r.report.tasks.map((t) => t.item)).toEqual(['ann', 'bob', 'cy']);
    expect(read('ann')).toBe('bash true 0\n');
    expect(read('bob')).toBe('zsh true 1\n');
    expect(existsSync(join(dir, 'cy'))).toBe(false);
    // The items touch different files: one probe, one apply for both, one verify.
    expect(r.report.stats.local1?.roundTrips).toBe(3);
    const again = await run(play([task]));
    expect(rows(again)).toEqual(['ok home (item=ann)', 'ok home (item=bob)', 'skipped home (item=cy)']);
    expect(again.report.stats.local1?.roundTrips).toBe(1);
  });

  it('labels items by their value by default, and masks secrets in labels', async () => {
    const pw = secret('loop-canary-secret');
    const r = await run(
      play([
        textFile((c) => ({ path: join(dir, String(c.item)), content: 'x' }), { loop: ['a', 'b'] }),
        textFile((c) => ({ path: join(dir, 'pw'), content: (c.item as { pw: { reveal(): string } }).pw.reveal() }), { name: 'pw', loop: [{ user: 'u', pw }] }),
        textFile({ path: join(dir, 'lbl'), content: 'x' }, { name: 'labelled', loop: ['loop-canary-secret'], loopControl: { label: (x) => `pw=${x}` } }),
      ]),
    );
    expect(r.report.tasks.map((t) => t.task)).toEqual(['test.text_file (item=a)', 'test.text_file (item=b)', 'pw (item={"user":"u","pw":"********"})', 'labelled (item=pw=********)']);
    expect(JSON.stringify(r.events)).not.toContain('loop-canary-secret');
    expect(read('pw')).toBe('loop-canary-secret');
  });

  it('runs every item even when one fails, then stops the host', async () => {
    const r = await run(
      play([
        command((c) => ({ cmd: `echo ${String(c.item)} >> ${join(dir, 'log')}; [ ${String(c.item)} != 2 ]` }), { name: 'each', loop: [1, 2, 3] }),
        textFile({ path: join(dir, 'after'), content: 'x' }),
      ]),
    );
    expect(rows(r)).toEqual(['changed each (item=1)', 'failed each (item=2)', 'changed each (item=3)']);
    expect(read('log')).toBe('1\n2\n3\n');
    expect(existsSync(join(dir, 'after'))).toBe(false);
    expect(r.report.summary.local1).toMatchObject({ failed: 1, changed: 2 });
  });

  it('reports an empty loop as one skipped row', async () => {
    const r = await run(play([textFile({ path: join(dir, 'x'), content: 'x' }, { name: 'none', loop: [] })]));
    expect(rows(r)).toEqual(['skipped none']);
  });
});

describe('register', () => {
  it("gives later tasks a command's result: params, when, ctx.vars and templates", async () => {
    const r = await run(
      play([
        command({ cmd: 'echo hello; echo warn >&2' }, { name: 'greet', register: 'greeting' }),
        textFile((c) => ({ path: join(dir, 'out'), content: c.registered('greeting')?.stdout ?? 'none' }), { name: 'write', when: (c) => c.registered('greeting')?.rc === 0 }),
        textFile((c) => ({ path: join(dir, 'lines'), content: JSON.stringify((c.vars.greeting as RegisteredResult).stderr_lines) }), { name: 'vars' }),
        rendered({ path: join(dir, 'tpl'), source: '{{ greeting.stdout | trim }} rc={{ greeting.rc }} changed={{ greeting.changed }}\n' }),
      ]),
    );
    expect(r.report.summary.local1).toMatchObject({ failed: 0 });
    expect(read('out')).toBe('hello\n');
    expect(read('lines')).toBe('["warn"]');
    expect(read('tpl')).toBe('hello rc=0 changed=True\n');
  });

  it('registers a loop as results, one per item, with the item', async () => {
    const r = await run(
      play([
        command((c) => ({ cmd: `echo ${String(c.item)}; [ ${String(c.item)} != b ]` }), { loop: ['a', 'b'], register: 'each', ignoreErrors: true }),
        textFile((c) => {
          const e = c.registered('each') as RegisteredResult;
          return { path: join(dir, 'summary'), content: JSON.stringify({ changed: e.changed, failed: e.failed, items: e.results?.map((x) => [x.item, x.rc, x.failed]) }) };
        }),
      ]),
    );
    expect(JSON.parse(read('summary'))).toEqual({ changed: true, failed: true, items: [['a', 0, false], ['b', 1, true]] });
    expect(r.report.summary.local1).toMatchObject({ failed: 0, ignored: 1 });
  });

  it('keeps batching around a task that reads a registered result', async () => {
    const tasks = [
      textFile({ path: join(dir, 'f1'), content: '1' }),
      textFile({ path: join(dir, 'f2'), content: '2' }),
      command({ cmd: `echo made > ${join(dir, 'made')}; echo v1`, creates: join(dir, 'made') }, { register: 'made' }),
      textFile((c) => ({ path: join(dir, 'f3'), content: String(c.registered('made')?.changed) }), { name: 'reads made' }),
      textFile({ path: join(dir, 'f4'), content: '4' }),
    ];
    const r = await run(play(tasks));
    expect(rows(r).map((x) => x.split(' ')[0])).toEqual(['changed', 'changed', 'changed', 'changed', 'changed']);
    expect(read('f3')).toBe('true');
    // probe; f1+f2+command in one apply; probe of the reading task; it and f4 in one apply; verify.
    expect(r.report.stats.local1?.roundTrips).toBe(5);
    const again = await run(play(tasks));
    expect(again.report.summary.local1).toMatchObject({ changed: 1, failed: 0 });
    expect(read('f3')).toBe('false');
  });

  it('is the predicted result in check mode, and a task that needs output only a run gives says so', async () => {
    const tasks = [
      textFile({ path: join(dir, 'conf'), content: 'v2' }, { register: 'conf' }),
      textFile({ path: join(dir, 'restart'), content: 'yes' }, { name: 'on change', when: (c) => c.registered('conf')?.changed === true }),
      command({ cmd: 'echo 42' }, { register: 'answer' }),
      textFile((c) => ({ path: join(dir, 'answer'), content: c.registered('answer')?.stdout ?? '' }), { name: 'uses output' }),
    ];
    const check = await run(play(tasks), { check: true });
    expect(rows(check)).toEqual([`changed test.text_file ${join(dir, 'conf')}`, 'changed on change', 'changed test.command echo 42', 'skipped uses output']);
    expect(check.report.tasks[3]?.message).toMatch(/check mode: needs the result of "test.command echo 42"/);
    expect(existsSync(join(dir, 'conf'))).toBe(false);
    expect(existsSync(join(dir, 'restart'))).toBe(false);
    const real = await run(play(tasks));
    expect(rows(real).slice(0, 3)).toEqual(rows(check).slice(0, 3));
    expect(read('answer')).toBe('42\n');
    const recheck = await run(play(tasks), { check: true });
    expect(rows(recheck).slice(0, 2)).toEqual([`ok test.text_file ${join(dir, 'conf')}`, 'skipped on change']);
  });

  it('reports a problem found when a waiting task is prepared as its failure, with its location', async () => {
    const r = await run(play([command({ cmd: 'echo x' }, { register: 'out' }), textFile((c) => ({ path: 42 as never, content: c.registered('out')?.stdout ?? '' }), { name: 'bad' })]));
    const bad = r.report.tasks.find((t) => t.task === 'bad');
    expect(bad).toMatchObject({ status: 'failed', code: 'CONVERGE_PARAMS' });
    expect(bad?.message).toMatch(/\/path.*got 42.*\(at .*control\.test\.ts:\d+:\d+\)/s);
  });

  it('refuses a secret turned into text in params, and secretText carries it to the host', async () => {
    const secretFile = defineModule({
      name: 'test.secret_file',
      description: 'Write a whole file whose content may be a Secret.',
      params: Type.Object({ path: Type.String(), content: OrSecret(Type.String()) }),
      facts: (p) => ({ text: fileText({ path: p.path }) }),
      plan: ({ params, facts }) => (facts.text === reveal(params.content) ? { changes: [] } : { changes: [{ path: 'content', before: isSecret(params.content) ? null : facts.text, after: params.content }] }),
      apply: ({ params }) => [{ script: sh`cat > ${params.path}`, stdin: reveal(params.content as string | Secret) }],
      resources: (p) => [p.path],
    });
    const vars = { db_password: secret('canary-mask-5521') };
    const mk = (content: (v: Record<string, unknown>) => unknown, name: string) =>
      secretFile((c) => ({ path: join(dir, name), content: content(c.vars) as string }), { name });
    const plays = (t: TaskListItem[]): Play => play(t, { vars });
    await expect(run(plays([mk((v) => `pw=${v['db_password'] as Secret}`, 'interpolated')]))).rejects.toMatchObject({
      code: 'CONVERGE_PARAMS',
      message: expect.stringMatching(/param "content" holds "\*{8}", a secret turned into text/),
      location: { file: expect.stringContaining('control.test.ts') },
    });
    expect(existsSync(join(dir, 'interpolated'))).toBe(false);
    const good = await run(plays([mk((v) => secretText`pw=${v['db_password']}`, 'built')]));
    expect(good.report.tasks[0]).toMatchObject({ status: 'changed' });
    expect(read('built')).toBe('pw=canary-mask-5521');
    expect(JSON.stringify(good.report)).not.toContain('canary-mask-5521');
  });

  it('still checks static params before contacting any host when only when waits', async () => {
    const tasks = [command({ cmd: 'echo x' }, { register: 'out' }), textFile({ path: 42 as never, content: 'x' }, { name: 'bad', when: (c) => c.registered('out')?.rc === 0 })];
    await expect(run(play(tasks))).rejects.toMatchObject({ code: 'CONVERGE_PARAMS', message: expect.stringMatching(/bad.*\/path/s), location: { file: expect.stringContaining('control.test.ts') } });
  });

  it('refuses a register that is not a variable name', async () => {
    await expect(run(play([command({ cmd: 'true' }, { register: 'my-result' })]))).rejects.toMatchObject({ code: 'CONVERGE_PLAYBOOK', message: expect.stringContaining('my-result') });
  });

  it('keeps registered results for later plays on the same host', async () => {
    await run([play([command({ cmd: 'echo first' }, { register: 'early' })]), play([textFile((c) => ({ path: join(dir, 'late'), content: c.registered('early')?.stdout ?? 'none' }))])]);
    expect(read('late')).toBe('first\n');
  });

  it('waits for a registered result that a template or a param function only tests (is defined, ?.), instead of taking it for missing', async () => {
    const tasks = [
      command({ cmd: 'echo x' }, { register: 'out' }),
      rendered({ path: join(dir, 'tpl'), source: "{{ 'ran' if out is defined else 'not yet' }}" }, { name: 'template' }),
      textFile((c) => ({ path: join(dir, 'fn'), content: c.registered('out') === undefined ? 'not yet' : 'ran' }), { name: 'function' }),
      textFile((c) => ({ path: join(dir, 'var'), content: String(c.vars.out === undefined ? 'not yet' : 'ran') }), { name: 'var' }),
    ];
    const r = await run(play(tasks));
    expect(rows(r)).toEqual(['changed test.command echo x', 'changed template', 'changed function', 'changed var']);
    expect([read('tpl'), read('fn'), read('var')]).toEqual(['ran', 'ran', 'ran']);
  });
});

describe('until, retries and delay', () => {
  const counter = () => `n=$(cat ${join(dir, 'n')} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${join(dir, 'n')}; echo $n`;

  it('runs a task again until its condition holds, and reports the attempts', async () => {
    const r = await run(play([command({ cmd: counter() }, { name: 'wait', until: (res) => res.stdout?.trim() === '3', retries: 5, delay: 0.05, register: 'w' }), textFile((c) => ({ path: join(dir, 'attempts'), content: String(c.registered('w')?.attempts) }))]));
    expect(rows(r)[0]).toBe('changed wait');
    expect(r.report.tasks[0]?.attempts).toBe(3);
    expect(read('attempts')).toBe('3');
    expect(r.events.filter((e) => e.type === 'task-retry')).toHaveLength(2);
    // Retried attempts are not rows of their own.
    expect(r.events.filter((e) => e.type === 'task-result' && e.report.task === 'wait')).toHaveLength(1);
  });

  it('fails after 1 + retries attempts when the condition never holds', async () => {
    const r = await run(play([command({ cmd: counter() }, { name: 'never', until: () => false, retries: 2, delay: 0 }), textFile({ path: join(dir, 'after'), content: 'x' })]));
    expect(r.report.tasks[0]).toMatchObject({ status: 'failed', attempts: 3, message: expect.stringContaining('until condition not met after 3 attempts') });
    expect(read('n')).toBe('3\n');
    expect(existsSync(join(dir, 'after'))).toBe(false);
  });

  it('with retries and no until, retries until the task does not fail; failedWhen composes', async () => {
    const r = await run(play([command({ cmd: counter() }, { name: 'flaky', retries: 4, delay: 0, failedWhen: (res) => Number(res.stdout) < 2 })]));
    expect(r.report.tasks[0]).toMatchObject({ status: 'changed', attempts: 2 });
  });
});

describe('changedWhen, failedWhen and ignoreErrors with register and loops', () => {
  it('registers the result as changedWhen and failedWhen decided it, per item', async () => {
    const r = await run(
      play([
        command((c) => ({ cmd: `echo ${String(c.item)}` }), { loop: ['ok', 'bad'], register: 'r', changedWhen: () => false, failedWhen: (x) => x.stdout?.trim() === 'bad', ignoreErrors: true }),
        textFile((c) => ({ path: join(dir, 'r'), content: JSON.stringify(c.registered('r')?.results?.map((x) => [x.changed, x.failed])) })),
      ]),
    );
    expect(rows(r).slice(0, 2)).toEqual(['ok test.command (item=ok)', 'failed test.command (item=bad)']);
    expect(r.report.tasks[1]?.ignored).toBe(true);
    expect(read('r')).toBe('[[false,false],[false,true]]');
  });
});

describe('blocks', () => {
  it('runs rescue when a block task fails, and always in every case; the host is not failed', async () => {
    const r = await run(
      play([
        block(
          [textFile({ path: join(dir, 'b1'), content: '1' }), command({ cmd: 'exit 4' }, { name: 'breaks', register: 'broke' }), textFile({ path: join(dir, 'b2'), content: '2' })],
          {
            rescue: [textFile((c) => ({ path: join(dir, 'rescued'), content: `rc=${String(c.registered('broke')?.rc)}` }), { name: 'rescue' })],
            always: [textFile({ path: join(dir, 'always'), content: 'a' }, { name: 'always' })],
          },
        ),
        textFile({ path: join(dir, 'after'), content: 'x' }, { name: 'after' }),
      ]),
    );
    expect(rows(r).map((x) => x.replace(dir, 'D'))).toEqual([`changed test.text_file D/b1`, 'failed breaks', 'changed rescue', 'changed always', 'changed after']);
    expect(r.report.tasks[1]?.rescued).toBe(true);
    expect(read('rescued')).toBe('rc=4');
    expect(existsSync(join(dir, 'b2'))).toBe(false);
    expect(r.report.summary.local1).toMatchObject({ failed: 0, rescued: 1, changed: 4 });
  });

  it('gives rescue tasks the failed task and its result, as ansible_failed_task and ansible_failed_result', async () => {
    await run(
      play([
        block([command({ cmd: 'echo oops >&2; exit 3' }, { name: 'breaks' })], {
          rescue: [
            textFile((c) => {
              const r = c.registered('ansible_failed_result');
              const t = c.vars.ansible_failed_task as { name: string };
              return { path: join(dir, 'failed'), content: `${t.name} rc=${String(r?.rc)} ${String(r?.stderr).trim()}` };
            }),
            rendered({ path: join(dir, 'failed-tpl'), source: '{{ ansible_failed_task.name }}: {{ ansible_failed_result.rc }}\n' }),
          ],
        }),
      ]),
    );
    expect(read('failed')).toBe('breaks rc=3 oops');
    expect(read('failed-tpl')).toBe('breaks: 3\n');
  });

  it('fails the host when rescue fails too, after always ran; without rescue, always still runs', async () => {
    const r = await run(
      play([block([command({ cmd: 'exit 1' }, { name: 'breaks' })], { rescue: [command({ cmd: 'exit 2' }, { name: 'rescue breaks' })], always: [textFile({ path: join(dir, 'a1'), content: 'a' })] }), textFile({ path: join(dir, 'after'), content: 'x' })]),
    );
    expect(r.report.summary.local1).toMatchObject({ failed: 2, rescued: 0 });
    expect(existsSync(join(dir, 'a1'))).toBe(true);
    expect(existsSync(join(dir, 'after'))).toBe(false);
    const r2 = await run(play([block([command({ cmd: 'exit 1' }, { name: 'breaks' })], { always: [textFile({ path: join(dir, 'a2'), content: 'a' })] })]));
    expect(r2.report.summary.local1).toMatchObject({ failed: 1 });
    expect(existsSync(join(dir, 'a2'))).toBe(true);
  });

  it('passes when, become, tags and vars to inner tasks, and nests', async () => {
    const inner = block([textFile((c) => ({ path: join(dir, 'nested'), content: `${String(c.vars.level)} ${String(c.vars.outer)}` }))], { vars: { level: 'inner' }, tags: ['deep'] });
    const tasks = [
      block([textFile({ path: join(dir, 'skipped'), content: 'x' }), inner], { when: (c) => c.vars.enable === true, vars: { level: 'outer', outer: 'o' }, rescue: [] }),
      block([textFile((c) => ({ path: join(dir, 'on'), content: String(c.vars.level) })), inner], { when: (c) => c.vars.enable !== true, vars: { level: 'outer', outer: 'o' } }),
    ];
    const r = await run(play(tasks, { vars: { level: 'play', enable: false } }));
    expect(rows(r).map((x) => x.split(' ')[0])).toEqual(['skipped', 'skipped', 'changed', 'changed']);
    expect(read('on')).toBe('outer');
    expect(read('nested')).toBe('inner o');
    const tagged = await run(play(tasks, { vars: { level: 'play', enable: false } }), { tags: ['deep'] });
    expect(tagged.report.tasks).toHaveLength(2);
  });

  it('a rescued failure inside a nested block does not fail the outer block', async () => {
    const r = await run(
      play([block([block([command({ cmd: 'exit 1' }, { name: 'inner breaks' })], { rescue: [textFile({ path: join(dir, 'r'), content: 'r' })] }), textFile({ path: join(dir, 'go'), content: 'on' })], { rescue: [textFile({ path: join(dir, 'outer'), content: 'x' })] })]),
    );
    expect(r.report.summary.local1).toMatchObject({ failed: 0, rescued: 1 });
    expect(existsSync(join(dir, 'go'))).toBe(true);
    expect(existsSync(join(dir, 'outer'))).toBe(false);
  });
});

describe('task vars', () => {
  it('rank above block, role and play vars and below extra vars', async () => {
    const t = (name: string, vars?: Record<string, unknown>) => textFile((c) => ({ path: join(dir, name), content: String(c.vars.v) }), vars ? { vars } : {});
    await run(play([t('play'), t('task', { v: 'task', w: '{{ v }}-x' }), block([t('block'), t('both', { v: 'task' })], { vars: { v: 'block' } })], { vars: { v: 'play' } }));
    expect(['play', 'task', 'block', 'both'].map(read)).toEqual(['play', 'task', 'block', 'task']);
    await run(play([t('extra', { v: 'task' })]), { extraVars: { v: 'extra' } });
    expect(read('extra')).toBe('extra');
  });

  it('are seen by templates, rendered lazily', async () => {
    await run(play([rendered({ path: join(dir, 'tv'), source: '{{ greeting }}\n' }, { vars: { who: 'world', greeting: 'hello {{ who }}' } })]));
    expect(read('tv')).toBe('hello world\n');
  });
});

describe('host facts', () => {
  it('are gathered with the first probe when a when reads them: a no-op costs one round trip', async () => {
    const tasks = [textFile({ path: join(dir, 'k'), content: 'linux' }, { when: (c) => c.facts.kernel.length > 0 })];
    await run(play(tasks));
    const again = await run(play(tasks));
    expect(rows(again)).toEqual([`ok test.text_file ${join(dir, 'k')}`]);
    expect(again.report.stats.local1?.roundTrips).toBe(1);
  });

  it('in params: gathered first, then the task is prepared; cached for later plays', async () => {
    const t = () => textFile((c) => ({ path: join(dir, `host-${c.facts.hostname}`), content: c.facts.architecture }));
    const r = await run([play([t()]), play([t()])]);
    const host = (await import('node:os')).hostname();
    expect(readFileSync(join(dir, `host-${host.split('.')[0] ?? host}`), 'utf8').length).toBeGreaterThan(0);
    expect(r.report.summary.local1).toMatchObject({ changed: 1, ok: 2 });
    // Play 1: facts, then the task's own facts, apply, verify; play 2 reuses the facts: one probe.
    expect(r.report.stats.local1?.roundTrips).toBe(5);
  });

  it('gatherFacts gathers them without a task asking, in the same round trip', async () => {
    const r = await run(play([textFile({ path: join(dir, 'g'), content: 'x' })], { gatherFacts: true }));
    writeFileSync(join(dir, 'g'), 'x');
    expect(r.report.stats.local1?.roundTrips).toBe(3);
    const again = await run(play([textFile({ path: join(dir, 'g'), content: 'x' })], { gatherFacts: true }));
    expect(again.report.stats.local1?.roundTrips).toBe(1);
  });
});
