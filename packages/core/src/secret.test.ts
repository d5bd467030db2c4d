import { describe, expect, it } from 'vitest';
import { findSecretMask, maskText, maskValue, Secret, secret, secretText, SECRET_MASK } from './secret.js';

describe('Secret masking', () => {
  it('masks secrets by type and by value, also inside larger strings', () => {
    const s = secret('canary-7731-value');
    expect(JSON.stringify(s)).toBe(`"${SECRET_MASK}"`);
    expect(String(s)).toBe(SECRET_MASK);
    expect(maskText('url=postgres://u:canary-7731-value@db')).toBe(`url=postgres://u:${SECRET_MASK}@db`);
    expect(maskValue({ a: [s, 'x canary-7731-value y'] })).toEqual({ a: [SECRET_MASK, `x ${SECRET_MASK} y`] });
  });

  it('copies a value shared by two places twice, and cuts only real cycles', () => {
    const shared = [1, 2];
    expect(maskValue({ a: shared, b: shared })).toEqual({ a: [1, 2], b: [1, 2] });
    const loop: Record<string, unknown> = { name: 'x' };
    loop.self = loop;
    expect(maskValue(loop)).toEqual({ name: 'x', self: '[Circular]' });
  });

  it('secretText builds a Secret lazily from secrets and plain values; findSecretMask finds a secret turned into text', () => {
    let reads = 0;
    const lazy = new Secret(() => { reads++; return 'lazy-canary-8812'; });
    const built = secretText`u=${'app'} p=${lazy} n=${3}`;
    expect(reads).toBe(0);
    expect(String(built)).toBe(SECRET_MASK);
    expect(built.reveal()).toBe('u=app p=lazy-canary-8812 n=3');
    expect(maskText('x lazy-canary-8812')).toBe(`x ${SECRET_MASK}`);
    expect(findSecretMask({ a: 'ok', env: { PW: `pw=${secret('abcd-1234')}` } })).toBe('env.PW');
    expect(findSecretMask({ values: ['x', `${lazy}`] })).toBe('values[1]');
    expect(findSecretMask({ a: built, b: ['fine'] })).toBeUndefined();
  });

  it('masks a value registered after earlier masking, longest first', () => {
    secret('part-5521');
    expect(maskText('a part-5521 b')).toBe(`a ${SECRET_MASK} b`);
    secret('part-5521-and-more');
    expect(maskText('a part-5521-and-more b')).toBe(`a ${SECRET_MASK} b`);
  });
});

describe('masking by value: lines, trailing newlines, short and common-word secrets', () => {
  it.each<[string, string, string, string]>([
    ['a value ending in a newline, shown trimmed', 'pwfile-canary-41\n', 'out: pwfile-canary-41', `out: ${SECRET_MASK}`],
    ['each line of a multi-line value', '-----BEGIN KEY-----\nline-one-canary-88\nline-two-canary-88\n-----END KEY-----\n', '+line-two-canary-88', `+${SECRET_MASK}`],
    ['a line of a multi-line value with \\r\\n', 'crlf-first-line-1\r\ncrlf-second-line-2\r\n', 'x crlf-second-line-2 y', `x ${SECRET_MASK} y`],
    ['the whole multi-line value as one mask', 'whole-a-canary-1\nwhole-b-canary-2', 'k=whole-a-canary-1\nwhole-b-canary-2;', `k=${SECRET_MASK};`],
    ['a long value inside a longer word', 'glued-canary-77', 'xglued-canary-77y', `x${SECRET_MASK}y`],
    ['a 4-7 character value standing as a word', 'blue7', 'password=blue7, ok', `password=${SECRET_MASK}, ok`],
    ['a 4-7 character value inside a word is left (group_vars)', 'group', '/inv/group_vars/all.yml', '/inv/group_vars/all.yml'],
    ['a common word as a secret, inside other words', 'changed', 'unchanged: changedness', 'unchanged: changedness'],
    ['a common word as a secret, as a word', 'changed', 'it changed.', `it ${SECRET_MASK}.`],
    ['a 1-3 character value is masked as a whole text only', 'q7', ' q7\n', SECRET_MASK],
    ['a 1-3 character value inside text is left', 'q8', 'q8 is here', 'q8 is here'],
  ])('%s', (_what, value, text, masked) => {
    secret(value);
    expect(maskText(text)).toBe(masked);
  });

  it('a replacement function keeps different secrets apart', () => {
    secret('apart-one-canary');
    secret('apart-two-canary');
    expect(maskText('a=apart-one-canary b=apart-two-canary', (s) => `<${s.length}:${s.slice(-3)}>`)).toBe('a=<16:ary> b=<16:ary>');
    const seen: string[] = [];
    maskText('apart-two-canary', (s) => (seen.push(s), '#'));
    expect(seen).toEqual(['apart-two-canary']);
  });
});

describe('texts built around secrets', () => {
  it('are masked whole, not line by line: their other lines stay ordinary text', () => {
    const pw = secret('stats-pw-canary-41');
    const cfg = new Secret(`global\n    maxconn 100\nbackend web\n    stats auth ops:${pw.reveal()}\n`, { composite: true });
    cfg.reveal();
    expect(maskText('parsing [x:10] : unknown keyword in global section; backend web')).toBe('parsing [x:10] : unknown keyword in global section; backend web');
    expect(maskText('stats auth ops:stats-pw-canary-41')).toBe(`stats auth ops:${SECRET_MASK}`);
  });

  it('are recognised without the flag when they hold a secret already remembered', () => {
    secret('embedded-canary-77');
    secret('[client]\nuser = app\npassword = embedded-canary-77\n');
    expect(maskText('[client] user = app')).toBe('[client] user = app');
    expect(maskText('password = embedded-canary-77')).toBe(`password = ${SECRET_MASK}`);
  });

  it('secretText with secret parts is such a text; a key of its own is masked line by line', () => {
    const key = secret('-----BEGIN KEY-----\nkey-line-canary-one\n-----END KEY-----');
    const conf = secretText`[tls]\nkey_path = /etc/k\n${key}\n`;
    conf.reveal();
    expect(maskText('[tls]')).toBe('[tls]');
    expect(maskText('+key-line-canary-one')).toBe(`+${SECRET_MASK}`);
  });
});
