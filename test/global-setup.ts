import { removeStaleTestHosts } from '@converge/testing';

/** Removes test-host containers that crashed runs left behind (older than an hour). */
export default async function setup(): Promise<void> {
  if (process.env.CONVERGE_SKIP_STALE_CLEANUP) return;
  try {
    await removeStaleTestHosts(60);
  } catch {
    // No Docker engine: the integration tests will say so themselves.
  }
}
