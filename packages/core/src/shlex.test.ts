import { describe, expect, test } from 'vitest';
import { shlexSplit } from './shlex.js';

describe('shlexSplit splits like Python shlex.split (POSIX mode)', () => {
  test.each([
    ['echo hello world', ['echo', 'hello', 'world']],
    [`echo "a b" 'c d'`, ['echo', 'a b', 'c d']],
    [`printf '%s\\n' x`, ['printf', '%s\\n', 'x']],
    [`echo a\\ b`, ['echo', 'a b']],
    [`echo "say \\"hi\\" \\$HOME"`, ['echo', 'say "hi" \\$HOME']],
    [`echo 'it'"'"'s'`, ['echo', "it's"]],
    [`echo ""`, ['echo', '']],
    ['  spaced\t out  ', ['spaced', 'out']],
    ['ls | wc -l', ['ls', '|', 'wc', '-l']],
  ])('%s', (line, argv) => {
    expect(shlexSplit(line)).toEqual(argv);
  });

  test.each([`echo "open`, `echo 'open`, 'echo \\'])('%s is an error', (line) => {
    expect(() => shlexSplit(line)).toThrow();
  });
});

describe('shlexSplit with comments, as Ansible reads an INI host line', () => {
  test.each([
    ['web1 x=1 # a comment', ['web1', 'x=1']],
    ['web1 a=b#c d=e', ['web1', 'a=b']],
    ["web1 a='b#c'", ['web1', 'a=b#c']],
    ['# only a comment', []],
  ])('%s', (line, words) => {
    expect(shlexSplit(line, { comments: true })).toEqual(words);
  });

  test('without comments, # is part of a word', () => {
    expect(shlexSplit('echo a#b # c')).toEqual(['echo', 'a#b', '#', 'c']);
  });

  test.each([
    [`echo "open`, 'No closing quotation'],
    ['echo \\', 'No escaped character'],
  ])('%s fails with Python\'s message', (line, message) => {
    expect(() => shlexSplit(line)).toThrow(message);
  });
});
