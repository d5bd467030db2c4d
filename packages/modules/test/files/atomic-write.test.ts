// writeFileSteps' script run by this controller's own sh in a temp directory: the trial of a file
// a service judges only once it is live (what nfs.exports and nfs.ganesha need).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { raw } from '@converge/core';
import { writeFileSteps } from '../../src/files.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(old: string | undefined, accept: boolean): { status: number | null; stderr: string; files: string[]; content: string | undefined } {
  dir = mkdtempSync(join(tmpdir(), 'converge-trial-'));
  const path = join(dir, 'app.conf');
  if (old !== undefined) writeFileSync(path, old);
  const trial = { script: raw(`said="read $(cat -- "$p")"; ${accept ? 'true' : 'false'}`), refused: raw('printf \'refused: %s; now %s\\n\' "$said" "$(cat -- "$p" 2>/dev/null || echo none)" >&2') };
  const [step] = writeFileSteps({ path, followLinks: false, content: new Uint8Array(Buffer.from('new\n')), mode: '0640', trial });
  const r = spawnSync('sh', ['-c', String(step!.script)], { input: Buffer.from(step!.stdin as Uint8Array) });
  const files = readdirSync(dir);
  return { status: r.status, stderr: r.stderr.toString(), files, content: files.includes('app.conf') ? readFileSync(path, 'utf8') : undefined };
}

describe('writeFileSteps with a trial', () => {
  test.each([
    { case: 'accepted, replacing a file', old: 'old\n', accept: true, status: 0, content: 'new\n', stderr: '' },
    { case: 'accepted, a new file', old: undefined, accept: true, status: 0, content: 'new\n', stderr: '' },
    { case: 'refused: the old file is put back, then refused runs', old: 'old\n', accept: false, status: 1, content: 'old\n', stderr: 'refused: read new; now old\n' },
    { case: 'refused with no old file: the new one is removed', old: undefined, accept: false, status: 1, content: undefined, stderr: 'refused: read new; now none\n' },
  ])('$case', ({ old, accept, status, content, stderr }) => {
    const r = run(old, accept);
    expect(r).toEqual({ status, stderr, files: content === undefined ? [] : ['app.conf'], content });
  });
});
