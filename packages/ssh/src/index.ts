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
