// Fetching things: HTTP requests and downloads, archives, repositories, trees and files between
// the controller and the host. Re-exported by the package index.
export { uri, UriParams, uriRequest, uriResult } from './http/uri.js';
export { getUrl, GetUrlParams } from './http/get-url.js';
export { getRequest, httpClient, httpResponse, httpParams, curlConfig, wgetConfig, requestScript, requestConfig, parseResponse, hasSecret, secretIds } from './http/http-request.js';
export type { HttpParamValues, HttpClients, HttpRequestSpec, HttpResponse, HttpResponseArgs, HttpSink } from './http/http-request.js';
export { unarchive, UnarchiveParams, differingMembers } from './unarchive/unarchive.js';
export type { UnarchivePrepared } from './unarchive/unarchive.js';
export { listArchive, archiveFormat } from './unarchive/archive-list.js';
export type { ArchiveFormat, ArchiveMember } from './unarchive/archive-list.js';
export { git, GitParams, gitCheckout, gitRemote, resolveRemote } from './git/git.js';
export type { GitCheckout, GitRemoteRef, GitRemoteArgs } from './git/git.js';
export { synchronize, SynchronizeParams, readLocalTree, diffTrees } from './tree/synchronize.js';
export type { LocalEntry, TreePlan, SynchronizePrepared } from './tree/synchronize.js';
export { treeState } from './tree/tree-state.js';
export type { TreeState, TreeEntry, TreeStateArgs } from './tree/tree-state.js';
export { fetch, FetchParams, fetchDestination } from './fetch/fetch.js';
export type { FetchPrepared } from './fetch/fetch.js';
export { slurp, SlurpParams } from './fetch/slurp.js';
