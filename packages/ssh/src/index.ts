export { SshTransport, checkSshConnection } from './ssh-transport.js';
export type { SshOptions, SshStats, PutOptions, GetOptions } from './ssh-transport.js';
export {
  appendKnownHost,
  checkHostKey,
  hostFieldMatches,
  hostKeyFingerprint,
  hostKeyType,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from './known-hosts.js';
export type { HostKeyVerdict, KnownHostsEntry } from './known-hosts.js';
export { expandSshPath, expandSshTokens, interpretSshDirectives, parseProxyJump, readSshConfig, resolveSshConfig, splitSshArgs } from './ssh-config.js';
export type { JumpHop, SshConfigContext, SshConfigHost, SshTokens } from './ssh-config.js';
export { parseSshArgs } from './ssh-args.js';
export type { SshArgs } from './ssh-args.js';
export { SSH_KEYWORDS, canonicalKeyword, checkSshDirective } from './ssh-keywords.js';
export type { SshDirective, SshKeywordHandling, SshSettingSource } from './ssh-keywords.js';
export { KeyPassphrases } from './key-passphrases.js';
export type { KeyPassphrasesOptions, UnlockOptions, UnlockedKey } from './key-passphrases.js';
export { ALGORITHM_SETTINGS, DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, applyAlgorithmSetting } from './algorithms.js';
export type { SshAlgorithms } from './algorithms.js';
export { HostKeyPins } from './host-key-pins.js';
export { sshHostOptions } from './host-options.js';
export type { SshHostOptions } from './host-options.js';
export { ControlServer } from './control-server.js';
export type { ControlServerOptions, KeptConnection } from './control-server.js';
export { ControlledTransport, controlRequest } from './controlled-transport.js';
export type { ControlClientOptions } from './controlled-transport.js';
export { controlSocketPath, defaultControlDir, ensureControlDir } from './control-protocol.js';
export type { ControlSshOptions } from './control-protocol.js';
