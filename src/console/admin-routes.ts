/**
 * The console's administration (role admin): staff accounts, API tokens, licence types, signing keys,
 * the audit trail; and the anchor operator's (role anchor): the trust register, federated provinces and
 * publishing a list. Each action calls the service function the API route calls, as the signed-in
 * person's Principal, so the same checks hold (an admin acts on its own authority only, hands on only
 * what it holds, never makes an anchor operator) and the audit entry names the staff account.
 */
import { and, desc, eq, lt, notExists, notInArray } from 'drizzle-orm';
import type { Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { httpStatusOf } from '../app/errors.js';
import { anchorAdmin } from '../app/routes/trust-admin.js';
import { LicenceTypeSchema } from '../app/schemas.js';
import { DEFAULT_ALGORITHM } from '../core/algorithms.js';
import { ElicenceError } from '../core/errors.js';
import type { LicenceTypeDefinition } from '../core/licence-types.js';
import { auditLog, licences } from '../db/schema.js';
import { ACCOUNT_ACTIONS, adminAccountAction, changeRole, createAccount, listAccounts, ROLES, type Role, staffNames } from '../services/accounts.js';
import { readAuditHead, verifyAuditChain } from '../services/audit.js';
import { authorityKeysWithUsage, createActiveKey, retireKey } from '../services/keys.js';
import { trustRegisterWarnings } from '../services/licence-types.js';
import { ACTIONS, type Action, grantToken, listTokens, revokeToken } from '../services/tokens.js';
import { DEFAULT_FEDERATION_REFRESH_SECONDS, refreshPeer } from '../services/trust/federation.js';
import { peerFreshness } from '../services/trust/peer-freshness.js';
import { listPeers, registerPeer, requirePeer, updatePeer } from '../services/trust/peers.js';
import { latestTrustList, publishTrustList } from '../services/trust/publishing.js';
import { listRegistry } from '../services/trust/register.js';
import { type KeySource, refreshAuthorityKeys, registerAuthority, setAuthorityStatus, updateAuthority, withdrawKey } from '../services/trust/register-edits.js';
import type { ConsoleEnv } from './env.js';
import { AccountsPage } from './pages/accounts.js';
import { type AdminData, AdminPage } from './pages/admin.js';
import { TokensPage } from './pages/tokens.js';
import { ProvincesPage, TrustPage } from './pages/trust.js';
import { formBody, listField, requireRole } from './session.js';

type C = Context<ConsoleEnv>;
type Status = 200 | 400 | 403 | 404 | 409 | 502;
type Body = Record<string, string | undefined>;

const render = (c: C, node: Child, status: Status = 200) => c.html(`<!doctype html>${String(node)}`, status as never);
const urlOf = (c: C) => new URL(c.req.url);
const AUDIT_PAGE = 25;

/** Errors a form shows beside its fields (anything else is the error page). */
const SHOWN = new Set([
  'ERR_VALIDATION',
  'ERR_CONFLICT',
  'ERR_FORBIDDEN',
  'ERR_UNKNOWN_LICENCE_TYPE',
  'ERR_INVALID_SCHEMA',
  'ERR_LICENCE_TYPE_EXISTS',
  'ERR_UNKNOWN_FIELD',
  'ERR_JWKS_INVALID',
  'ERR_FETCH_FAILED',
  'ERR_ILLEGAL_TRANSITION',
  'ERR_NOT_FOUND',
]);

/** Runs a form's action; a refusal the person can correct comes back as `{ problem, status }`. */
async function attempt<T>(action: () => Promise<T>): Promise<{ ok: T } | { problem: { field: string; text: string }; status: Status }> {
  try {
    return { ok: await action() };
  } catch (error) {
    if (!(error instanceof ElicenceError) || !SHOWN.has(error.code)) throw error;
    return { problem: { field: error.field ?? 'id', text: error.message }, status: httpStatusOf(error.code) as Status };
  }
}

/** A list typed one a line (or separated by commas), blanks dropped. */
const listOf = (text: string | undefined): string[] =>
  (text ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

function jsonField(text: string | undefined, field: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new ElicenceError('ERR_VALIDATION', `${field} is not valid JSON`, { field });
  }
}

export function adminConsoleRoutes(app: Hono<ConsoleEnv>): void {
  /** Licence types this account may handle. */
  const allowedTypes = async (c: C) => {
    const all = await c.var.services.registry.list();
    const allowed = c.var.principal.licenceTypes;
    return allowed ? all.filter((t) => allowed.has(t.code)) : all;
  };

  // ---- staff accounts (admin) ----------------------------------------------------------------------

  const accountsPage = async (c: C, extra: Partial<Parameters<typeof AccountsPage>[0]> = {}, status: Status = 200) => {
    const { services, principal } = c.var;
    const [accounts, types] = await Promise.all([listAccounts(services, principal.authorityId), allowedTypes(c)]);
    return render(c, AccountsPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, accounts: accounts, types: types, ...extra }), status);
  };

  app.get('/accounts', requireRole('admin'), (c) => accountsPage(c, c.req.query('done') ? { notice: c.var.m.accounts.done } : {}));

  app.post('/accounts', requireRole('admin'), async (c) => {
    const body = await formBody(c);
    const role = body['role'] ?? '';
    const types = listField(body, 'licenceTypes');
    const result = await attempt(async () => {
      if (!(ROLES as readonly string[]).includes(role)) throw new ElicenceError('ERR_VALIDATION', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
      return createAccount(
        c.var.services,
        { authorityId: c.var.principal.authorityId, login: body['login'] ?? '', name: body['name'] ?? '', role: role as Role, licenceTypes: types.length ? types : null },
        c.var.principal,
      );
    });
    if ('problem' in result)
      return accountsPage(c, { problem: { ...result.problem, field: result.problem.field === 'id' ? 'name' : result.problem.field }, values: body }, result.status);
    return accountsPage(c, { created: { login: result.ok.account.login, password: result.ok.password } });
  });

  app.post('/accounts/:id/role', requireRole('admin'), async (c) => {
    const body = await formBody(c);
    const account = await changeRole(c.var.services, c.var.principal, c.req.param('id'), body['role'] ?? '');
    return accountsPage(c, { notice: c.var.m.accounts.roleChanged(account.login) });
  });

  for (const action of ACCOUNT_ACTIONS) {
    app.post(`/accounts/:id/${action}`, requireRole('admin'), async (c) => {
      const { password } = await adminAccountAction(c.var.services, c.var.principal, c.req.param('id'), action);
      if (password !== undefined) {
        const [account] = (await listAccounts(c.var.services, c.var.principal.authorityId)).filter((a) => a.id === c.req.param('id'));
        return accountsPage(c, { created: { login: account?.login ?? '', password } });
      }
      return c.redirect('/console/accounts?done=1', 303);
    });
  }

  // ---- API tokens (admin) ------------------------------------------------------------------------------

  const tokensPage = async (c: C, extra: Partial<Parameters<typeof TokensPage>[0]> = {}, status: Status = 200) => {
    const { services, principal } = c.var;
    const [tokens, types] = await Promise.all([listTokens(services.store.db, principal.authorityId), allowedTypes(c)]);
    const grantable = ACTIONS.filter((a) => principal.actions.has(a));
    return render(c, TokensPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, tokens, grantable, types, ...extra }), status);
  };

  app.get('/tokens', requireRole('admin'), (c) => tokensPage(c, c.req.query('done') === 'revoked' ? { notice: c.var.m.tokens.revokedNotice } : {}));

  app.post('/tokens', requireRole('admin'), async (c) => {
    const body = await formBody(c);
    const values = { name: body['name'] ?? '', actions: listField(body, 'actions'), licenceTypes: listField(body, 'licenceTypes') };
    const result = await attempt(() => grantToken(c.var.services, c.var.principal, { name: values.name, actions: values.actions as Action[], licenceTypes: values.licenceTypes }));
    if ('problem' in result) return tokensPage(c, { problem: result.problem, values }, result.status);
    return tokensPage(c, { created: { name: result.ok.name, token: result.ok.token } });
  });

  app.post('/tokens/:id/revoke', requireRole('admin'), async (c) => {
    const { services, principal } = c.var;
    await revokeToken(services, principal.authorityId, c.req.param('id'), principal, principal);
    return c.redirect('/console/tokens?done=revoked', 303);
  });

  // ---- licence types, signing keys, the audit trail (admin) ------------------------------------------

  const adminPage = async (c: C, extra: Partial<AdminData> = {}, status: Status = 200) => {
    const { services, principal } = c.var;
    const db = services.store.db;
    const before = Number.parseInt(c.req.query('before') ?? '', 10);
    const paged = Number.isSafeInteger(before) && before > 0;
    const allowed = principal.licenceTypes ? [...principal.licenceTypes] : undefined;
    // An admin limited to some licence types does not see the entries of licences of other types.
    const mine = and(
      eq(auditLog.authorityId, principal.authorityId),
      allowed
        ? notExists(
            db
              .select({ id: licences.id })
              .from(licences)
              .where(and(eq(licences.id, auditLog.subjectId), allowed.length > 0 ? notInArray(licences.type, allowed) : undefined)),
          )
        : undefined,
    );
    const [types, keys, head, rows] = await Promise.all([
      services.registry.list(),
      authorityKeysWithUsage(db, principal.authorityId, services.clock.now()),
      readAuditHead(db),
      db
        .select({ seq: auditLog.seq, at: auditLog.at, action: auditLog.action, actor: auditLog.actor, staffId: auditLog.staffId, subjectId: auditLog.subjectId })
        .from(auditLog)
        .where(paged ? and(mine, lt(auditLog.seq, before)) : mine)
        .orderBy(desc(auditLog.seq))
        .limit(AUDIT_PAGE + 1),
    ]);
    const recent = rows.slice(0, AUDIT_PAGE);
    const staff = await staffNames(services, [...new Set(recent.flatMap((r) => (r.staffId ? [r.staffId] : [])))]);
    const olderThan = rows.length > AUDIT_PAGE ? recent.at(-1)?.seq : undefined;
    const data: AdminData = { types, keys, head, recent, staff, olderThan, paged, ...extra };
    return render(c, AdminPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, data }), status);
  };

  app.get('/admin', requireRole('admin'), (c) => {
    const done = c.req.query('done');
    const m = c.var.m;
    const notice = done === 'rotated' ? m.admin.rotated : done === 'retired' ? m.admin.retiredNotice(c.req.query('kid') ?? '') : undefined;
    return adminPage(c, notice ? { notice } : {});
  });

  app.post('/admin/types', requireRole('admin'), async (c) => {
    const { services, principal, m } = c.var;
    const body = await formBody(c);
    const result = await attempt(async () => {
      const schema = jsonField(body['schema'], 'schema');
      // The same validation as POST /v1/licence-types: its zod schema, then the registry's own checks.
      const parsed = LicenceTypeSchema.safeParse({
        code: body['code'] ?? '',
        name: { zh: body['nameZh'] ?? '', en: body['nameEn'] ?? '' },
        schemaVersion: body['schemaVersion'] ?? '',
        schema,
        // GB/T 36904 / 36903: the type's catalogue code and which fields are its number and holder's name.
        catalogueCode: body['catalogueCode'] ?? '',
        numberField: body['numberField'] ?? '',
        holderNameField: body['holderNameField'] ?? '',
        uniquePerHolder: body['uniquePerHolder'] === '1',
      });
      if (!parsed.success)
        throw new ElicenceError('ERR_VALIDATION', parsed.error.issues[0]?.message ?? 'invalid licence type', { field: String(parsed.error.issues[0]?.path[0] ?? 'code') });
      const stored = await services.registry.register(parsed.data as LicenceTypeDefinition, principal.authorityId, principal.tokenId, principal.staffId);
      const warnings = await trustRegisterWarnings(services, principal.authorityId, stored.code);
      return { stored, warnings };
    });
    if ('problem' in result) {
      const field = result.problem.field.split('.')[0] ?? 'code';
      return adminPage(c, { problem: { field: field === 'name' ? 'nameZh' : field, text: result.problem.text }, values: body }, result.status);
    }
    const { stored, warnings } = result.ok;
    return adminPage(c, { notice: [m.admin.registered(stored.code), ...warnings.map((w) => w.message)].join(' ') });
  });

  app.post('/admin/keys/rotate', requireRole('admin'), async (c) => {
    await createActiveKey(c.var.services, { kind: 'authority', id: c.var.principal.authorityId }, DEFAULT_ALGORITHM, c.var.principal.tokenId, c.var.principal.staffId);
    return c.redirect('/console/admin?done=rotated#keys', 303);
  });

  app.post('/admin/keys/:kid/retire', requireRole('admin'), async (c) => {
    const kid = c.req.param('kid');
    await retireKey(c.var.services, { kind: 'authority', id: c.var.principal.authorityId }, kid, c.var.principal);
    return c.redirect(`/console/admin?done=retired&kid=${encodeURIComponent(kid)}#keys`, 303);
  });

  app.post('/admin/audit/verify', requireRole('admin'), async (c) => adminPage(c, { verification: await verifyAuditChain(c.var.services.store.db) }));

  // ---- the trust register and federated provinces (anchor operator) --------------------------------

  /** The API's guard (a deployment that is an anchor), then the signed-in operator as the actor. */
  const operator = async (c: C) => {
    await anchorAdmin(c as never);
    return c.var.principal;
  };

  const trustPage = async (c: C, extra: Pick<Parameters<typeof TrustPage>[0], 'notice' | 'problem' | 'values'> = {}, status: Status = 200) => {
    await operator(c);
    const db = c.var.services.store.db;
    const [register, latest] = await Promise.all([listRegistry(db), latestTrustList(db)]);
    return render(c, TrustPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, register, trustList: latest, ...extra }), status);
  };

  app.get('/trust', requireRole('anchor'), (c) => {
    const done = c.req.query('done');
    const seq = Number(c.req.query('seq'));
    return trustPage(c, done === 'changed' ? { notice: c.var.m.trust.changed } : done === 'published' ? { notice: c.var.m.trust.published(seq) } : {});
  });

  app.post('/trust/lists', requireRole('anchor'), async (c) => {
    const list = await publishTrustList(c.var.services, await operator(c));
    return c.redirect(`/console/trust?done=published&seq=${list.seq}`, 303);
  });

  app.post('/trust/authorities', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    const result = await attempt(() => {
      const kind = body['keySource'] ?? 'hosted';
      const keys: KeySource = kind === 'jwks' ? { jwks: jsonField(body['jwks'], 'jwks') } : kind === 'jwksUrl' ? { jwksUrl: (body['jwksUrl'] ?? '').trim() } : { hosted: true };
      const creditCode = (body['creditCode'] ?? '').trim();
      return registerAuthority(
        c.var.services,
        {
          id: (body['id'] ?? '').trim(),
          name: { zh: (body['nameZh'] ?? '').trim(), en: (body['nameEn'] ?? '').trim() },
          jurisdiction: (body['jurisdiction'] ?? '').trim(),
          licenceTypes: listOf(body['licenceTypes']),
          ...(creditCode ? { creditCode } : {}),
          keys,
        },
        actor,
        c.var.services.fetch ? { fetch: c.var.services.fetch } : {},
      );
    });
    if ('problem' in result) return trustPage(c, { problem: result.problem, values: body }, result.status);
    return trustPage(c, { notice: c.var.m.trust.added(result.ok.id) });
  });

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['reinstate', 'active'],
    ['withdraw', 'withdrawn'],
  ] as const) {
    app.post(`/trust/authorities/${action}`, requireRole('anchor'), async (c) => {
      const actor = await operator(c);
      const body = await formBody(c);
      await setAuthorityStatus(c.var.services, body['id'] ?? '', status, actor, body['reason']?.trim() || undefined);
      return c.redirect('/console/trust?done=changed', 303);
    });
  }

  app.post('/trust/authorities/types', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    const result = await attempt(() => updateAuthority(c.var.services, body['id'] ?? '', { licenceTypes: listOf(body['licenceTypes']) }, actor));
    if ('problem' in result) return trustPage(c, { problem: result.problem }, result.status);
    return c.redirect('/console/trust?done=changed', 303);
  });

  app.post('/trust/authorities/withdraw-key', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    await withdrawKey(c.var.services, body['id'] ?? '', body['kid'] ?? '', actor, body['reason']?.trim() || undefined);
    return c.redirect('/console/trust?done=changed', 303);
  });

  app.post('/trust/authorities/refresh-keys', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    const entry = (await listRegistry(c.var.services.store.db)).find((r) => r.id === body['id']);
    if (!entry) throw new ElicenceError('ERR_NOT_FOUND', 'not in the trust register', { field: 'id' });
    if (!entry.source?.startsWith('http')) throw new ElicenceError('ERR_VALIDATION', 'the entry has no URL to re-read', { field: 'id' });
    const result = await attempt(() =>
      refreshAuthorityKeys(c.var.services, entry.id, { jwksUrl: entry.source! }, actor, c.var.services.fetch ? { fetch: c.var.services.fetch } : {}),
    );
    if ('problem' in result) return trustPage(c, { problem: result.problem }, result.status);
    return c.redirect('/console/trust?done=changed', 303);
  });

  const provincesPage = async (c: C, extra: Pick<Parameters<typeof ProvincesPage>[0], 'notice' | 'problem' | 'values'> = {}, status: Status = 200) => {
    await operator(c);
    const { services } = c.var;
    const now = services.clock.now();
    // Stale after three missed refreshes.
    const staleAfterMs = 3 * 1000 * (services.config.federation?.refreshSeconds || DEFAULT_FEDERATION_REFRESH_SECONDS);
    const peers = await listPeers(services.store.db);
    const provinces = await Promise.all(peers.map(async (peer) => ({ peer, freshness: await peerFreshness(services.store.db, peer, now, staleAfterMs) })));
    return render(c, ProvincesPage({ m: c.var.m, lang: c.var.lang, url: urlOf(c), live: c.var.live, now, provinces, ...extra }), status);
  };

  app.get('/trust/provinces', requireRole('anchor'), (c) => provincesPage(c, c.req.query('done') === 'scope' ? { notice: c.var.m.provinces.scopeSaved } : {}));

  const scopeOf = (body: Body) => {
    const types = listOf(body['licenceTypes']);
    return { issuerPrefixes: listOf(body['issuerPrefixes']), jurisdictions: listOf(body['jurisdictions']), ...(types.length ? { licenceTypes: types } : {}) };
  };

  app.post('/trust/provinces', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    const result = await attempt(async () => {
      const url = (body['jwksUrl'] ?? '').trim();
      const pasted = (body['keys'] ?? '').trim();
      if (url && pasted) throw new ElicenceError('ERR_VALIDATION', 'give either the keys or where to read them, not both', { field: 'jwksUrl' });
      if (!url && !pasted) throw new ElicenceError('ERR_VALIDATION', "give the peer's anchor keys or where to read them", { field: 'jwksUrl' });
      return registerPeer(
        c.var.services,
        {
          id: (body['id'] ?? '').trim(),
          name: { zh: (body['nameZh'] ?? '').trim(), en: (body['nameEn'] ?? '').trim() },
          keys: url ? { jwksUrl: url } : { keys: jsonField(pasted, 'keys') },
          bundleUrl: (body['bundleUrl'] ?? '').trim(),
          scope: scopeOf(body),
        },
        actor,
        c.var.services.fetch ? { fetch: c.var.services.fetch } : {},
      );
    });
    if ('problem' in result) return provincesPage(c, { problem: result.problem, values: body }, result.status);
    return provincesPage(c, { notice: c.var.m.provinces.added(result.ok.id) });
  });

  app.post('/trust/provinces/scope', requireRole('anchor'), async (c) => {
    const actor = await operator(c);
    const body = await formBody(c);
    const result = await attempt(() => updatePeer(c.var.services, body['id'] ?? '', { scope: scopeOf(body) }, actor, c.var.services.fetch ? { fetch: c.var.services.fetch } : {}));
    if ('problem' in result) return provincesPage(c, { problem: result.problem }, result.status);
    return c.redirect('/console/trust/provinces?done=scope', 303);
  });

  app.post('/trust/provinces/refresh', requireRole('anchor'), async (c) => {
    await operator(c);
    const body = await formBody(c);
    const peer = await requirePeer(c.var.services.store.db, body['id'] ?? '');
    const report = await refreshPeer(c.var.services, peer.id);
    const m = c.var.m;
    if (report.outcome === 'failed') return provincesPage(c, { problem: { field: 'id', text: m.provinces.refreshFailed(report.error ?? 'refresh failed') } }, 502);
    return provincesPage(c, { notice: m.provinces.refreshed(m.provinces.outcomes[report.outcome] ?? report.outcome) });
  });
}
