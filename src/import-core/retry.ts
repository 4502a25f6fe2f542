/**
 * Sending a batch again when the network or the service failed: network errors, 429 and 5xx answers are
 * retried with backoff (Retry-After when the service gives one). Safe because every row carries its
 * idempotency key: a batch the service did commit before the connection broke is answered, not issued,
 * the second time. Shared by the command line's HTTP issuer and the console's import page.
 */
import { ElicenceError } from '../core/errors.js';

/** Attempts per request by default (about 30 s of backoff). */
export const DEFAULT_ATTEMPTS = 6;

/** `label` names the target in the error when every attempt failed without an answer. */
export async function fetchWithRetry(doFetch: typeof fetch, url: string, init: RequestInit, attempts = DEFAULT_ATTEMPTS, label = url): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    let failure: unknown;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      failure = error;
    }
    const retryable = !response || response.status === 429 || response.status >= 500;
    if (!retryable) return response!;
    if (attempt >= attempts) {
      if (response) return response;
      throw new ElicenceError('ERR_INTERNAL', `cannot reach ${label}: ${(failure as Error)?.message ?? failure}`, { cause: failure });
    }
    await response?.body?.cancel();
    const retryAfter = Number(response?.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 500 * 2 ** (attempt - 1)));
  }
}
