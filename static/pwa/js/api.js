// HTTP to the Xuncha API with the device token. No DOM: the service worker imports this file too.
import {getMeta} from './meta.js';

/** The network or the server could not answer; try again later. */
export class RetryLater extends Error {}

/** The server answered with a refusal that will not change by retrying (a 4xx other than 401/408/429). */
export class Refused extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || 'http_' + status;
    this.field = error?.field || null;
  }
}

/** The device token is missing, expired or revoked: log in again; nothing queued is lost. */
export class NeedsLogin extends Error {}

const RETRYABLE = new Set([408, 425, 429]);

/** Call the API; answer the parsed JSON body, or throw RetryLater, Refused or NeedsLogin. */
export async function apiFetch(path, {method = 'GET', json, body, contentType} = {}) {
  const token = await getMeta('token');
  if (!token) throw new NeedsLogin('no device token');
  const headers = {Authorization: `Bearer ${token}`, Accept: 'application/json'};
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  if (contentType) headers['Content-Type'] = contentType;
  let response;
  try {
    response = await fetch(path, {method, headers, body: json !== undefined ? JSON.stringify(json) : body,
      cache: 'no-store', credentials: 'omit'});
  } catch (error) {
    throw new RetryLater(error.message);
  }
  // Check the body, not just the status: only the API answers JSON (a proxy's error page would not).
  const data = await response.json().catch(() => null);
  if (response.ok && data !== null) return data;
  if (response.status === 401) throw new NeedsLogin(data?.error?.message || 'unauthorized');
  if (response.status >= 500 || RETRYABLE.has(response.status) || data === null) {
    throw new RetryLater(`HTTP ${response.status}`);
  }
  throw new Refused(response.status, data.error);
}
