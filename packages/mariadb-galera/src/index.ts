// @converge/mariadb-galera: MariaDB accounts, grants and databases, and Galera cluster nodes.
export { sqlString, sqlIdent, accountName, mariadbClient } from './sql/quote.js';
export { nativePasswordHash, ed25519PasswordHash, authenticationString, authMethods } from './sql/auth.js';
export type { AuthPlugin, AuthMethod } from './sql/auth.js';
export {
  ALL_PRIVILEGES,
  canonicalObject,
  objectLevel,
  privilegeTokens,
  parseGrantLine,
  parseShowGrants,
  wantedGrants,
  diffGrants,
  privilegeList,
  describeGrants,
} from './sql/grants.js';
export type { ObjectGrant, GrantSet, WantedGrant, GrantDifference } from './sql/grants.js';
export { mariadbAccount, mariadbSchema, parseAccount, parseSchema, accountResource, schemaResource } from './sql/server-facts.js';
export type { AccountInfo, SchemaInfo, ServerState } from './sql/server-facts.js';
export { mariadbUser, MariadbUserParams, authMatches } from './sql/user.js';
export { mariadbGrants, MariadbGrantsParams, GrantEntry, grantStatements } from './sql/grants-module.js';
export { mariadbDatabase, MariadbDatabaseParams } from './sql/database.js';
export {
  STATE_SCRIPT,
  DEFAULT_STATE_PORT,
  ZERO_UUID,
  SERVER_RESOURCE,
  galeraNode,
  galeraPeers,
  parseNodeState,
  parsePeers,
} from './galera/node-state.js';
export type { NodeState, WsrepStatus, Grastate, ClusterNode, PeerState } from './galera/node-state.js';
export { decideCluster, isFresh, isPrimary, isSynced, knownSeqno } from './galera/decision.js';
export type { ClusterDecision } from './galera/decision.js';
export { galeraBootstrap, galeraMember, galeraRestart, ClusterParams, GALERA_CONFIG_PATH, waitSyncedScript, sstAccountSql } from './galera/cluster.js';
export { galeraConfig, GaleraConfigParams, renderGaleraConfig } from './galera/config.js';
export {
  galeraStateEndpoint,
  stateEndpointHandlers,
  stateSocketUnit,
  STATE_SERVICE_UNIT,
  STATE_HTTP_SCRIPT,
  STATE_SCRIPT_PATH,
  STATE_HTTP_PATH,
  STATE_SOCKET_HANDLER,
} from './galera/state-endpoint.js';
export type { StateEndpointOptions } from './galera/state-endpoint.js';

import { mariadbDatabase } from './sql/database.js';
import { mariadbGrants } from './sql/grants-module.js';
import { mariadbUser } from './sql/user.js';
import { galeraBootstrap, galeraMember, galeraRestart } from './galera/cluster.js';
import { galeraConfig } from './galera/config.js';

/** The mariadb family: `mariadb.user`, `mariadb.grants`, `mariadb.database`. */
export const mariadb: { readonly user: typeof mariadbUser; readonly grants: typeof mariadbGrants; readonly database: typeof mariadbDatabase } = {
  user: mariadbUser,
  grants: mariadbGrants,
  database: mariadbDatabase,
};

/** The galera family: `galera.config`, `galera.bootstrap`, `galera.member`, `galera.restart`. */
export const galera: {
  readonly config: typeof galeraConfig;
  readonly bootstrap: typeof galeraBootstrap;
  readonly member: typeof galeraMember;
  readonly restart: typeof galeraRestart;
} = { config: galeraConfig, bootstrap: galeraBootstrap, member: galeraMember, restart: galeraRestart };
