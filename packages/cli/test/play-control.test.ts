import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

// The command line's play-control flags on local hosts (ansible_connection=local: a real shell
// on this machine): --list-hosts/--list-tasks/--list-tags, --start-at-task, delegated rows and
// the retry file.

const playbook = join(import.meta.dirname, 'fixtures', 'play-control.ts');


let dir: string;
let inv: string;
let state: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'converge-cli-play-'));
  inv = join(dir, 'hosts.ini');
  state = join(dir, 'state');
  // db_password is a canary: it must never reach the retry file.
  writeFileSync(
    inv,
    `[web]\nweb1\nweb2\nweb3\n\n[lb]\nlb1\n\n[all:vars]\nansible_connection=local\ntarget_dir=${dir}\ndb_password=canary-7f3a9e\n`,
  );
});

describe('converge --list-hosts, --list-tasks, --list-tags', () => {
  it('--list-hosts prints each play with its hosts, after --limit, touching no host', async () => {
    // An unreachable address: contacting it would fail the command.
    writeFileSync(inv, `[web]\nweb1 ansible_host=127.0.0.1 ansible_port=1\nweb2 ansible_host=127.0.0.1 ansible_port=1\n[lb]\nlb1 ansible_host=127.0.0.1 ansible_port=1\n`);
    const r = await cli(['-i', inv, playbook, '--list-hosts', '--limit', 'web2:lb1', '--state-dir', state]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `\nplaybook: ${playbook}\n` + "\n  play #1 (web): web\tTAGS: [app]\n    pattern: ['web']\n    hosts (1):\n      web2\n" + "\n  play #2 (lb): lb\tTAGS: []\n    pattern: ['lb']\n    hosts (1):\n      lb1\n",
    );
    expect(existsSync(state)).toBe(false);
  });

  it('--list-tasks respects --tags and --skip-tags', async () => {
    const all = await cli(['-i', inv, playbook, '--list-tasks']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('    tasks:\n      first file\tTAGS: [app, files]\n      maybe fail\tTAGS: [app]\n      second file\tTAGS: [app]\n      register backend\tTAGS: [app, lb]\n');
    const lb = await cli(['-i', inv, playbook, '--list-tasks', '--tags', 'lb', '--skip-tags', 'app']);
    expect(lb.stdout).toContain('\n  play #1 (web): web\tTAGS: [app]\n    tasks:\n\n');
    expect(lb.stdout).toContain('\n  play #2 (lb): lb\tTAGS: []\n    tasks:\n      lb config\tTAGS: [lb]\n');
  });

  it('--list-tags prints the tags of each play', async () => {
    const r = await cli(['-i', inv, playbook, '--list-tags']);
    expect(r.stdout).toContain('\n  play #1 (web): web\tTAGS: [app]\n      TASK TAGS: [app, files, lb]\n');
    expect(r.stdout).toContain('\n  play #2 (lb): lb\tTAGS: []\n      TASK TAGS: [lb]\n');
  });
});

describe('converge --start-at-task', () => {
  it('skips the tasks before the named one in its play', async () => {
    const r = await cli(['-i', inv, playbook, '--start-at-task', 'second file', '--state-dir', state, '--output', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.tasks.filter((t: { host: string }) => t.host === 'web1').map((t: { task: string }) => t.task)).toEqual(['second file', 'register backend']);
    expect(existsSync(join(dir, 'first-web1'))).toBe(false);
    expect(readFileSync(join(dir, 'second-web1'), 'utf8')).toBe('two\n');
  });

  it('exits 5 for a name no task has', async () => {
    const r = await cli(['-i', inv, playbook, '--start-at-task', 'nope', '--state-dir', state]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('no task of the playbook has that name');
  });
});

describe('converge delegation and the retry file', () => {
  it('prints delegated rows as host -> delegate', async () => {
    const r = await cli(['-i', inv, playbook, '--state-dir', state]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/changed\s+web2 -> lb1\s+register backend/);
    expect(readFileSync(join(dir, 'lb-web2'), 'utf8')).toBe('backend web2\n');
  });

  it('writes the failed hosts to <state dir>/<playbook>.retry, usable with --limit @FILE, without secrets', async () => {
    // serial 1: web2 fails alone in its batch, so the play stops there; web3 never runs.
    const r = await cli(['-i', inv, playbook, '--state-dir', state, '-e', 'fail_on=web2']);
    expect(r.code).toBe(2);
    const retry = join(state, 'play-control.retry');
    expect(r.stdout).toContain(`to retry, use: --limit @${retry}`);
    expect(readFileSync(retry, 'utf8')).toBe('web2\n');
    for (const f of readdirSync(state)) expect(readFileSync(join(state, f), 'utf8')).not.toContain('canary-7f3a9e');
    expect(existsSync(join(dir, 'first-web3'))).toBe(false);

    const again = await cli(['-i', inv, playbook, '--state-dir', state, '--limit', `@${retry}`, '--output', 'json']);
    expect(again.code).toBe(0);
    expect(Object.keys(JSON.parse(again.stdout).summary)).toEqual(['web2']);
    // With --output json the hint goes to stderr, and only when something failed.
    expect(again.stderr).toBe('');
  });

  it('with serial 1, a failing first host stops the play: exit 2, retry file with that host', async () => {
    const r = await cli(['-i', inv, playbook, '--state-dir', state, '-e', 'fail_on=web1', '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('to retry, use: --limit @');
    expect(readFileSync(join(state, 'play-control.retry'), 'utf8')).toBe('web1\n');
  });
});
