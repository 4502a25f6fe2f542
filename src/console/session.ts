/**
 * Console request guards: the language, the session cookie (HttpOnly, SameSite=Strict, Secure except
 * on loopback, Path=/console), the CSRF token of every state change, and who may see which page.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ElicenceError } from '../core/errors.js';
import { principalOf } from '../services/accounts.js';
import { readSession } from '../services/sessions.js';
import type { Action } from '../services/tokens.js';
import type { ConsoleEnv } from './env.js';
import { type Lang, MESSAGES } from './i18n.js';

export const SESSION_COOKIE = 'elc_session';
/** The sign-in form's own CSRF token (double submit: cookie and form field), before any session exists. */
export const SIGN_IN_COOKIE = 'elc_signin';
const LANG_COOKIE = 'elc_lang';
/** The CSRF token of a script's JSON request (a cross-site page cannot set it without a CORS preflight, which the console never grants). */
export const CSRF_HEADER = 'X-CSRF-Token';
const COOKIE_PATH = '/console';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Cookies are Secure except when the console is reached on loopback over plain HTTP (development). */
export const secureCookies = (c: Context): boolean => !LOOPBACK.has(new URL(c.req.url).hostname);

export function setConsoleCookie(c: Context, name: string, value: string, maxAgeSeconds?: number): void {
  setCookie(c, name, value, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: secureCookies(c),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  });
}

export const clearConsoleCookie = (c: Context, name: string) => deleteCookie(c, name, { path: COOKIE_PATH, secure: secureCookies(c) });

/** Language: `?lang=` (remembered in a cookie), else the cookie, else Chinese. Also marks every page private. */
export const consoleBasics: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const asked = c.req.query('lang');
  let lang: Lang = getCookie(c, LANG_COOKIE) === 'en' ? 'en' : 'zh';
  if (asked === 'en' || asked === 'zh') {
    lang = asked;
    setCookie(c, LANG_COOKIE, lang, { path: COOKIE_PATH, sameSite: 'Strict', secure: secureCookies(c), maxAge: 365 * 86400 });
  }
  c.set('lang', lang);
  c.set('m', MESSAGES[lang]);
  await next();
  // Pages carry personal data: never stored. (The hashed assets set their own.)
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
};

/**
 * A state change must come from this origin when the browser says where it came from. Under the app's
 * `Referrer-Policy: no-referrer` browsers send `Origin: null` for form posts, which says nothing, like
 * no Origin at all: the CSRF token (and SameSite=Strict) decide then.
 */
export function assertSameOrigin(c: Context): void {
  const origin = c.req.header('origin');
  if (origin && origin !== 'null' && origin !== new URL(c.req.url).origin) throw new ElicenceError('ERR_FORBIDDEN', 'cross-origin form submission refused', { field: '_csrf' });
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function assertCsrf(expected: string | undefined, given: unknown): void {
  if (typeof given !== 'string' || expected === undefined || !constantTimeEqual(expected, given)) {
    throw new ElicenceError('ERR_FORBIDDEN', 'missing or wrong CSRF token', { field: '_csrf' });
  }
}

/** Form fields of a POST, as strings (files and repeated names: the last string). */
export async function formBody(c: Context): Promise<Record<string, string | undefined>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(type)) {
    throw new ElicenceError('ERR_UNSUPPORTED_MEDIA_TYPE', 'console forms are sent as application/x-www-form-urlencoded', { field: 'Content-Type' });
  }
  const parsed = await c.req.parseBody({ all: true });
  const body: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last === 'string') body[key] = last;
  }
  // All values of a repeated field (checkbox groups) under name[]: kept as a JSON list.
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) body[`${key}[]`] = JSON.stringify(value.filter((v) => typeof v === 'string'));
  }
  return body;
}

/** The whole list of a repeated form field (checkboxes). */
export const listField = (body: Record<string, string | undefined>, name: string): string[] => {
  const all = body[`${name}[]`];
  if (all) return JSON.parse(all) as string[];
  const one = body[name];
  return one === undefined ? [] : [one];
};

/**
 * Pages behind sign-in: a live, fully signed-in session (else to the sign-in page), a password that
 * was changed after the first sign-in (else to the password page), and on POST the CSRF token.
 */
export const requireStaff: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const cookie = getCookie(c, SESSION_COOKIE);
  const live = cookie ? await readSession(c.var.services, cookie) : undefined;
  if (live?.session.stage !== 'full') {
    if (c.req.method !== 'GET') throw new ElicenceError('ERR_UNAUTHENTICATED', 'sign in first');
    const back = new URL(c.req.url);
    return c.redirect(`/console/sign-in?next=${encodeURIComponent(back.pathname + back.search)}${cookie ? '&expired=1' : ''}`, 303);
  }
  c.set('live', live);
  c.set('principal', principalOf(live.account, live.session.id));
  if (c.req.method === 'POST') {
    assertSameOrigin(c);
    // The import page's script posts JSON (POST /console/import/batch) with the token in a header; forms carry it as a field.
    const json = /^application\/json/i.test(c.req.header('content-type') ?? '');
    assertCsrf(live.session.csrfToken, json ? c.req.header(CSRF_HEADER) : (await formBody(c))['_csrf']);
  }
  if (live.account.mustChangePassword && c.req.path !== '/console/password') return c.redirect('/console/password', 303);
  return next();
};

/** The signed-in role must carry `action` (403 otherwise), as a token must carry its scope. */
export const requireRole =
  (action: Action): MiddlewareHandler<ConsoleEnv> =>
  async (c, next) => {
    if (!c.var.principal.actions.has(action)) throw new ElicenceError('ERR_FORBIDDEN', `your role may not do this (needs "${action}")`);
    return next();
  };
