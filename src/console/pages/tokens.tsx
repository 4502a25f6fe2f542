/** API tokens of the admin's authority, for programs: create with scopes (the token shown once), list, revoke. */
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import type { Action, ListedToken } from '../../services/tokens.js';
import { chinaDateTime } from '../china-dates.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';

export function TokensPage({
  m,
  lang,
  url,
  live,
  tokens,
  grantable,
  types,
  created,
  notice,
  problem,
  values,
}: {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
  tokens: readonly ListedToken[];
  /** The scopes this admin holds, so may hand on. */
  grantable: readonly Action[];
  types: readonly StoredLicenceType[];
  created?: { name: string; token: string } | undefined;
  notice?: string | undefined;
  problem?: { field: string; text: string } | undefined;
  values?: { name?: string; actions?: string[]; licenceTypes?: string[] };
}) {
  const k = m.tokens;
  const scopes = (actions: readonly string[]) => actions.map((a) => k.scopeNames[a] ?? a).join(', ');
  const field = problem?.field.split(/[.[]/)[0] ?? 'name';
  return (
    <Page m={m} lang={lang} title={k.title} url={url} live={live}>
      <h1>{k.title}</h1>
      {created ? (
        <div class="notice" role="status">
          <p>{k.created(created.name)}</p>
          <p>
            {k.secret}{' '}
            <span class="code secret" id="new-token">
              {created.token}
            </span>
          </p>
        </div>
      ) : null}
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem.text, href: `#k-${field}` }] : []} />
      <table>
        <thead>
          <tr>
            <th scope="col">{k.colName}</th>
            <th scope="col">{k.colScopes}</th>
            <th scope="col">{k.colTypes}</th>
            <th scope="col">{k.colCreated}</th>
            <th scope="col">{k.colState}</th>
            <th scope="col">
              <span class="visually-hidden">{m.licence.actions}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr>
              <td>{t.name}</td>
              <td>{scopes(t.actions)}</td>
              <td>{t.licenceTypes ? t.licenceTypes.join(', ') : k.allTypes}</td>
              <td>{chinaDateTime(t.createdAt)}</td>
              <td>{t.revokedAt === null ? k.active : `${k.revoked} ${chinaDateTime(t.revokedAt)}`}</td>
              <td class="actions">
                {t.revokedAt === null ? (
                  <form method="post" action={`/console/tokens/${encodeURIComponent(t.id)}/revoke`}>
                    <Csrf live={live} />
                    <button type="submit" class="secondary" aria-label={`${k.revoke} ${t.name}`}>
                      {k.revoke}
                    </button>
                  </form>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 id="new">{k.create}</h2>
      <form method="post" action="/console/tokens" class="panel" novalidate>
        <Csrf live={live} />
        <label for="k-name">{k.name}</label>
        <input type="text" id="k-name" name="name" value={values?.name ?? ''} autocomplete="off" maxlength={100} />
        <fieldset id="k-actions">
          <legend>{k.scopes}</legend>
          {grantable.map((a) => (
            <label class="check">
              <input type="checkbox" name="actions" value={a} {...(values?.actions?.includes(a) ? { checked: true } : {})} /> {k.scopeNames[a] ?? a}{' '}
              <span class="code hint-inline">{a}</span>
            </label>
          ))}
        </fieldset>
        <fieldset id="k-licenceTypes">
          <legend>{k.types}</legend>
          {types.map((t) => (
            <label class="check">
              <input type="checkbox" name="licenceTypes" value={t.code} {...(values?.licenceTypes?.includes(t.code) ? { checked: true } : {})} /> {t.name[lang]}
            </label>
          ))}
        </fieldset>
        <button type="submit">{k.submit}</button>
      </form>
    </Page>
  );
}
