import { describe, expect, it } from 'vitest';
import { DEFAULT_ALGORITHMS, jumpHostCiphers } from './algorithms.js';

const CHACHA = 'chacha20-poly1305@openssh.com';

describe('jumpHostCiphers', () => {
  it.each([
    ['the defaults, with the native binding', DEFAULT_ALGORITHMS.cipher, true, DEFAULT_ALGORITHMS.cipher],
    ['the defaults, without it', DEFAULT_ALGORITHMS.cipher, false, DEFAULT_ALGORITHMS.cipher.filter((c) => c !== CHACHA)],
    ['chacha20-poly1305 alone, with the native binding', [CHACHA], true, [CHACHA]],
    ['a list without chacha20-poly1305, without the binding', ['aes256-ctr', 'aes128-ctr'], false, ['aes256-ctr', 'aes128-ctr']],
    ['chacha20-poly1305 last, without the binding', ['aes256-gcm@openssh.com', CHACHA], false, ['aes256-gcm@openssh.com']],
  ])('%s', (_name, ciphers, nativeCrypto, expected) => {
    expect(jumpHostCiphers(ciphers, nativeCrypto, 'jump host root@b:22')).toEqual(expected);
  });

  it('refuses a jump host allowed only chacha20-poly1305 without the binding, naming it', () => {
    expect(() => jumpHostCiphers([CHACHA], false, 'jump host root@b:22')).toThrow(
      expect.objectContaining({ code: 'CONVERGE_INVENTORY', message: expect.stringContaining('jump host root@b:22: Ciphers allows only chacha20-poly1305@openssh.com') }),
    );
  });
});
