import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Type, type TSchema } from '@sinclair/typebox';
import { isConvergeError } from './errors.js';
import { enableValidatorCache, validateParams, validateVars } from './params.js';
import { SecretValue } from './schema.js';
import { secret } from './secret.js';

describe('validateParams', () => {
  it('validates params against a TypeBox schema and applies defaults', () => {
    const schema = Type.Object({ path: Type.String(), mode: Type.String({ default: '0644' }) }, { additionalProperties: false });
    expect(validateParams(schema, { path: '/etc/motd' }, 'task "motd"')).toEqual({ path: '/etc/motd', mode: '0644' });
    let err: unknown;
    try {
      validateParams(schema, { path: 1, owner: 'root' }, 'task "motd"');
    } catch (e) {
      err = e;
    }
    expect(isConvergeError(err) && err.code).toBe('CONVERGE_PARAMS');
    expect((err as Error).message).toContain('task "motd": invalid params:');
    expect((err as Error).message).toContain('/path: must be string (got 1)');
    expect((err as Error).message).toContain('unknown param "owner"');
  });

  it('still checks a hand-written schema (not built by TypeBox) against the JSON Schema meta-schema', () => {
    const schema = { type: 'object', properties: { port: { type: 'integer', minimum: '1' } } } as unknown as TSchema;
    expect(() => validateParams(schema, { port: 22 }, 'task "x"')).toThrow(/^schema is invalid: data\/properties\/port\/minimum must be number$/);
  });

  it('accepts a valid hand-written schema', () => {
    const schema = { type: 'object', properties: { port: { type: 'integer', minimum: 1 } }, required: ['port'] } as unknown as TSchema;
    expect(validateParams(schema, { port: 22 }, 'task "x"')).toEqual({ port: 22 });
    expect(() => validateParams(schema, { port: 0 }, 'task "x"')).toThrow(/\/port: must be >= 1 \(got 0\)/);
  });

  it.each([
    [{ state: 'gone' }, '/state: must be one of "present", "absent" (got "gone")'],
    [{ mode: true }, '/mode: must be a string or an integer (got true)'],
    [{ list: ['a', 'c'] }, '/list/1: must be one of "a", "b" (got "c")'],
    [{ kind: 'b' }, '/kind: must be "a" (got "b")'],
    [{ level: 'high' }, '/level: must be one of "low", "mid" (got "high")'],
  ])('an error on a union says what is allowed: %j', (params, message) => {
    const schema = Type.Object({
      state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
      mode: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
      list: Type.Optional(Type.Array(Type.Union([Type.Literal('a'), Type.Literal('b')]))),
      kind: Type.Optional(Type.Literal('a')),
      level: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['low', 'mid'] })),
    });
    expect(() => validateParams(schema, params, 'task "x"')).toThrow(`task "x": invalid params:\n  ${message}`);
  });
});

describe('the validator cache', () => {
  const base = mkdtempSync(join(tmpdir(), 'converge-validators-'));
  afterAll(() => {
    enableValidatorCache(undefined);
    rmSync(base, { recursive: true, force: true });
  });
  const schema = Type.Object(
    {
      path: Type.String({ minLength: 1 }),
      mode: Type.String({ default: '0644' }),
      state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
      password: Type.Optional(Type.Unsafe({ type: 'object', 'x-converge-secret': true })),
      pair: Type.Optional(Type.Union([Type.Literal(1), Type.Object({ a: Type.Array(Type.Integer()) })])),
      items: Type.Optional(Type.Array(Type.String(), { uniqueItems: true })),
    },
    { additionalProperties: false },
  );
  const outcome = (s: TSchema, params: unknown): unknown => {
    try {
      // A copy: validation writes defaults into the params it is given.
      return { ok: validateParams(s, typeof params === 'object' && params !== null && !('password' in params) ? structuredClone(params) : params, 'task "x"') };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const settled = async (dir: string, n: number) => {
    for (let i = 0; i < 100 && readdirSync(dir).filter((f) => f.endsWith('.cjs')).length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };
  const cases: unknown[] = [
    { path: '/etc/motd' },
    { path: '' },
    { path: 1, owner: 'root' },
    { path: '/x', state: 'gone', mode: 7 },
    { path: '/x', pair: { a: [1, 'b'] } },
    { path: '/x', items: ['a', 'a'] },
    { path: '/x', password: { notASecret: true } },
  ];

  it('gives the same params, defaults and errors from a validator read back from disk as from one ajv compiled', async () => {
    const compiledOutcomes = cases.map((c) => outcome(schema, c));
    const dir = join(base, 'ok');
    enableValidatorCache(dir);
    // A copy of the schema object (symbols kept): not in this process's memory, so it is compiled and written...
    const first = { ...schema };
    expect(cases.map((c) => outcome(first, c))).toEqual(compiledOutcomes);
    await settled(dir, 1);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, files[0] as string)).mode & 0o777).toBe(0o600);
    // ... and another copy is served from the file.
    expect(cases.map((c) => outcome({ ...schema }, c))).toEqual(compiledOutcomes);
    expect(outcome({ ...schema }, { path: '/x', password: secret('s3cret-value') })).toMatchObject({ ok: { path: '/x' } });
  });

  it('is not used in a directory others may write to: validators are compiled instead', async () => {
    const dir = join(base, 'open');
    enableValidatorCache(dir);
    chmodSync(dir, 0o777);
    enableValidatorCache(dir);
    expect(outcome({ ...schema }, { path: '/etc/motd' })).toEqual({ ok: { path: '/etc/motd', mode: '0644' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('compiles again when a cached file is damaged', async () => {
    const dir = join(base, 'damaged');
    enableValidatorCache(dir);
    outcome({ ...schema }, { path: '/a' });
    await settled(dir, 1);
    const file = join(dir, readdirSync(dir)[0] as string);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'this is not javascript {');
    expect(outcome({ ...schema }, { path: '' })).toEqual(outcome(schema, { path: '' }));
  });
});

describe('validateVars', () => {
  const schema = Type.Object({ http_port: Type.Integer({ minimum: 1, maximum: 65535 }), db_password: Type.Optional(SecretValue()), tags: Type.Optional(Type.Array(Type.String())) });
  it.each([
    ['vars that fit', { http_port: 8080, inventory_hostname: 'web1' }, undefined],
    ['a var not defined', { inventory_hostname: 'web1' }, /var http_port is not defined/],
    ['a number written as text', { http_port: '8080' }, /var http_port: must be integer \(got "8080"\)[\s\S]*-e key=value gives strings/],
    ['a value out of range', { http_port: 70000 }, /var http_port: must be <= 65535 \(got 70000\)/],
    ['a secret where a secret is declared', { http_port: 1, db_password: secret('s3cr3t') }, undefined],
    ['a list item of another type', { http_port: 1, tags: ['a', 2] }, /var tags\/1: must be string \(got 2\)/],
    ['text where a secret is declared', { http_port: 1, db_password: 'plain' }, /var db_password/],
  ])('%s', (_name, vars, expected) => {
    let said = '';
    try {
      validateVars(schema, vars, 'play "web" on web1');
    } catch (e) {
      said = isConvergeError(e) ? `${e.code} ${e.message}\nhint: ${e.hint}` : String(e);
    }
    if (expected === undefined) expect(said).toBe('');
    else expect(said).toMatch(/^CONVERGE_VARS play "web" on web1: the vars do not fit the declared varsSchema:/);
    if (expected !== undefined) expect(said).toMatch(expected);
  });

  it('changes nothing in the vars (no defaults applied) and names the play and host', () => {
    const withDefault = Type.Object({ port: Type.Integer({ default: 80 }), nested: Type.Object({ x: Type.Optional(Type.String({ default: 'd' })) }) });
    const nested = {};
    expect(() => validateVars(withDefault, { nested }, 'play "web" on web1')).toThrow(/^play "web" on web1: the vars do not fit the declared varsSchema:\n {2}var port is not defined$/);
    expect(nested).toEqual({});
    try {
      validateVars(withDefault, {}, 'play "web" on web1');
    } catch (e) {
      expect(isConvergeError(e) && e.code).toBe('CONVERGE_VARS');
    }
  });
});
