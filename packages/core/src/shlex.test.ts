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
