export { SshTransport } from './ssh-transport.js';
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
export { expandSshPath, parseProxyJump, resolveSshConfig } from './ssh-config.js';
export type { JumpHop, SshConfigHost } from './ssh-config.js';
export { ALGORITHM_SETTINGS, DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, applyAlgorithmSetting } from './algorithms.js';
export type { SshAlgorithms } from './algorithms.js';
export { HostKeyPins } from './host-key-pins.js';
export { sshHostOptions } from './host-options.js';
export type { SshHostOptions } from './host-options.js';
