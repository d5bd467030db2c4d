import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineModule, sh, Type } from '@converge/core';
import { play, runLocal, statusLines, tempDir, textFile } from '../../testing.js';

// The engine's part of a reboot (ModuleDefinition.reconnect): read the boot identity, apply,
// close the connection, connect again until the identity changed and the test passes, then plan
// from fresh facts. A real reboot is tested on a container (packages/modules/test/flow); here the
// "boot identity" is a file that the apply changes a second later on this controller's shell, so
// that the engine's waiting, reconnecting and timeout are tested without restarting anything.

/** Stands in for a reboot: a second after the apply, the identity file holds a new boot (or, with `stay`, never does). */
const restart = defineModule({
  name: 'test.restart',
  description: 'Change the boot identity a second later.',
  params: Type.Object({ id: Type.String(), stay: Type.Optional(Type.Boolean()), timeout: Type.Number() }),
  plan: () => ({ changes: [{ path: 'boot', before: 'running', after: 'restarted' }] }),
  apply: ({ params }) => [{ script: params.stay ? sh`true` : sh`( sleep 1; echo next > ${params.id} ) </dev/null >/dev/null 2>&1 &` }],
  reconnect: (p) => ({ bootId: sh`cat -- ${p.id}`, timeoutSeconds: p.timeout, test: sh`test -s ${p.id}` }),
  verify: false,
});

let dir: string;
let id: string;
beforeEach(() => {
  dir = tempDir('converge-restart-');
  id = join(dir, 'id');
  writeFileSync(id, 'first\n');
});
const bootReads = (scripts: { script: string }[]) => scripts.filter((s) => s.script === `cat -- ${id}`).length;

describe('a task that restarts the host', () => {
  it('connects again once the boot identity changed, then plans the next tasks from fresh facts', async () => {
    const r = await runLocal(play([restart({ id, timeout: 20 }), textFile({ path: id, content: 'next\n' }, { name: 'after' })]), { dir });
    expect(statusLines(r.report)).toEqual(['changed test.restart', 'ok after']);
    expect(r.report.tasks[0]?.result).toMatchObject({ rebooted: true });
    expect(r.report.tasks[0]?.result?.elapsed).toBeGreaterThanOrEqual(1);
    // Read before, then on each new connection until it changed.
    expect(bootReads(r.scripts)).toBeGreaterThanOrEqual(2);
    expect(readFileSync(id, 'utf8')).toBe('next\n');
  });

  it('fails the host when it does not come back with another boot within the timeout', async () => {
    const r = await runLocal(play([restart({ id, stay: true, timeout: 2 }), textFile({ path: join(dir, 'never'), content: 'x' })]), { dir });
    expect(statusLines(r.report)).toEqual(['failed test.restart']);
    expect(r.report.tasks[0]).toMatchObject({ code: 'CONVERGE_TIMEOUT', message: 'the host did not come back within 2 s: it answered with the boot identity it had before (it did not restart)' });
  });

  it('check mode predicts it and does not restart', async () => {
    const r = await runLocal(play([restart({ id, timeout: 2 })]), { dir, check: true });
    expect(statusLines(r.report)).toEqual(['changed test.restart']);
    expect(bootReads(r.scripts)).toBe(0);
    expect(readFileSync(id, 'utf8')).toBe('first\n');
  });
});
