/**
 * What the shared HTTP suite needs from a runtime: a way to send a request to the app and the
 * development token it was provisioned with. The Node entry wraps app.request() on better-sqlite3;
 * the workerd entry wraps SELF.fetch() on D1.
 */
export interface RequestOptions {
  /** JSON-encoded unless a string; sets Content-Type: application/json. */
  body?: unknown;
  /** Bearer token; the target's token by default, null for none. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface SharedTarget {
  /** Which runtime, for test names. */
  name: string;
  publicUrl: string;
  token: string;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

/** Builds a target from a fetch-like function taking absolute or relative URLs. */
export function fetchTarget(name: string, publicUrl: string, token: string, fetchFn: (url: string, init: RequestInit) => Promise<Response>, base: string): SharedTarget {
  return {
    name,
    publicUrl,
    token,
    request(method, path, { body, token: bearer = token, headers = {} } = {}) {
      const all: Record<string, string> = { ...headers };
      if (bearer !== null) all['Authorization'] = `Bearer ${bearer}`;
      const init: RequestInit = { method, headers: all };
      if (body !== undefined) {
        all['Content-Type'] ??= 'application/json';
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      return fetchFn(new URL(path, base).toString(), init);
    },
  };
}
