/**
 * The agency console at /console: server-rendered pages (hono JSX) for the people at a service window,
 * on the same app and the same services as the API, on Node and on Workers. Every action goes through
 * the service functions the API routes call, as a Principal derived from the signed-in account's role.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Child } from 'hono/jsx';
import type { CardFormat } from '../app/card.css.js';
import { licenceCardHtml } from '../app/card.js';
import { errorResponse, httpStatusOf, toElicenceError, validationError } from '../app/errors.js';
import { BatchIssueRequestSchema, issueBatch } from '../app/licence-batch.js';
import { qrMatrix, qrSvg } from '../app/qr-image.js';
import { clientKeyOf, SlidingWindowCounter } from '../app/rate-limit.js';
import { ElicenceError } from '../core/errors.js';
import { encodeLicenceQr } from '../core/qr/index.js';
import { isRecord, parseStrictJson } from '../core/strict-json.js';
import { changePassword, enableSecondFactor, type Role, signIn, staffNames, verifySecondFactor } from '../services/accounts.js';
import { listAgentAuthorisations, revokeAgentAuthorisation } from '../services/agent-authorisations.js';
import { requireAuthority } from '../services/authorities.js';
import { agencyScope } from '../services/derived-credentials.js';
import { listDevices, removeDevice } from '../services/devices.js';
import { createHolderAccess, groupedHolderCode } from '../services/holder-access.js';
import { issueLicences, type LicenceRow, requestHash } from '../services/issuance.js';
import { effectiveStatus, listLicences, requireLicence } from '../services/licences.js';
import { changeStatus, licenceHistory, MAX_NOTE_LENGTH } from '../services/lifecycle.js';
import { createSession, readSession, revokeSession } from '../services/sessions.js';
import { requireLicenceType } from '../services/tokens.js';
import { newTotpSecret, otpauthUri } from '../services/totp.js';
import { adminConsoleRoutes } from './admin-routes.js';
import { CONSOLE_IMPORT_SCRIPT, CONSOLE_SCRIPT, CONSOLE_STYLE } from './assets.generated.js';
import { chinaDate, chinaDateTime, chinaDayStartMs, endOfLastValidDay, LONG_TERM, startOfChinaDay } from './china-dates.js';
import type { ConsoleEnv } from './env.js';
import { fieldLabelIn, fieldText } from './form-fields.js';
import { amendByPatch, currentSubject, duplicateOf } from './legal-api.js';
import { amendedBody, type Body, patchFrom, readSubject, type ShownProblem, shown } from './licence-form.js';
import { AccountPage, PasswordPage, SecondFactorPage, SignInPage } from './pages/auth.js';
import { ErrorPage } from './pages/error.js';
import { FindPage, type FindQuery } from './pages/find.js';
import { HolderNoticePage } from './pages/holder-notice.js';
import { ImportPage } from './pages/import.js';
import { IssueFormPage, type IssueFormState, PickTypePage } from './pages/issue.js';
import { AmendPage, ConfirmPage, holderNameOf, LicencePage } from './pages/licence.js';
import { type ChangeAction, REASONS_FOR } from './reasons.js';
import {
  assertCsrf,
  assertSameOrigin,
  clearConsoleCookie,
  consoleBasics,
  formBody,
  requireRole,
  requireStaff,
  SESSION_COOKIE,
  SIGN_IN_COOKIE,
  setConsoleCookie,
} from './session.js';

type C = Context<ConsoleEnv>;

const render = (c: C, node: Child, status: 200 | 400 | 401 | 403 | 404 | 409 | 423 | 429 | 500 = 200) => c.html(`<!doctype html>${String(node)}`, status as never);
const urlOf = (c: C) => new URL(c.req.url);
const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => b.toString(16).padStart(2, '0')).join('');
const PAGE_SIZE = 20;
const UUID = /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const CREDIT_CODE_SHAPE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
/** A licence identifier (证照标识, GB/T 36904) as typed: its check character is verified by the search. */
const IDENTIFIER_SHAPE = /^[0-9A-Z]{32,41}$/;

/** Only a path inside the console may be a redirect target after sign-in. */
const safeNext = (next: string | undefined) => (next && /^\/console(\/[^\s\\]*)?$/.test(next) && !next.startsWith('//') ? next : '/console');

/** Where a role starts: finding licences, or the trust register for an anchor operator. */
const homeOf = (role: Role) => (role === 'anchor' ? '/console/trust' : '/console/licences');

const PUBLIC_PATHS = new Set(['/console/sign-in', '/console/sign-in/second-factor', '/console/sign-out']);

/** Where the import page sends its batches (JSON, the session's CSRF token in X-CSRF-Token). */
export const IMPORT_BATCH_PATH = '/console/import/batch';
/** Rows per batch the import page sends by default: small enough for a progress bar that moves. */
const IMPORT_BATCH_SIZE = 100;

/** Failed sign-ins one client address may make in 10 minutes, over all logins (password spraying). */
export const SIGN_IN_FAILURES_PER_CLIENT = 30;

export function consoleRoutes(): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  // Per app, made on first use with the app's clock (never a module singleton).
  let failuresByClient: SlidingWindowCounter | undefined;
  const clientFailures = (c: C) => {
    failuresByClient ??= new SlidingWindowCounter({ maxFailures: SIGN_IN_FAILURES_PER_CLIENT, windowMs: 10 * 60_000, clock: c.var.services.clock });
    return failuresByClient;
  };

  app.use('*', consoleBasics);
  app.onError((thrown, c) => {
    const error = toElicenceError(thrown);
    const status = httpStatusOf(error.code);
    if (status >= 500) console.error(`[${error.code}] ${c.req.method} ${c.req.path}`, error.cause ?? error);
    // The import page's script reads the API's error body.
    if (c.req.path === IMPORT_BATCH_PATH) return errorResponse(c, error);
    const live = c.get('live') as ConsoleEnv['Variables']['live'] | undefined;
    return render(c, ErrorPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: live, error: error }), status as never);
  });

  // The script and style sheet: named by content hash, so cached for good.
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const asset = [CONSOLE_SCRIPT, CONSOLE_STYLE, CONSOLE_IMPORT_SCRIPT].find((a) => a.name === name);
    if (!asset) throw new ElicenceError('ERR_NOT_FOUND', `no asset ${name}`);
    return c.body(asset.body, 200, {
      'Content-Type': name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  app.use('*', async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path) || c.req.path.startsWith('/console/assets/')) return next();
    return requireStaff(c, next);
  });

  app.get('/', (c) => c.redirect(homeOf(c.var.live.account.role), 303));

  // ---- signing in and out -------------------------------------------------------------------------

  const signInPage = (c: C, status: 200 | 401 | 403 | 429, extra: { problem?: string; notice?: string; login?: string } = {}) => {
    const csrf = getCookie(c, SIGN_IN_COOKIE) ?? randomId();
    setConsoleCookie(c, SIGN_IN_COOKIE, csrf, 3600);
    const next = safeNext(c.req.query('next') ?? undefined);
    return render(c, SignInPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), csrf: csrf, next: next, ...extra }), status);
  };

  app.get('/sign-in', (c) => {
    const m = c.var.m;
    const notice = c.req.query('signedOut') ? m.signIn.signedOut : c.req.query('expired') ? m.signIn.expired : undefined;
    return signInPage(c, 200, notice ? { notice } : {});
  });

  app.post('/sign-in', async (c) => {
    assertSameOrigin(c);
    const body = await formBody(c);
    assertCsrf(getCookie(c, SIGN_IN_COOKIE), body['_csrf']);
    const m = c.var.m;
    const login = (body['login'] ?? '').slice(0, 100);
    const client = clientKeyOf(c, undefined);
    const wait = client ? clientFailures(c).retryAfterMs(client) : 0;
    if (wait > 0) return signInPage(c, 429, { problem: m.signIn.backoff(Math.ceil(wait / 1000)), login });
    const result = await signIn(c.var.services, login, (body['password'] ?? '').slice(0, 1000));
    if (!result.ok && client) clientFailures(c).recordFailure(client);
    if (!result.ok) {
      if (result.reason === 'locked') return signInPage(c, 403, { problem: m.signIn.locked, login });
      if (result.reason === 'backoff') return signInPage(c, 429, { problem: m.signIn.backoff(Math.ceil((result.retryAfterMs ?? 1000) / 1000)), login });
      return signInPage(c, 401, { problem: m.signIn.invalid, login });
    }
    const { cookie } = await createSession(c.var.services, result.account, result.secondFactor ? 'totp' : 'full');
    setConsoleCookie(c, SESSION_COOKIE, cookie);
    clearConsoleCookie(c, SIGN_IN_COOKIE);
    const next = safeNext(body['next']);
    if (result.secondFactor) return c.redirect(`/console/sign-in/second-factor?next=${encodeURIComponent(next)}`, 303);
    return c.redirect(result.account.mustChangePassword ? '/console/password' : next, 303);
  });

  const pendingSession = async (c: C) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const live = cookie ? await readSession(c.var.services, cookie) : undefined;
    return live?.session.stage === 'totp' ? live : undefined;
  };

  app.get('/sign-in/second-factor', async (c) => {
    const live = await pendingSession(c);
    if (!live) return c.redirect('/console/sign-in?expired=1', 303);
    return render(c, SecondFactorPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), csrf: live.session.csrfToken, next: safeNext(c.req.query('next')) }));
  });

  app.post('/sign-in/second-factor', async (c) => {
    const live = await pendingSession(c);
    if (!live) return c.redirect('/console/sign-in?expired=1', 303);
    assertSameOrigin(c);
    const body = await formBody(c);
    assertCsrf(live.session.csrfToken, body['_csrf']);
    const m = c.var.m;
    const result = await verifySecondFactor(c.var.services, live.account.id, body['code'] ?? '');
    const next = safeNext(body['next']);
    if (!result.ok) {
      const problem =
        result.reason === 'locked' ? m.signIn.locked : result.reason === 'backoff' ? m.signIn.backoff(Math.ceil((result.retryAfterMs ?? 1000) / 1000)) : m.signIn.totpInvalid;
      return render(c, SecondFactorPage({ m: m, lang: c.var.lang, url: urlOf(c), csrf: live.session.csrfToken, next: next, problem: problem }), 401);
    }
    // A fresh session for the full sign-in: the half-way one ends here.
    await revokeSession(c.var.services, live.session.id);
    const { cookie } = await createSession(c.var.services, result.account, 'full');
    setConsoleCookie(c, SESSION_COOKIE, cookie);
    return c.redirect(result.account.mustChangePassword ? '/console/password' : next, 303);
  });

  app.post('/sign-out', async (c) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const live = cookie ? await readSession(c.var.services, cookie) : undefined;
    if (live) {
      assertSameOrigin(c);
      const body = await formBody(c);
      assertCsrf(live.session.csrfToken, body['_csrf']);
      await revokeSession(c.var.services, live.session.id);
    }
    clearConsoleCookie(c, SESSION_COOKIE);
    return c.redirect('/console/sign-in?signedOut=1', 303);
  });

  // ---- the person's own account ---------------------------------------------------------------------

  app.get('/password', (c) => render(c, PasswordPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, problems: [], done: c.req.query('done') === '1' })));

  app.post('/password', async (c) => {
    const body = await formBody(c);
    const { m, live } = c.var;
    const problems: { field: string; text: string }[] = [];
    if ((body['password'] ?? '') !== (body['repeat'] ?? '')) problems.push({ field: 'repeat', text: m.password.mismatch });
    if (problems.length === 0) {
      try {
        await changePassword(c.var.services, c.var.principal, live.account, body['current'] ?? '', body['password'] ?? '', live.session.id);
        return c.redirect('/console/password?done=1', 303);
      } catch (error) {
        if (!(error instanceof ElicenceError) || error.code !== 'ERR_VALIDATION') throw error;
        problems.push({ field: error.field ?? 'password', text: error.message });
      }
    }
    return render(c, PasswordPage({ m: m, lang: c.var.lang, url: urlOf(c), live: live, problems: problems }), 400);
  });

  const accountPage = (c: C, extra: { problem?: string; notice?: string } = {}, status: 200 | 400 = 200) => {
    const { live } = c.var;
    if (live.account.totpSecret) return render(c, AccountPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: live, ...extra }), status);
    const secret = newTotpSecret();
    const uri = otpauthUri(secret, c.var.m.appName, live.account.login);
    const svg = qrSvg(qrMatrix(uri, 'M'), { margin: 4, size: 200, title: c.var.m.totp.title });
    return render(c, AccountPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: live, secret: secret, uri: uri, qrSvg: svg, ...extra }), status);
  };

  app.get('/account', (c) => accountPage(c, c.req.query('done') ? { notice: c.var.m.totp.enabled } : {}));

  app.post('/account/second-factor', async (c) => {
    const body = await formBody(c);
    const secret = body['secret'] ?? '';
    if (!/^[A-Z2-7]{32}$/.test(secret)) throw new ElicenceError('ERR_VALIDATION', 'the key is not one this page made', { field: 'secret' });
    try {
      await enableSecondFactor(c.var.services, c.var.principal, c.var.live.account, secret, body['code'] ?? '');
    } catch (error) {
      if (!(error instanceof ElicenceError) || error.code !== 'ERR_VALIDATION') throw error;
      return accountPage(c, { problem: c.var.m.signIn.totpInvalid }, 400);
    }
    return c.redirect('/console/account?done=1', 303);
  });

  // ---- finding ----------------------------------------------------------------------------------------

  app.get('/licences', requireRole('read'), async (c) => {
    const { services, principal, m, lang } = c.var;
    const url = urlOf(c);
    const query: FindQuery = {
      q: (c.req.query('q') ?? '').trim().slice(0, 100),
      type: c.req.query('type') ?? '',
      status: c.req.query('status') ?? '',
      from: c.req.query('from') ?? '',
      to: c.req.query('to') ?? '',
    };
    const types = await allowedTypes(c);
    const searched = ['q', 'type', 'status', 'from', 'to', 'cursor'].some((k) => url.searchParams.has(k));
    const statusOf = (row: LicenceRow) => effectiveStatus(row, services.clock.now());
    let rows: LicenceRow[] = [];
    let nextHref: string | undefined;
    let problem: string | undefined;
    const byId = UUID.exec(query.q);
    try {
      if (byId) {
        const row = await requireLicence(services.store.db, principal.authorityId, byId[1]!.toLowerCase()).catch(() => undefined);
        if (row && (!principal.licenceTypes || principal.licenceTypes.has(row.type))) return c.redirect(`/console/licences/${row.id}`, 303);
      } else if (searched) {
        const upper = query.q.toUpperCase();
        const from = query.from ? chinaDayStartMs(query.from) : undefined;
        const to = query.to ? chinaDayStartMs(query.to) : undefined;
        const status = ['active', 'suspended', 'revoked', 'expired'].includes(query.status) ? (query.status as 'active') : undefined;
        const page = await listLicences(
          services.store.db,
          principal.authorityId,
          {
            type: query.type || undefined,
            holder: CREDIT_CODE_SHAPE.test(upper) ? upper : undefined,
            identifier: IDENTIFIER_SHAPE.test(upper) ? upper : undefined,
            name: query.q && !CREDIT_CODE_SHAPE.test(upper) && !IDENTIFIER_SHAPE.test(upper) ? query.q : undefined,
            status,
            issuedFrom: from,
            // "to" is the last day included: up to 00:00 CST of the next day.
            issuedTo: to === undefined ? undefined : to + 86_400_000 - 1,
            cursor: c.req.query('cursor') || undefined,
            limit: PAGE_SIZE,
            allowedTypes: principal.licenceTypes,
          },
          services.clock.now(),
        );
        rows = page.items;
        if (page.nextCursor) {
          const next = new URL(url.toString());
          next.searchParams.set('cursor', page.nextCursor);
          next.searchParams.delete('lang');
          nextHref = `${next.pathname}${next.search}`;
        }
      }
    } catch (error) {
      if (!(error instanceof ElicenceError) || !['ERR_VALIDATION', 'ERR_BAD_CURSOR', 'ERR_LICENCE_IDENTIFIER'].includes(error.code)) throw error;
      problem = error.field === 'name' ? m.find.tooShort : error.message;
    }
    return render(
      c,
      FindPage({
        m: m,
        lang: lang,
        url: url,
        live: c.var.live,
        types: types,
        query: query,
        rows: rows,
        statusOf: statusOf,
        nextHref: nextHref,
        problem: problem,
        searched: searched,
      }),
      problem ? 400 : 200,
    );
  });

  /** Licence types this account may handle. */
  const allowedTypes = async (c: C) => {
    const all = await c.var.services.registry.list();
    const allowed = c.var.principal.licenceTypes;
    return allowed ? all.filter((t) => allowed.has(t.code)) : all;
  };

  /** A licence of the account's authority and types: another authority's is 404, another type's 403. */
  const readable = async (c: C): Promise<LicenceRow> => {
    const row = await requireLicence(c.var.services.store.db, c.var.principal.authorityId, c.req.param('id') ?? '');
    requireLicenceType(c.var.principal, row.type);
    return row;
  };

  // ---- one licence ------------------------------------------------------------------------------------

  const DONE = new Set(['issued', 'replayed', 'suspend', 'reinstate', 'revoke', 'amend', 'device-removed', 'agent-revoked']);

  app.get('/licences/:id', requireRole('read'), async (c) => {
    const { services, principal, m, lang } = c.var;
    const row = await readable(c);
    const [type, authority, history] = await Promise.all([
      services.registry.find(row.type),
      requireAuthority(services.store.db, row.authorityId),
      licenceHistory(services.store.db, principal.authorityId, row.id),
    ]);
    const names = await staffNames(
      services,
      history.flatMap((e) => (e.staffId ? [e.staffId] : [])),
    );
    const scope = agencyScope(principal);
    const [devices, authorisations] = await Promise.all([
      // A holder with no current licence and no device here has nothing to list (the service says 404).
      listDevices(services, scope, row.holderCreditCode).catch(() => []),
      listAgentAuthorisations(services, scope, row.id).catch(() => []),
    ]);
    const done = c.req.query('done');
    const notice =
      done && DONE.has(done)
        ? done === 'issued'
          ? m.issue.issued
          : done === 'replayed'
            ? m.issue.replayed
            : done === 'device-removed'
              ? m.holderDevices.removed
              : done === 'agent-revoked'
                ? m.holderDevices.revoked
                : m.confirm.done[done as keyof typeof m.confirm.done]
        : undefined;
    return render(
      c,
      LicencePage({
        m: m,
        lang: lang,
        url: urlOf(c),
        live: c.var.live,
        data: {
          row,
          status: effectiveStatus(row, services.clock.now()),
          type,
          subject: currentSubject(row),
          authority,
          history,
          staffNames: names,
          can: { amend: principal.actions.has('issue'), status: principal.actions.has('status'), holderAccess: principal.actions.has('issue') },
          devices,
          authorisations,
          notice,
        },
      }),
    );
  });

  // ---- devices and agent authorisations (issue 24): the same services as the APIs, supervisors only --------

  app.post('/licences/:id/devices/:deviceId/remove', requireRole('status'), async (c) => {
    const { services, principal } = c.var;
    const row = await readable(c);
    await removeDevice(services, agencyScope(principal), row.holderCreditCode, c.req.param('deviceId'), 'removed in the console');
    return c.redirect(`/console/licences/${row.id}?done=device-removed`, 303);
  });

  app.post('/licences/:id/agents/:authId/revoke', requireRole('status'), async (c) => {
    const { services, principal } = c.var;
    const row = await readable(c);
    await revokeAgentAuthorisation(services, agencyScope(principal), row.id, c.req.param('authId'), 'revoked in the console');
    return c.redirect(`/console/licences/${row.id}?done=agent-revoked`, 303);
  });

  app.get('/licences/:id/qr.svg', requireRole('read'), async (c) => {
    const row = await readable(c);
    const matrix = qrMatrix(encodeLicenceQr(row.jws), 'M');
    return c.body(qrSvg(matrix, { margin: 4, size: (matrix.size + 8) * 4 }), 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'private, max-age=3600' });
  });

  app.get('/licences/:id/card', requireRole('read'), async (c) => {
    const row = await readable(c);
    const asked = c.req.query('format') ?? 'a4';
    const format: CardFormat = asked === 'a5' || asked === 'card' ? asked : 'a4';
    const html = await licenceCardHtml(c.var.services, row, format);
    // The console's script opens the print dialog when the page is opened with #print.
    const withPrint = html
      .replace('</head>', `<script src="/console/assets/${CONSOLE_SCRIPT.name}" defer></script></head>`)
      .replace('<body class="', '<body data-print="" class="');
    return c.html(withPrint);
  });

  // ---- holder access: the business's code, printed on a notice (docs/holder-app.md) --------------------

  app.post('/licences/:id/holder-access', requireRole('issue'), async (c) => {
    const { services, principal, m, lang } = c.var;
    const row = await readable(c);
    const created = await createHolderAccess(
      services,
      { authorityId: principal.authorityId, licenceId: row.id },
      { actor: principal.tokenId, staffId: principal.staffId, licenceTypes: principal.licenceTypes },
    );
    const authority = await requireAuthority(services.store.db, row.authorityId);
    const matrix = qrMatrix(created.link, 'M');
    c.header('Cache-Control', 'no-store');
    return render(
      c,
      HolderNoticePage({
        m,
        lang,
        url: urlOf(c),
        live: c.var.live,
        data: {
          licenceId: row.id,
          holderName: created.holderName,
          creditCode: created.holderCreditCode,
          authorityName: lang === 'en' ? authority.nameEn : authority.nameZh,
          groupedCode: groupedHolderCode(created.code),
          link: created.link,
          qrSvg: qrSvg(matrix, { margin: 4, title: m.holderAccess.qrAlt }),
          createdAt: chinaDateTime(created.createdAt),
          rotated: created.rotated,
        },
      }),
    );
  });

  // ---- changes: suspend, reinstate, revoke (supervisor) ------------------------------------------------

  for (const action of ['suspend', 'reinstate', 'revoke'] as const satisfies readonly ChangeAction[]) {
    app.post(`/licences/:id/${action}`, requireRole('status'), async (c) => {
      const { services, principal, m, lang } = c.var;
      const row = await readable(c);
      const body = await formBody(c);
      const reason = body['reason'] ?? '';
      if (!REASONS_FOR[action].includes(reason)) {
        throw new ElicenceError('ERR_VALIDATION', `reason must be one of ${REASONS_FOR[action].join(', ')}`, { field: 'reason' });
      }
      const note = (body['note'] ?? '').trim();
      if (note.length > MAX_NOTE_LENGTH) throw new ElicenceError('ERR_VALIDATION', `note must be at most ${MAX_NOTE_LENGTH} characters`, { field: 'note' });
      if (body['confirm'] !== '1') {
        return render(
          c,
          ConfirmPage({
            m: m,
            lang: lang,
            url: urlOf(c),
            live: c.var.live,
            action: action,
            text: m.confirm[action](holderNameOf(row)),
            fields: { reason, note },
            cancel: `/console/licences/${row.id}`,
          }),
        );
      }
      await changeStatus(services, principal, row.id, action, { reason, ...(note ? { note } : {}) });
      return c.redirect(`/console/licences/${row.id}?done=${action}`, 303);
    });
  }

  // ---- amend (a merge patch of the subject) ----------------------------------------------------------

  const amendable = async (c: C) => {
    const row = await readable(c);
    const type = await c.var.services.registry.find(row.type);
    if (!type) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${row.type}"`, { field: 'type' });
    return { row, type, current: currentSubject(row) };
  };

  app.get('/licences/:id/amend', requireRole('issue'), async (c) => {
    const { row, type, current } = await amendable(c);
    return render(c, AmendPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, row: row, type: type, values: current, problems: [], note: '' }));
  });

  app.post('/licences/:id/amend', requireRole('issue'), async (c) => {
    const { services, principal, m, lang } = c.var;
    const { row, type, current } = await amendable(c);
    const body = await formBody(c);
    const note = (body['note'] ?? '').trim().slice(0, MAX_NOTE_LENGTH);
    if (body['confirm'] === '1') {
      let patch: unknown;
      try {
        patch = JSON.parse(body['patch'] ?? '');
      } catch {
        patch = undefined;
      }
      if (!isRecord(patch) || Object.keys(patch).length === 0) throw new ElicenceError('ERR_VALIDATION', 'subjectPatch must be a non-empty object', { field: 'subjectPatch' });
      const { amended } = await amendByPatch(services, services.registry, principal, row.id, { subjectPatch: patch, ...(note ? { note } : {}) });
      return c.redirect(`/console/licences/${amended.id}?done=amend`, 303);
    }
    const { subject: after, problems } = readSubject(type, amendedBody(type, current, body as Body), lang, m);
    const patch = patchFrom(type, current, after);
    if (problems.length > 0 || Object.keys(patch).length === 0) {
      const shownProblems: ShownProblem[] = problems.length ? problems : [{ field: '', text: m.confirm.nothingChanged, api: 'nothing changed' }];
      return render(c, AmendPage({ m: m, lang: lang, url: urlOf(c), live: c.var.live, row: row, type: type, values: after, problems: shownProblems, note: note }), 400);
    }
    const changes = Object.keys(patch).map((name) => {
      const property = type.schema.properties[name];
      return { label: fieldLabelIn(property, name, lang), from: property ? fieldText(property, current[name]) : '', to: property ? fieldText(property, after[name]) : '' };
    });
    return render(
      c,
      ConfirmPage({
        m: m,
        lang: lang,
        url: urlOf(c),
        live: c.var.live,
        action: 'amend',
        text: m.confirm.amend(holderNameOf(row)),
        fields: { patch: JSON.stringify(patch), note },
        changes: changes,
        cancel: `/console/licences/${row.id}`,
      }),
    );
  });

  // ---- issuing ----------------------------------------------------------------------------------------

  app.get('/issue', requireRole('issue'), async (c) => render(c, PickTypePage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, types: await allowedTypes(c) })));

  const issuableType = async (c: C) => {
    const code = c.req.param('type') ?? '';
    const type = await c.var.services.registry.find(code);
    if (!type) throw new ElicenceError('ERR_NOT_FOUND', `unknown licence type "${code}"`, { field: 'type' });
    requireLicenceType(c.var.principal, type.code);
    return type;
  };

  app.get('/issue/:type', requireRole('issue'), async (c) => {
    const type = await issuableType(c);
    const state: IssueFormState = { values: {}, validFrom: chinaDate(c.var.services.clock.now()), validUntil: '', idempotencyKey: randomId(), problems: [] };
    return render(c, IssueFormPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, type: type, state: state }));
  });

  app.post('/issue/:type', requireRole('issue'), async (c) => {
    const { services, principal, m, lang } = c.var;
    const type = await issuableType(c);
    const body = await formBody(c);
    const { subject, problems } = readSubject(type, body, lang, m);
    const validFromText = (body['validFrom'] ?? '').trim();
    const validUntilText = (body['validUntil'] ?? '').trim();
    const validFrom = validFromText ? startOfChinaDay(validFromText) : undefined;
    // 长期 (as the import takes it): a licence without expiry; empty: the type's default term.
    const longTerm = body['longTerm'] === '1' || validUntilText === LONG_TERM;
    const validUntil = validUntilText && !longTerm ? endOfLastValidDay(validUntilText) : undefined;
    if (validFromText && !validFrom) problems.push({ field: 'validFrom', text: m.field.date, api: 'not a date' });
    if (validUntilText && !longTerm && !validUntil) problems.push({ field: 'validUntil', text: m.field.date, api: 'not a date' });
    let key = body['idempotencyKey'] ?? '';
    if (!/^[0-9a-f]{36}$/.test(key)) key = randomId();
    const state: IssueFormState = { values: subject, validFrom: validFromText, validUntil: validUntilText, longTerm, idempotencyKey: key, problems };
    const again = (status: 400 | 403 | 409) => render(c, IssueFormPage({ m: m, lang: lang, url: urlOf(c), live: c.var.live, type: type, state: state }), status);
    if (problems.length > 0) return again(400);
    const request = { type: type.code, subject, ...(validFrom ? { validFrom } : {}), ...(longTerm ? { validUntil: null } : validUntil ? { validUntil } : {}) };
    try {
      const result = await issueLicences(services, services.registry, principal, [request], {
        idempotency: { key: `console:${key}`, requestHash: requestHash('/console/issue', request) },
      });
      return c.redirect(`/console/licences/${result.licences[0]!.id}?done=${result.replayed ? 'replayed' : 'issued'}`, 303);
    } catch (error) {
      if (!(error instanceof ElicenceError)) throw error;
      const existing = duplicateOf(error);
      if (existing) {
        state.general = { text: m.issue.duplicate, link: { href: `/console/licences/${existing}`, text: m.issue.duplicateLink } };
        return again(409);
      }
      const field = error.field ?? '';
      if (field.startsWith('subject.')) {
        const name = field.slice('subject.'.length).split(/[.[]/)[0]!;
        problems.push(shown(name, error, type.schema.properties[name], lang));
      } else if (field === 'validFrom' || field === 'validUntil') {
        problems.push({ field, text: lang === 'en' ? error.message : m.field.date, api: error.message });
      } else if (error.code === 'ERR_IDEMPOTENCY_CONFLICT') {
        state.idempotencyKey = randomId();
        state.general = { text: error.message };
      } else {
        throw error;
      }
      return again(httpStatusOf(error.code) === 409 ? 409 : httpStatusOf(error.code) === 403 ? 403 : 400);
    }
  });

  // ---- importing a register (issue) ------------------------------------------------------------------

  app.get('/import', requireRole('issue'), async (c) => {
    const { config } = c.var.services;
    const asked = Number(c.req.query('batchSize'));
    const batchSize = Number.isInteger(asked) && asked > 0 ? Math.min(asked, config.maxBatchSize) : Math.min(IMPORT_BATCH_SIZE, config.maxBatchSize);
    const types = (await allowedTypes(c)).map(({ code, name, schemaVersion, schema }) => ({ code, name, schemaVersion, schema }));
    const data = { batchUrl: IMPORT_BATCH_PATH, batchSize, maxBatchSize: config.maxBatchSize, defaultValidityDays: config.defaultValidityDays, types };
    return render(c, ImportPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, data, script: CONSOLE_IMPORT_SCRIPT }));
  });

  // The same body, service call and answer as POST /v1/licences/batch, as the signed-in account's principal
  // (its authority, its role's actions, its licence types); the CSRF token was checked by requireStaff.
  app.post('/import/batch', requireRole('issue'), async (c) => {
    if (!/^application\/json/i.test(c.req.header('content-type') ?? '')) {
      throw new ElicenceError('ERR_UNSUPPORTED_MEDIA_TYPE', 'send the batch as application/json', { field: 'Content-Type' });
    }
    let json: unknown;
    try {
      json = parseStrictJson(await c.req.text());
    } catch (error) {
      if (error instanceof ElicenceError) throw error;
      throw new ElicenceError('ERR_BAD_JSON', 'the request body is not valid JSON');
    }
    const parsed = BatchIssueRequestSchema.safeParse(json);
    if (!parsed.success) throw validationError(parsed.error, 'json');
    const answer = await issueBatch(c.var.services, c.var.principal, parsed.data);
    return c.json({ items: answer.items, alreadyIssued: answer.alreadyIssued }, 201);
  });

  // Administration (admin) and the trust register (anchor operator): src/console/admin-routes.ts.
  adminConsoleRoutes(app);

  return app;
}
