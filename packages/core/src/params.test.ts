import { describe, expect, it } from 'vitest';
import { Type, type TSchema } from '@sinclair/typebox';
import { isConvergeError } from './errors.js';
import { validateParams } from './params.js';

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
