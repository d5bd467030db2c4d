// converge report --html: a run made for real on two local hosts (ansible_connection=local),
// with a secret in a file's diff and a task that fails (ignored), turned into the HTML page from
// the run's JSON output and from the audit log; the page is then opened in Debian's Chromium
// (driven with playwright-core): the grid and a diff are visible, no secret is in the page, and
// it loads nothing from anywhere else.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const SECRET = 'hunter2-canary-5531';
const CHROMIUM = '/usr/bin/chromium';
// Debian's chromium with the flags a sandboxed, offline CI needs (no sandbox as root, no GPU,
// no calls home).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let dir: string;
let runJson: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'converge-report-'));
  writeFileSync(join(dir, 'hosts.ini'), ['[web]', `web1 ansible_connection=local target=${dir}/out/web1`, `web2 ansible_connection=local target=${dir}/out/web2`, ''].join('\n'));
  writeFileSync(
    join(dir, 'site.ts'),
    [
      "import { definePlaybook, secret, secretText } from '@converge/core';",
      "import { command, copy, file, lineinfile } from '@converge/modules';",
      `const password = secret('${SECRET}');`,
      'export default definePlaybook({',
      "  name: 'web', hosts: 'web',",
      '  tasks: [',
      "    file((h) => ({ path: String(h.vars.target), state: 'directory', mode: '0755' })),",
      "    copy((h) => ({ dest: `${h.vars.target}/app.conf`, content: 'listen 8080\\nworkers 4\\n' })),",
      "    lineinfile((h) => ({ path: `${h.vars.target}/app.conf`, line: 'workers 8', regexp: '^workers ' }), { name: 'more workers' }),",
      "    copy((h) => ({ dest: `${h.vars.target}/db.conf`, content: secretText`password=${password}\\n`, mode: '0600' }), { name: 'database password' }),",
      "    command({ cmd: 'false' }, { name: 'a check that fails', ignoreErrors: true, when: (c) => c.host === 'web2' }),",
      '  ],',
      '});',
      '',
    ].join('\n'),
  );
  const run = await cli(['-i', join(dir, 'hosts.ini'), join(dir, 'site.ts'), '--diff', '--output', 'json']);
  expect(run.code).toBe(0);
  runJson = join(dir, 'run.json');
  writeFileSync(runJson, run.stdout);
});

describe('converge report --html', () => {
  it("makes the page from a run's JSON output: recap, grid, changes with diffs, timings, audit facts", async () => {
    const r = await cli(['report', '--html', join(dir, 'from-json.html'), '--from-json', runJson]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`wrote ${join(dir, 'from-json.html')}: 1 run, 2 hosts\n`);
    const html = readFileSync(join(dir, 'from-json.html'), 'utf8');
    const doc = JSON.parse(readFileSync(runJson, 'utf8'));
    for (const text of ['<h3>Recap</h3>', '<h3>Tasks × hosts</h3>', '<h3>Changes</h3>', '<h3>Timings</h3>', doc.audit.run, doc.audit.playbook.sha256, doc.audit.inventory[0].sha256, doc.audit.operator.user]) expect(html).toContain(text);
    // One row per task whatever name it has on each host, a cell per host.
    expect(html.match(/<tr><td class="play">/g)).toHaveLength(5);
    expect(html).toContain('data-status="skipped"');
    expect(html).toContain('failed (ignored)');
    expect(html).toContain('<span class="add">+workers 8</span>');
    expect(html).not.toContain(SECRET);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('asks for --html when given neither it nor merge (report merge is the same command group)', async () => {
    const r = await cli(['report', '--from-json', runJson]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('report: give --html FILE (the page to write), or use report merge');
  });

  it('makes the page from the audit log: the changed and failed tasks, said to be all the log records', async () => {
    const r = await cli(['report', '--html', join(dir, 'from-audit.html'), '--audit-log', join(dir, '.converge', 'audit.jsonl')]);
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'from-audit.html'), 'utf8');
    expect(html).toContain('the audit log, which records the changed and failed tasks');
    expect(html).toContain('data-status="changed"');
    expect(html).not.toContain('data-status="ok"');
    expect(html).not.toContain(SECRET);
    // A range: a second run (a check) in the same log, both on one page.
    expect((await cli(['-i', join(dir, 'hosts.ini'), join(dir, 'site.ts'), '--check', '--output', 'json'])).code).toBe(0);
    const range = await cli(['report', '--html', join(dir, 'range.html'), '--audit-log', join(dir, '.converge', 'audit.jsonl'), '--since', '2000-01-01']);
    expect(range.stdout).toBe(`wrote ${join(dir, 'range.html')}: 2 runs, 2 hosts\n`);
    const both = readFileSync(join(dir, 'range.html'), 'utf8');
    expect(both).toContain('<title>converge runs (2)</title>');
    expect(both.match(/<section class="run"/g)).toHaveLength(2);
    expect(both).toContain('>Check of <code>');
    const none = await cli(['report', '--html', join(dir, 'none.html'), '--audit-log', join(dir, '.converge', 'audit.jsonl'), '--run', 'ffffffff']);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('matches --run ffffffff');
  });

  it.skipIf(existsSync(CHROMIUM))('says why the browser test is skipped', () => {
    console.warn(`skipping the report's browser test: no Chromium at ${CHROMIUM} (scripts/ensure-tools.sh installs Debian's chromium as root; no other browser can be downloaded here)`);
  });

  describe.skipIf(!existsSync(CHROMIUM))(`in Chromium (${CHROMIUM}, installed by scripts/ensure-tools.sh)`, () => {
    let browser: import('playwright-core').Browser | undefined;
    beforeAll(async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows the grid and a diff, holds no secret, loads nothing else; screenshot', async () => {
      if (!browser) throw new Error('no browser');
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      const url = `file://${join(dir, 'from-json.html')}`;
      await page.goto(url);
      expect(await page.title()).toMatch(/^converge run [0-9a-f]{8}$/);
      expect(await page.locator('table.grid').isVisible()).toBe(true);
      expect(await page.locator('table.grid tr').count()).toBe(6);
      expect(await page.locator('table.grid td.status-changed').count()).toBe(8);
      expect(await page.locator('table.grid td.status-failed').count()).toBe(1);
      const changed = page.locator('table.grid td.status-changed').first();
      expect(await changed.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 227, 163)');
      const diff = page.locator('pre.diff .add', { hasText: '+workers 8' }).first();
      expect(await diff.isVisible()).toBe(true);
      expect(await diff.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(218, 251, 225)');
      const text = await page.locator('body').innerText();
      expect(text).toContain('********');
      expect(text).not.toContain(SECRET);
      expect(await page.content()).not.toContain(SECRET);
      expect(requests).toEqual([url]);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      // The README's picture: CONVERGE_REPORT_SCREENSHOT=docs/images/report.png with this test.
      if (process.env.CONVERGE_REPORT_SCREENSHOT) {
        await page.setViewportSize({ width: 1280, height: 1500 });
        await page.screenshot({ path: process.env.CONVERGE_REPORT_SCREENSHOT });
      }
      await page.close();
    });
  });
});
