import { ConvergeError, shlexSplit } from '@converge/core';
import { canonicalKeyword, checkSshDirective } from './ssh-keywords.js';
import type { SshDirective, SshSettingSource } from './ssh-keywords.js';
import { parseSshLine } from './ssh-config.js';

/** What an ssh(1) argument string says: its settings in order and the config file of `-F`. */
export interface SshArgs {
  /** `-o` options and the flags that stand for a keyword (`-p` Port, `-i` IdentityFile, ...). */
  directives: SshDirective[];
  /** `-F FILE`: the ssh config file to read instead of `~/.ssh/config`. */
  configFile?: string;
}

/** ssh(1) flags that take an argument, and the keyword each stands for (`undefined`: no keyword, refused). */
const WITH_ARGUMENT: Readonly<Record<string, string | undefined>> = {
  b: 'BindAddress',
  B: 'BindInterface',
  c: 'Ciphers',
  D: 'DynamicForward',
  E: undefined,
  e: 'EscapeChar',
  F: undefined,
  I: 'PKCS11Provider',
  i: 'IdentityFile',
  J: 'ProxyJump',
  L: 'LocalForward',
  l: 'User',
  m: 'MACs',
  O: undefined,
  o: undefined,
  P: 'Tag',
  p: 'Port',
  Q: undefined,
  R: 'RemoteForward',
  S: 'ControlPath',
  W: undefined,
  w: 'Tunnel',
};

/** ssh(1) flags without an argument, as the setting each stands for (`undefined`: refused). */
const FLAGS: Readonly<Record<string, [string, string] | undefined>> = {
  '4': ['AddressFamily', 'inet'],
  '6': ['AddressFamily', 'inet6'],
  A: ['ForwardAgent', 'yes'],
  a: ['ForwardAgent', 'no'],
  C: ['Compression', 'yes'],
  g: ['GatewayPorts', 'yes'],
  K: ['GSSAPIAuthentication', 'yes'],
  k: ['GSSAPIDelegateCredentials', 'no'],
  q: ['LogLevel', 'QUIET'],
  v: ['LogLevel', 'VERBOSE'],
  T: ['RequestTTY', 'no'],
  t: ['RequestTTY', 'yes'],
  X: ['ForwardX11', 'yes'],
  x: ['ForwardX11', 'no'],
  Y: ['ForwardX11', 'yes'],
  y: ['SyslogFacility', 'USER'],
  f: undefined,
  G: undefined,
  M: undefined,
  N: undefined,
  n: undefined,
  s: undefined,
  V: undefined,
};

const NOT_A_SESSION = 'converge opens its own sessions';

const FLAG_MEANING: Readonly<Record<string, string>> = {
  E: 'converge writes no ssh log file; use --log',
  f: NOT_A_SESSION,
  G: NOT_A_SESSION,
  M: 'converge keeps one connection per host by itself (no ControlMaster)',
  N: NOT_A_SESSION,
  n: NOT_A_SESSION,
  O: 'converge keeps one connection per host by itself (no ControlMaster)',
  Q: NOT_A_SESSION,
  s: NOT_A_SESSION,
  V: NOT_A_SESSION,
  W: 'converge opens its own sessions; for a bastion use -J or ProxyJump, or ProxyCommand with ssh -W',
};

/**
 * Parses an ssh(1) argument string, as Ansible passes `ssh_args`, `ssh_common_args` and
 * `ssh_extra_args` to ssh: split like Python's `shlex.split`, then read with ssh's option
 * rules (bundled flags `-4C`, attached values `-p2222` and `-oKey=value`). Each `-o` option
 * and each flag that stands for a keyword becomes an {@link SshDirective} checked against
 * `SSH_KEYWORDS`; `-F FILE` selects the config file.
 *
 * Source: ssh(1) of OpenSSH 9.2 (flags and the keyword each sets); ansible-core 2.14
 * `plugins/connection/ssh.py` (`_split_ssh_args`).
 *
 * @throws ConvergeError with `source.code`, naming the flag or option and where it was written,
 * for anything converge does not implement: a flag without a converge meaning, a destination or
 * command word, an unsupported keyword, a flag without its argument.
 */
export function parseSshArgs(text: string, source: Omit<SshSettingSource, 'origin'>): SshArgs {
  const src: SshSettingSource = { ...source, origin: 'command-line' };
  let words: string[];
  try {
    words = shlexSplit(text).map((w) => w.trim()).filter((w) => w !== '');
  } catch (cause) {
    throw new ConvergeError(src.code, `${src.where}: ${(cause as Error).message}`, { cause });
  }
  const out: SshArgs = { directives: [] };
  const refuse = (flag: string, why: string) =>
    new ConvergeError(src.code, `${src.where}: the ssh flag -${flag} is not supported: ${why}`, {
      hint: 'remove it; the README (SSH section) lists the ssh flags and options converge implements',
    });
  const add = (keyword: string, value: string, shown: string) => {
    const d = parseSshLine(`${keyword} ${value}`, { ...src, where: `${src.where} (${shown})` });
    if (d) {
      checkSshDirective(d);
      out.directives.push(d);
    }
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('-') || word === '-') {
      throw new ConvergeError(src.code, `${src.where}: unexpected argument ${JSON.stringify(word)}: converge takes only ssh options here, no destination or command`, {
        hint: 'give ssh options only, e.g. -o ProxyJump=user@bastion',
      });
    }
    for (let j = 1; j < word.length; j++) {
      const flag = word[j] as string;
      if (flag in WITH_ARGUMENT) {
        let value = word.slice(j + 1);
        if (value === '') {
          const next = words[++i];
          if (next === undefined) throw new ConvergeError(src.code, `${src.where}: the ssh flag -${flag} needs an argument`);
          value = next;
        }
        if (flag === 'o') {
          const d = parseSshLine(value, { ...src, where: `${src.where} (-o ${value})` });
          if (!d) throw new ConvergeError(src.code, `${src.where}: empty -o option`);
          if (['Host', 'Match', 'Include'].includes(d.keyword)) {
            throw new ConvergeError(src.code, `${src.where}: -o ${d.keyword} is not allowed on the command line (as with ssh)`, { hint: 'write it in an ssh config file and select the file with -F' });
          }
          checkSshDirective(d);
          out.directives.push(d);
        } else if (flag === 'F') {
          if (out.configFile === undefined) out.configFile = value;
        } else {
          const keyword = WITH_ARGUMENT[flag];
          if (keyword === undefined) throw refuse(flag, FLAG_MEANING[flag] ?? 'converge does not implement it');
          add(canonicalKeyword(keyword), keyword === 'ProxyCommand' ? value : quoteArg(value), `-${flag} ${value}`);
        }
        break;
      }
      if (!(flag in FLAGS)) throw refuse(flag, 'ssh has no such flag');
      const setting = FLAGS[flag];
      if (setting === undefined) throw refuse(flag, FLAG_MEANING[flag] ?? 'converge does not implement it');
      // -tt forces a terminal, as RequestTTY force.
      if (flag === 't' && word[j + 1] === 't') {
        add('RequestTTY', 'force', '-tt');
        j++;
        continue;
      }
      add(setting[0], setting[1], `-${flag}`);
    }
  }
  return out;
}

/** Quotes a flag's value for {@link parseSshLine}, so that a path with spaces stays one argument. */
function quoteArg(value: string): string {
  return /[\s"'\\#]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}
