// How long to wait before the next try after `failures` failed syncs in a row.

/** Capped exponential backoff with full jitter (AWS architecture blog; pouchdb's replicator). */
export function retryDelay(failures, {baseMs = 2000, capMs = 5 * 60_000} = {}) {
  return Math.random() * Math.min(capMs, baseMs * 2 ** failures);
}
