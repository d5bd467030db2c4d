// Firewall modules: nftables and ufw. Re-exported by the package index.
export { nftables, NftablesParams, keepSsh, loadRecordPath } from './firewall/nftables.js';
export type { NftablesPlan } from './firewall/nftables.js';
export { NftTable, NftChain, NftSet, renderRuleset, renderTable, ruleProblem, withoutElements } from './firewall/nftables-ruleset.js';
export type { KeepSsh } from './firewall/nftables-ruleset.js';
export { nftablesTables, parseNftablesState, parseLoadRecord } from './firewall/nftables-facts.js';
export type { NftablesState, NftablesArgs } from './firewall/nftables-facts.js';
export { ufw, UfwParams, ufwTuple, ufwRuleArgs, tupleAllowsSsh } from './firewall/ufw.js';
export type { UfwPlan } from './firewall/ufw.js';
export { ufwState, parseUfwState } from './firewall/ufw-facts.js';
export type { UfwState } from './firewall/ufw-facts.js';
export { sshSession, parseSshSession, FIND_SSH_CONNECTION } from './firewall/ssh-session.js';
export type { SshSession } from './firewall/ssh-session.js';
