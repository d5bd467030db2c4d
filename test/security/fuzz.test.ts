import { spawn, spawnSync } from 'node:child_process';
import { type Dirent, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvergeError, LocalTransport, ShellSession, factCommand, secret, definePlaybook, isConvergeError, sh, validateParams, type FactRequest, type ModuleDefinition, type Task, type Transport, type TransportStats, type ExecOptions, type ExecResult } from '@converge/core';
import { decryptVault, encryptVault, parseIniInventory, parseYamlInventory, selectHosts, type Inventory } from '@converge/inventory';
import { renderTemplate } from '@converge/template';
import { runPlaybook, type RunReport } from '@converge/engine';
import type { RawShell } from '../../packages/core/src/sh.js';
import { PACKAGES, modulesOf } from '../package-modules.js';
import { modulePackages, workspacePackages } from '../../scripts/workspace.mjs';
import type { FuzzCase, PackageFuzzCases } from './fuzz-case.js';
import { apt, blockinfile, command, copy, cron, file, group, iniFile, lineinfile, replace, shell, sysctl, systemd, template, user } from '@converge/modules';
import { parseExtraVars } from '../../packages/cli/src/extra-vars.js';
import { readVarsFile } from '../../packages/inventory/src/vars-files.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Bad input, fuzzed (field cases C-11, C-17). Parsers, the template renderer, host patterns and
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

/** The builtin modules, as `@converge/modules` exports them. */
const MODULES = modulesOf(PACKAGES[0]?.[1] ?? {}).map((m): [string, (p: never) => Task] => [m.id, m.make]);

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

  it('replace, cron (a cron.d file) and sysctl (a sysctl.d file): any text arrives byte for byte', async () => {
    const line = hostile.filter((v) => !/[\r\n\\]/.test(v) && !v.includes('MARK') && v.trim() !== '');
    await fc.assert(
      fc.asyncProperty(fc.array(line, BATCH), async (values) => {
        const cases = values.map((v) => ({ v, i: ++n }));
        for (const { i } of cases) writeFileSync(join(dir, `r${i}`), 'a MARK b\n');
        await batch(cases, ({ v, i }) => replace({ path: join(dir, `r${i}`), regexp: 'MARK', replace: v }), ({ v, i }) => expect(readFileSync(join(dir, `r${i}`), 'utf8')).toBe(`a ${v} b\n`));
        await batch(
          cases,
          ({ v, i }) => cron({ name: `job ${i}`, job: v, cron_file: join(dir, `cron${i}`), user: 'root' }),
          ({ v, i }) => expect(readFileSync(join(dir, `cron${i}`), 'utf8')).toBe(`#Ansible: job ${i}\n* * * * * root ${v.replace(/^[\r\n]+|[\r\n]+$/g, '')}\n`),
        );
        const sysctlValues = cases.filter(({ v }) => !/[=#;]/.test(v));
        await batch(
          sysctlValues,
          ({ v, i }) => sysctl({ name: 'net.fuzz.key', value: v, reload: false, sysctl_file: join(dir, `sysctl${i}.conf`) }),
          ({ v, i }) => expect(readFileSync(join(dir, `sysctl${i}.conf`), 'utf8')).toBe(`net.fuzz.key=${v.trim().split(/\s+/).join(' ')}\n`),
        );
      }),
      { numRuns: 5 },
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
            await t.exec(`${sh`PATH=${stubs}:"$PATH"; export PATH`}; ${factCommand(r.fact, r.args)}`);
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

describe('vars files (group_vars, host_vars, -e @file): a mapping, or a ConvergeError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'converge-fuzz-vars-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fragment = fc.oneof(
    hostile,
    fc.constantFrom('a: 1', 'b: [1, 2', 'c: {x: 1}', '- item', '&x [1]', '*x', '<<: *x', '!!python/object:os.system', '!vault |', '$ANSIBLE_VAULT;1.1;AES256', '---', '...', '{"a": 1}', '{"a":', '"unterminated', "k: 'v", 'k: v # c', '  nested: 1', '\t- tab', '? complex', ': bare', '%YAML 1.1', '@', 'null', '[]', '0'),
  );
  const document = fc.array(fragment, { maxLength: 10 }).map((lines) => lines.join('\n'));
  let n = 0;
  it('readVarsFile (inventory group_vars/host_vars)', async () => {
    await fc.assert(
      fc.asyncProperty(document, async (text) => {
        const path = join(dir, `v${++n}.yml`);
        writeFileSync(path, text);
        try {
          const vars = await readVarsFile(path);
          expect(typeof vars).toBe('object');
          expect(Array.isArray(vars)).toBe(false);
        } catch (e) {
          expectConvergeError(e);
          expect(`${(e as ConvergeError).message} ${(e as ConvergeError).location?.file ?? ''}`).toContain(path);
        }
      }),
      { numRuns: 150 },
    );
  });
  it('-e @file and -e with a mapping', () => {
    fc.assert(
      fc.property(document, fc.boolean(), (text, asFile) => {
        const path = join(dir, `e${++n}.yml`);
        writeFileSync(path, text);
        try {
          const vars = parseExtraVars([asFile ? `@${path}` : text]);
          expect(typeof vars).toBe('object');
        } catch (e) {
          expectConvergeError(e, 'CONVERGE_VARS');
          if (asFile) expect(`${(e as ConvergeError).message} ${(e as ConvergeError).location?.file ?? ''}`).toContain(path);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('ansible-vault files: decrypted exactly with the right password, otherwise a ConvergeError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'converge-fuzz-vault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const password = fc.string({ minLength: 1, maxLength: 12 });
  let n = 0;
  const write = (text: string) => {
    const path = join(dir, `vault${++n}.yml`);
    writeFileSync(path, text);
    return path;
  };
  /** Damages vault text: flip one hex digit, cut it short, drop or duplicate a line, garble the header. */
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('drop-line' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('header' as const), header: fc.constantFrom('$ANSIBLE_VAULT;1.0;AES256', '$ANSIBLE_VAULT;1.1;AES128', '$ANSIBLE_VAULT;1.2;AES256', '$ANSIBLE_VAULT;1.1', '$ANSIBLE_VAULT;', 'ANSIBLE_VAULT;1.1;AES256') }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: hostile }),
  );
  const mutate = (text: string, m: { kind: string; at?: number; header?: string; text?: string }): string => {
    const lines = text.trimEnd().split('\n');
    const body = lines.slice(1).join('\n');
    switch (m.kind) {
      case 'flip': {
        const positions = [...body].flatMap((c, i) => (/[0-9a-f]/.test(c) ? [i] : []));
        const i = positions[(m.at ?? 0) % positions.length] as number;
        const c = body[i] as string;
        return `${lines[0]}\n${body.slice(0, i)}${c === '0' ? '1' : '0'}${body.slice(i + 1)}\n`;
      }
      case 'truncate':
        return text.slice(0, (m.at ?? 0) % text.length);
      case 'drop-line': {
        const i = 1 + ((m.at ?? 0) % Math.max(1, lines.length - 1));
        return `${lines.filter((_, j) => j !== i).join('\n')}\n`;
      }
      case 'header':
        return `${m.header}\n${body}\n`;
      default: {
        const i = (m.at ?? 0) % text.length;
        return text.slice(0, i) + (m.text ?? '') + text.slice(i);
      }
    }
  };

  it('the right password gives the plaintext; a wrong one or a damaged file is a CONVERGE_VARS error with the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^[a-z_][a-z0-9_]*$/i.test(k)), hostile.filter((v) => !v.includes('\r')), { minKeys: 1, maxKeys: 3 }), password, password, mutation, fc.constantFrom(undefined, 'prod'), async (vars, right, wrong, m, label) => {
        const plaintext = JSON.stringify(vars);
        const secret = { label: label ?? 'default', password: right };
        const text = encryptVault(plaintext, secret);
        const good = write(text);
        const read = await readVarsFile(good, [secret]);
        expect(Object.fromEntries(Object.entries(read).map(([k, v]) => [k, (v as { reveal(): string }).reveal()]))).toEqual(vars);
        const expectRefused = async (path: string, secrets: { label: string; password: string }[]) => {
          try {
            await readVarsFile(path, secrets);
            return false;
          } catch (e) {
            expectConvergeError(e);
            expect(`${(e as ConvergeError).message} ${(e as ConvergeError).location?.file ?? ''}`).toContain(path);
            return true;
          }
        };
        if (wrong !== right) expect(await expectRefused(good, [{ label: 'default', password: wrong }])).toBe(true);
        expect(await expectRefused(good, [])).toBe(true);
        // A damaged file is refused, unless the damage left it a valid vault of the same plaintext
        // (e.g. a line break inserted in the hex) or no longer vault text at all (then it is YAML).
        const damaged = write(mutate(text, m));
        try {
          const again = await readVarsFile(damaged, [secret]);
          expect(typeof again).toBe('object');
        } catch (e) {
          expectConvergeError(e);
          expect(`${(e as ConvergeError).message} ${(e as ConvergeError).location?.file ?? ''}`).toContain(damaged);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('a truncated HMAC or payload is refused by decryptVault, never decrypted', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), password, fc.nat(), (plaintext, pw, cut) => {
        const text = encryptVault(plaintext, { label: 'default', password: pw });
        const [header, ...hex] = text.trim().split('\n');
        const payload = Buffer.from(hex.join(''), 'hex').toString('latin1');
        const [salt, hmac, data] = payload.split('\n') as [string, string, string];
        const shorter = (cut % Math.max(1, hmac.length - 1)) + 1;
        const tampered = `${header}\n${Buffer.from(`${salt}\n${hmac.slice(0, hmac.length - shorter)}\n${data}`, 'latin1').toString('hex')}\n`;
        expect(() => decryptVault(tampered, [{ label: 'default', password: pw }], 'tampered.yml')).toThrow(expect.objectContaining({ code: 'CONVERGE_VARS', message: expect.stringContaining('tampered.yml') }));
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * Values shaped by a params schema (TypeBox is JSON Schema), with hostile strings, wrong types
 * and unknown keys mixed in, so that many reach validate, facts and their shell commands.
 */
function fromSchema(schema: Record<string, any>, injection: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(hostile, fc.integer(), fc.boolean(), fc.constant(null));
  const shaped = (): fc.Arbitrary<unknown> => {
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
    if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((s: Record<string, any>) => fromSchema(s, injection, depth + 1)));
    switch (schema.type) {
      case 'string':
        // a path or a name with a shell injection attempt in it, or a plain value
        return fc.oneof(
          fc.tuple(fc.constantFrom('/srv/data/', 'backup', ''), hostile, injection).map(([a, b, c]) => a + b + c),
          fc.constantFrom('/srv/data', 'backup', 'root', '10.0.0.1', '0644', 'web1:8080'),
        );
      case 'integer':
        return fc.integer({ min: -5, max: 70000 });
      case 'number':
        return fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.double({ noNaN: true }));
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return depth > 3 ? fc.constant([]) : fc.array(fromSchema(schema.items ?? {}, injection, depth + 1), { maxLength: 3 });
      case 'object': {
        if (depth > 3) return fc.constant({});
        const props = Object.entries((schema.properties ?? {}) as Record<string, Record<string, any>>);
        const model = fc.record(Object.fromEntries(props.map(([k, s]) => [k, fromSchema(s, injection, depth + 1)])), { requiredKeys: (schema.required ?? []).filter((k: string) => props.some(([p]) => p === k)) });
        return fc.tuple(model, fc.dictionary(hostile, wrong, { maxKeys: 1 })).map(([m, extra]) => ({ ...extra, ...m }));
      }
      default:
        return wrong;
    }
  };
  return fc.oneof({ weight: 9, arbitrary: shaped() }, { weight: 1, arbitrary: wrong });
}


describe('every module of every package: params shaped by its schema give a params error or valid params, never interpreted by a shell', () => {
  const pwned = join(mkdtempSync(join(tmpdir(), 'converge-fuzz-pkg-')), 'pwned');
  // hostile strings that would create `pwned` if a shell interpreted them
  const injection = fc.constantFrom(`$(touch ${pwned})`, `\`touch ${pwned}\``, `'; touch ${pwned}; '`, `"; touch ${pwned}; "`, `\n touch ${pwned}\n`, `x && touch ${pwned}`);
  const t = new LocalTransport('localhost');
  beforeAll(() => t.connect());
  afterAll(() => t.close());
  for (const [pkgName, pkg] of PACKAGES) {
    const modules = modulesOf(pkg);
    it(`${pkgName} exports modules`, () => expect(modules.length).toBeGreaterThan(0));
    for (const { id: name, definition: def } of modules) {
      it(`${pkgName}: ${name}`, async () => {
        let probed = 0;
        await fc.assert(
          fc.asyncProperty(fromSchema(def.params as Record<string, any>, injection), async (params) => {
            let valid: unknown;
            try {
              valid = validateParams(def.params, params, `task "fuzz" (${name})`);
            } catch (e) {
              expectConvergeError(e, 'CONVERGE_PARAMS');
              expect((e as Error).message).toContain(`(${name})`);
              return;
            }
            let facts: Record<string, FactRequest> | undefined;
            try {
              if (def.validate?.(valid as never)) return;
              if (def.prepare) return; // prepare reads controller files (templates, keys)
              facts = def.facts?.(valid as never, { name: 'h', vars: {}, user: 'root', check: false, diff: false }) as Record<string, FactRequest> | undefined;
            } catch (e) {
              expectConvergeError(e);
              return;
            }
            // The probes are read-only: run them here, where the service is absent, and check
            // that no hostile param was interpreted by the shell.
            for (const r of Object.values(facts ?? {})) {
              await t.exec(`cd ${JSON.stringify(tmpdir())} && ( ${factCommand(r.fact, r.args)}
) </dev/null >/dev/null 2>&1; true`);
              probed += 1;
            }
            expect(existsSync(pwned), `a param of ${name} was interpreted by the shell: ${JSON.stringify(params)}`).toBe(false);
          }),
          { numRuns: 20 },
        );
        if (probed === 0) console.log(`fuzz: ${name}: no generated params reached its probes (refused by params or validate, or no facts)`);
      });
    }
  }
});

/**
 * A transport for the controller whose shell runs in its own mount namespace: /etc and /usr are
 * overlays and /var, /srv, /opt, /root, /home and /run are empty tmpfs, so that the applies of
 * the package modules (unit files, configs under /etc, state under /var) run for real here
 * without changing this machine. The service programs (mariadb, restic, haproxy, maxctrl,
 * systemctl, exportfs, ...) are not installed here: stubs record their argv instead.
 */
class SandboxTransport implements Transport {
  readonly host = 'localhost';
  readonly loginUser = 'root';
  readonly stats: TransportStats = { roundTrips: 0 };
  #session?: ShellSession;
  constructor(readonly setup: string) {}
  async connect(): Promise<void> {
    const child = spawn('unshare', ['-m', '/bin/sh', '-c', `${this.setup}\nexec /bin/sh`], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.#session = new ShellSession({ stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, kill: () => void child.kill('SIGKILL') }, 'localhost (sandbox)');
  }
  async exec(command: string | RawShell, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.#session || this.#session.closed) await this.connect();
    this.stats.roundTrips += 1;
    const { become: _b, ...rest } = options;
    return (this.#session as ShellSession).run(String(command), rest);
  }
  async close(): Promise<void> {
    this.#session?.close();
  }
}

/** Programs of the base system that modules call; each package adds its own (`test/fuzz-cases.ts`). */
const SYSTEM_PROGRAMS = ['systemctl', 'journalctl', 'curl', 'getent', 'id', 'useradd', 'groupadd', 'usermod', 'dpkg-query', 'apt-get', 'apt-cache', 'chown', 'chgrp', 'runuser', 'su', 'sudo'];
/** Each module package's fuzz cases, from its own `test/fuzz-cases.ts` (none: every module of it fails below). */
const PACKAGE_CASES: [string, PackageFuzzCases | undefined][] = await Promise.all(
  modulePackages(workspacePackages())
    .slice(1)
    .map(async (p): Promise<[string, PackageFuzzCases | undefined]> => {
      const file = join(p.dir, 'test', 'fuzz-cases.ts');
      return [p.name, existsSync(file) ? ((await import(file)) as { default: PackageFuzzCases }).default : undefined];
    }),
);

const canSandbox = (() => {
  try {
    return process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt'], { timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
})();
if (!canSandbox) console.log('fuzz: package modules with valid params skipped: needs root and `unshare -m` (a mount namespace) on this controller');

describe.skipIf(!canSandbox)('every module of every package: valid params with a hostile string reach its probes and apply, arrive intact or are refused (C-11, C-17)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'converge-fuzz-sandbox-'));
  const stubs = join(dir, 'stubs');
  const argvLog = join(dir, 'argv.log');
  const pwned = join(dir, 'pwned');
  const D = join(dir, 'data');
  let transport: SandboxTransport;
  // Injection attempts with and without white space (some params refuse white space).
  const injection = fc.constantFrom(`$(touch ${pwned})`, `\`touch ${pwned}\``, `'; touch ${pwned}; '`, `"; touch ${pwned}; "`, `\n touch ${pwned}\n`, `$(touch\${IFS}${pwned})`, `\`touch\${IFS}${pwned}\``, `';touch\${IFS}${pwned};'`, `";touch\${IFS}${pwned};"`, `|touch\${IFS}${pwned}`);
  const evil = fc.tuple(hostile, injection, hostile).map(([a, b, c]) => a + b + c);
  const pw = (s: string) => secret(s);

  beforeAll(async () => {
    mkdirSync(stubs);
    mkdirSync(D);
    for (const prog of new Set([...SYSTEM_PROGRAMS, ...PACKAGE_CASES.flatMap(([, c]) => c?.programs ?? [])])) {
      // accounts are absent; systemd knows no unit; every other program succeeds silently
      const answer = prog === 'getent' || prog === 'id' ? 'exit 2' : prog === 'systemctl' ? `[ "$1" = show ] && printf 'Id=x\\nLoadState=not-found\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=\\nNeedDaemonReload=no\\nFragmentPath=\\n'; [ "$1" != is-active ]` : 'exit 0';
      writeFileSync(join(stubs, prog), `#!/bin/sh\n{ printf '%s\\0' '${prog}'; for a in "$@"; do printf '%s\\0' "$a"; done; } >> '${argvLog}'\n${answer}\n`);
      chmodSync(join(stubs, prog), 0o755);
    }
    mkdirSync(join(dir, 'ov/etc-u'), { recursive: true });
    mkdirSync(join(dir, 'ov/etc-w'), { recursive: true });
    mkdirSync(join(dir, 'ov/usr-u'), { recursive: true });
    mkdirSync(join(dir, 'ov/usr-w'), { recursive: true });
    const setup = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/ov/etc-u,workdir=${dir}/ov/etc-w /etc`,
      `mount -t overlay overlay -o lowerdir=/usr,upperdir=${dir}/ov/usr-u,workdir=${dir}/ov/usr-w /usr`,
      'for d in /var /srv /opt /root /home /run /mnt; do mount -t tmpfs none "$d"; done',
      'mkdir -p /var/tmp /var/lib /var/log /var/backups',
      `PATH=${stubs}:"$PATH"; export PATH`,
      `cd ${dir}`,
      'set +e',
    ].join('\n');
    transport = new SandboxTransport(setup);
    await transport.connect();
  });
  afterAll(async () => {
    await transport?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const CASES: Record<string, FuzzCase> = Object.assign({}, ...PACKAGE_CASES.map(([, c]) => c?.cases({ dataDir: D, secret: pw }) ?? {}));

  const inventory = () => parseIniInventory('localhost ansible_connection=local\n', 'fuzz.ini');
  /** Files written by the run that are visible from here: the data dir and the /etc and /usr overlays. */
  const written = (): string[] => [D, join(dir, 'ov/etc-u'), join(dir, 'ov/usr-u')].flatMap((root) => (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[]).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)));
  /** Where the value arrived intact: as one exact argument of a stub, inside an argument, or in a written file. */
  const arrival = (value: string): 'argument' | 'in-argument' | 'file' | undefined => {
    const args = existsSync(argvLog) ? readFileSync(argvLog, 'utf8').split('\0') : [];
    if (args.includes(value)) return 'argument';
    if (args.some((a) => a.includes(value))) return 'in-argument';
    if (written().some((f) => readFileSync(f, 'utf8').includes(value))) return 'file';
    return undefined;
  };
  for (const [pkgName, pkg] of PACKAGES.slice(1)) {
    for (const { id: name, definition: def } of modulesOf(pkg)) {
      it(`${pkgName}: ${name}`, async () => {
        const c = CASES[name];
        expect(c, `no valid params for ${name}: give them in ${pkgName}'s test/fuzz-cases.ts`).toBeDefined();
        const { base, targets } = c as FuzzCase;
        const fn = Object.values(pkg).find((v) => typeof v === 'function' && (v as { definition?: unknown }).definition === def) as (p: unknown) => Task;
        const make = (params: Record<string, unknown>): Task => fn(params);
        // the base params themselves are valid: the probes and the apply run
        const baseline = await runPlaybook({ playbook: definePlaybook({ name: 'fuzz', hosts: 'all', tasks: [make(base)] }), playbookPath: join(dir, 'playbook.ts'), inventory: inventory(), transport: () => transport });
        expect(baseline.tasks.length, `${name}: base params run`).toBe(1);
        const reached: Record<string, number> = {};
        const refused: Record<string, number> = {};
        const seen: Record<string, number> = {};
        let turn = 0;
        await fc.assert(
          // every target param in turn, each with a fresh hostile value
          fc.asyncProperty(evil, async (value) => {
            const keys = Object.keys(targets);
            const key = keys[turn++ % keys.length] as string;
            const params = { ...base, ...(targets[key] as (v: string) => Record<string, unknown>)(value) };
            let report: RunReport | undefined;
            writeFileSync(argvLog, '');
            try {
              report = await runPlaybook({ playbook: definePlaybook({ name: 'fuzz', hosts: 'all', tasks: [make(params)] }), playbookPath: join(dir, 'playbook.ts'), inventory: inventory(), transport: () => transport });
            } catch (e) {
              expectConvergeError(e);
              const field = key.replace(/\[\d+\]/g, '').split('.').pop() as string;
              expect((e as Error).message, `${name}: refusal of ${key} names it`).toContain(field);
              refused[key] = (refused[key] ?? 0) + 1;
            }
            if (report) {
              const status = report.tasks[0]?.status as string;
              reached[`${key} ${status}`] = (reached[`${key} ${status}`] ?? 0) + 1;
              const where = arrival(value);
              if (where) seen[where] = (seen[where] ?? 0) + 1;
            }
            expect(existsSync(pwned), `${name}: ${key} = ${JSON.stringify(value)} was interpreted by the shell`).toBe(false);
          }),
          { numRuns: 6, seed: 7 },
        );
        console.log(`fuzz: ${name}: reached the shell ${JSON.stringify(reached)}, refused ${JSON.stringify(refused)}, arrived intact ${JSON.stringify(seen)}`);
      });
    }
  }
});
