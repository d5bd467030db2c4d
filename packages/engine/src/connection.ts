/**
 * The light entry of the engine (`@converge/engine/connection`): how a host is reached and which
 * part of a split run it belongs to, without the run itself (and the template engine it loads),
 * so that the command line can open connections while it loads the rest.
 *
 * @module
 */
export { connectionSpec } from './internal/run/connection-spec.js';
export { parseShard, shardHosts } from './internal/run/shard.js';
export { DEFAULT_CONNECT_CONCURRENCY } from './internal/run/run-options.js';
