/**
 * A browser-less console user for tests and the page budget: a cookie jar over app.request (or any
 * fetch), reading each form's CSRF token from the page it came from, and posting forms as a browser
 * would (application/x-www-form-urlencoded, with the page's Origin).
 */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  lastHtml = '';

  constructor(
    private readonly fetchFn: Fetch,
    readonly origin = 'http://127.0.0.1:8787',
  ) {}

  #remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string): Promise<Response> {
    const res = await this.fetchFn(`${this.origin}${path}`, { headers: { cookie: this.cookieHeader() }, redirect: 'manual' });
    this.#remember(res);
    return res;
  }

  /** GET, returning the page's HTML (and keeping it for the next post's CSRF token). */
  async page(path: string): Promise<{ status: number; html: string; res: Response }> {
    const res = await this.get(path);
    const html = await res.text();
    this.lastHtml = html;
    return { status: res.status, html, res };
  }

  /** The CSRF token of the last page fetched. */
  csrf(html = this.lastHtml): string {
    return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }

  async post(path: string, fields: Record<string, string | string[]>, options: { csrf?: string | null; origin?: string } = {}): Promise<Response> {
    const body = new URLSearchParams();
    const csrf = options.csrf === undefined ? this.csrf() : options.csrf;
    if (csrf !== null) body.append('_csrf', csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    const res = await this.fetchFn(`${this.origin}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', origin: options.origin ?? this.origin },
      body: body.toString(),
      redirect: 'manual',
    });
    this.#remember(res);
    return res;
  }

  /** Posts and follows one redirect, returning the page reached. */
  async submit(
    path: string,
    fields: Record<string, string | string[]>,
    options: { csrf?: string | null } = {},
  ): Promise<{ status: number; html: string; location: string | null }> {
    const res = await this.post(path, fields, options);
    const location = res.headers.get('location');
    if (res.status === 303 && location) {
      const next = await this.page(location);
      return { status: next.status, html: next.html, location };
    }
    const html = await res.text();
    this.lastHtml = html;
    return { status: res.status, html, location };
  }

  async signIn(login: string, password: string): Promise<{ status: number; html: string; location: string | null }> {
    await this.page('/console/sign-in');
    return this.submit('/console/sign-in', { login, password });
  }
}
