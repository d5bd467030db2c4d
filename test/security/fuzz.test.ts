import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LocalTransport,
  definePlaybook,
  isConvergeError,
  parseIniInventory,
  parseYamlInventory,
  renderTemplate,
  runPlaybook,
  selectHosts,
  sh,
  validateParams,
  type FactRequest,
  type Inventory,
  type ModuleDefinition,
  type RunReport,
  type Task,
} from '@converge/core';
import { apt, blockinfile, command, copy, file, group, iniFile, lineinfile, shell, systemd, template, user } from '@converge/modules';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Bad input, fuzzed (issue 7; C-11, C-17). Parsers, the template renderer, host patterns and
// every builtin module's params get arbitrary input: the only failure allowed is a ConvergeError
// with a message (and, for parsers, the file it is about). Params that reach a shell get
// arbitrary strings (quotes, $(...), backticks, newlines, non-ASCII): converge runs the real
// module through the engine on this controller (LocalTransport, a temp dir) and the bytes must
// arrive intact, or the params are refused with CONVERGE_PARAMS. Runs are bounded (< 60 s).

const NASTY = ["'", '"', '$(touch pwned)', '`touch pwned`', '\n', '\r\n', '\\', '$HOME', '${IFS}', ';', '|', '&&', '*', '?', '~', '-n', '--', ' ', '\t', 'é', '日本語', '🙂', '%s', '%n', '!', '#', '=', '[', ']', '{{', '}}', '{%', '<', '>'];
/** Strings built from shell metacharacters and arbitrary Unicode. */
const hostile = fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join(''));

function expectConvergeError(e: unknown, code?: string): void {
  if (!isConvergeError(e)) throw new Error(`expected a ConvergeError, got: ${(e as Error)?.stack ?? String(e)}`);
  expect(e.message.length).toBeGreaterThan(0);
  if (code) expect(e.code).toBe(code);
}

describe('parsers and patterns: a ConvergeError with a location, or a result', () => {
  const iniLine = fc.oneof(
    hostile,
    fc.constantFrom('[web]', '[web:vars]', '[all:children]', '[db:children]', 'web', 'db', 'web[1:3].example.test', 'h[a:c]', 'h[01:10:2]', '[1:3].x', 'x ansible_port=22', 'x ansible_host="a b"', "k='v'", 'k=v # c', '[', '[x', ':vars]', 'x=[1,2', "x={'a': 1}"),
  );
  it('INI inventories', () => {
    fc.assert(
      fc.property(fc.array(iniLine, { maxLength: 12 }), (lines) => {
        try {
          parseIniInventory(lines.join('\n'), 'fuzz.ini');
        } catch (e) {
          expectConvergeError(e, 'CONVERGE_INVENTORY');
          expect((e as { location?: { file?: string } }).location?.file ?? (e as Error).message).toMatch(/fuzz\.ini/);
        }
      }),
      { numRuns: 400 },
    );
  });

  const yamlLine = fc.oneof(
    hostile,
    fc.constantFrom('all:', '  hosts:', '    web1:', '      ansible_port: 22', '  children:', '    web:', '      hosts:', '        h[1:3]:', '  vars:', '    x: [1, 2', '    y: {a: 1}', '- a', '  - b', ': x', '&a x', '*a', '!!python/object x', '%YAML 1.2', '---', '...'),
  );
  it('YAML inventories', () => {
    fc.assert(
      fc.property(fc.array(yamlLine, { maxLength: 12 }), (lines) => {
        try {
          parseYamlInventory(lines.join('\n'), 'fuzz.yml');
        } catch (e) {
          expectConvergeError(e, 'CONVERGE_INVENTORY');
          expect((e as { location?: { file?: string } }).location?.file ?? (e as Error).message).toMatch(/fuzz\.yml/);
        }
      }),
      { numRuns: 400 },
    );
  });

  const tplPiece = fc.oneof(
    hostile,
    fc.constantFrom('{{ x }}', '{{ y.a }}', '{{ z | join(",") }}', '{% if x %}', '{% endif %}', '{% for i in z %}', '{% endfor %}', '{{ missing }}', '{{', '}}', '{%', '%}', '{#', '#}', '{{ x | default("d") }}', '{{ x ~ 1 }}', '{{ 1 / 0 }}', '{% raw %}', '{% endraw %}', '{{ x|upper }}', '{{ "%s"|format(x) }}', '{% set a = 1 %}', '{{ z[5] }}', '{{ x.nope() }}'),
  );
  it('templates', () => {
    fc.assert(
      fc.property(fc.array(tplPiece, { maxLength: 10 }), (pieces) => {
        try {
          const out = renderTemplate(pieces.join(''), { x: 'X', y: { a: 1 }, z: [1, 2] }, { file: 'fuzz.j2', searchPaths: [tmpdir()] });
          expect(typeof out).toBe('string');
        } catch (e) {
          expectConvergeError(e, 'CONVERGE_TEMPLATE');
          expect((e as { location?: { file?: string } }).location?.file).toBe('fuzz.j2');
        }
      }),
      { numRuns: 400 },
    );
  });

  it('host patterns', () => {
    const inv = parseIniInventory('[web]\nweb[1:3].example.test\n[db]\ndb1 ansible_port=2222\n[prod:children]\nweb\ndb\n', 'p.ini');
    const piece = fc.oneof(hostile, fc.constantFrom('web', 'db', 'all', '*', 'web*', '!db', '&prod', ':', ',', '~web[0-9]', '~(', 'web[0]', 'web[1:]', 'web[-1]', 'web[x]', '@limit.txt', 'prod:&web', 'ungrouped'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (parts) => {
        try {
          const hosts = selectHosts(inv as Inventory, parts.join(''));
          expect(Array.isArray(hosts)).toBe(true);
        } catch (e) {
          expectConvergeError(e);
        }
      }),
      { numRuns: 400 },
    );
  });
});

const MODULES: [string, (p: never) => Task][] = [
  ['file', file as never],
  ['copy', copy as never],
  ['template', template as never],
  ['lineinfile', lineinfile as never],
  ['blockinfile', blockinfile as never],
  ['ini_file', iniFile as never],
  ['apt', apt as never],
  ['systemd.service', systemd.service as never],
  ['systemd.daemonReload', systemd.daemonReload as never],
  ['user', user as never],
  ['group', group as never],
  ['command', command as never],
  ['shell', shell as never],
];

describe('every builtin module: arbitrary params give a params error or valid params', () => {
  const value = fc.oneof(hostile, fc.integer(), fc.boolean(), fc.constant(null), fc.array(hostile, { maxLength: 3 }), fc.dictionary(hostile, hostile, { maxKeys: 2 }), fc.constantFrom('0644', 'u+rwx', 'present', 'absent', 'directory', 'started', '/tmp/x', 'root'));
  for (const [name, make] of MODULES) {
    it(name, () => {
      const def = (make({} as never) as Task).module as ModuleDefinition;
      const keys = Object.keys((def.params as { properties?: object }).properties ?? {});
      fc.assert(
        fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...keys, 'nope'), hostile), value, { maxKeys: 5 }), (params) => {
          let valid: unknown;
          try {
            valid = validateParams(def.params, params, `task "fuzz" (${name})`);
          } catch (e) {
            expectConvergeError(e, 'CONVERGE_PARAMS');
            expect((e as Error).message).toContain(`(${name})`);
            return;
          }
          try {
            const problem = def.validate?.(valid as never);
            if (problem) return;
            if (def.prepare) return; // prepare reads controller files; covered by the template fuzz above
            def.facts?.(valid as never, { name: 'h', vars: {}, user: 'root', check: false, diff: false });
          } catch (e) {
            expectConvergeError(e);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('params that reach a shell arrive intact or are refused (C-11, C-17)', () => {
  let dir: string;
  let stubs: string;
  let argvLog: string;
  let n = 0;
  const inventory = () => parseIniInventory('localhost ansible_connection=local\n', 'fuzz.ini');
  const run = async (tasks: Task[]): Promise<RunReport> =>
    runPlaybook({ playbook: definePlaybook({ name: 'fuzz', hosts: 'all', tasks }), playbookPath: join(dir, 'playbook.ts'), inventory: inventory(), transport: (spec) => new LocalTransport(spec.host) });
  /** Runs a task; resolves to the report, or undefined when its params were refused. */
  const attempt = async (task: Task): Promise<RunReport | undefined> => {
    try {
      return await run([task]);
    } catch (e) {
      expectConvergeError(e, 'CONVERGE_PARAMS');
      return undefined;
    }
  };
  const okRow = (r: RunReport, i: number): RunReport['tasks'][number] => {
    const row = r.tasks[i];
    expect(row?.status === 'changed' || row?.status === 'ok', JSON.stringify(row)).toBe(true);
    return row as RunReport['tasks'][number];
  };
  const name = hostile.filter((s) => s.length > 0 && !s.includes('/') && s !== '.' && s !== '..');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'converge-fuzz-'));
    stubs = join(dir, 'stubs');
    argvLog = join(dir, 'argv.log');
    mkdirSync(stubs);
    // Stub programs that record their argv (NUL-separated), for modules whose real programs
    // would change this machine (accounts, packages).
    for (const prog of ['getent', 'id', 'dpkg-query', 'apt-cache']) {
      writeFileSync(join(stubs, prog), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> '${argvLog}'\nexit 2\n`);
      chmodSync(join(stubs, prog), 0o755);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Runs a batch of tasks in one run (one local shell) and checks each; when the params of some
   * are refused, each task runs alone so that every refusal is checked to be CONVERGE_PARAMS.
   */
  const batch = async <T,>(items: T[], toTask: (item: T) => Task, check: (item: T, row: RunReport['tasks'][number]) => void, refused?: (item: T) => void) => {
    let report: RunReport | undefined;
    try {
      report = await run(items.map(toTask));
    } catch (e) {
      expectConvergeError(e, 'CONVERGE_PARAMS');
    }
    if (report) {
      items.forEach((item, i) => check(item, okRow(report as RunReport, i)));
      return;
    }
    for (const item of items) {
      const r = await attempt(toTask(item));
      if (r) check(item, okRow(r, 0));
      else refused?.(item);
    }
  };
  const BATCH = { minLength: 1, maxLength: 8 };

  it('copy: any content and any file name', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, hostile), BATCH), async (items) => {
        const cases = items.map(([fileName, content]) => ({ dest: join(dir, `c${++n}-${fileName}`), content }));
        await batch(cases, (c) => copy(c), (c) => expect(readFileSync(c.dest).equals(Buffer.from(c.content, 'utf8')), JSON.stringify(c)).toBe(true));
      }),
      { numRuns: 6 },
    );
    expect(existsSync(join(dir, 'pwned')) || existsSync('pwned')).toBe(false);
  });

  it('lineinfile: any line text and any path; only a line break in the line is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, hostile), BATCH), async (items) => {
        const cases = items.map(([fileName, line]) => ({ path: join(dir, `l${++n}-${fileName}`), line, create: true }));
        await batch(
          cases,
          (c) => lineinfile(c),
          (c) => expect(readFileSync(c.path, 'utf8')).toBe(`${c.line}\n`),
          (c) => expect(c.line).toMatch(/[\n\r]/),
        );
      }),
      { numRuns: 6 },
    );
  });

  it('blockinfile: any block text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostile, BATCH), async (blocks) => {
        const cases = blocks.map((block) => ({ path: join(dir, `b${++n}`), block, create: true }));
        await batch(cases, (c) => blockinfile(c), (c) => expect(readFileSync(c.path, 'utf8')).toContain(c.block));
      }),
      { numRuns: 5 },
    );
  });

  it('file: any directory name', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(name, BATCH), async (names) => {
        const cases = names.map((d) => ({ path: join(dir, `d${++n}-${d}`), state: 'directory' as const }));
        await batch(cases, (c) => file(c), (c) => expect(existsSync(c.path)).toBe(true));
      }),
      { numRuns: 5 },
    );
  });

  it('command: any argument, environment value and stdin', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(hostile, hostile, hostile), BATCH), async (items) => {
        await batch(
          items,
          ([arg, envValue, stdin]) => command({ argv: ['sh', '-c', 'printf "%s|%s|" "$1" "$X"; cat', 'sh', arg], env: { X: envValue }, stdin, stdin_add_newline: false, strip_empty_ends: false }),
          ([arg, envValue, stdin], row) => expect(row.result?.stdout).toBe(`${arg}|${envValue}|${stdin}`),
        );
      }),
      { numRuns: 6 },
    );
  });

  it('user, group and package names: refused by params, or passed as one exact argument', async () => {
    const t = new LocalTransport('localhost');
    await t.connect();
    try {
      await fc.assert(
        fc.asyncProperty(hostile, fc.constantFrom('user', 'group', 'apt'), async (value, kind) => {
          const make = { user, group, apt }[kind] as (p: never) => Task;
          const def = make({} as never).module as ModuleDefinition;
          let params: unknown;
          try {
            params = validateParams(def.params, { name: value }, `task "fuzz" (${kind})`);
          } catch (e) {
            expectConvergeError(e, 'CONVERGE_PARAMS');
            return;
          }
          const problem = def.validate?.(params as never);
          if (problem) return;
          const facts = def.facts?.(params as never, { name: 'h', vars: {}, user: 'root', check: false, diff: false }) as Record<string, FactRequest>;
          writeFileSync(argvLog, '');
          for (const r of Object.values(facts)) {
            await t.exec(sh`PATH=${stubs}:"$PATH"; export PATH; ${r.fact.command(r.args as never)}`);
          }
          const args = readFileSync(argvLog, 'utf8').split('\0');
          const want = kind === 'apt' ? value.split('=')[0] : value;
          expect(args, `${kind} name ${JSON.stringify(value)}`).toContain(want);
        }),
        { numRuns: 60 },
      );
    } finally {
      await t.close();
    }
    expect(existsSync(join(dir, 'pwned')) || existsSync('pwned')).toBe(false);
  });
});
