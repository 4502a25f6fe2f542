/**
 * Staff accounts of the admin's authority: create; change the role; unlock or lock; reset the password;
 * disable or enable; remove the second factor; end every session. An anchor operator's account is listed
 * but not managed here (it belongs to the deployment).
 */
import { type AccountAction, ADMIN_GRANTED_ROLES, type StaffAccount } from '../../services/accounts.js';
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';

export function AccountsPage({
  m,
  lang,
  url,
  live,
  accounts,
  types,
  created,
  problem,
  notice,
  values,
}: {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
  accounts: StaffAccount[];
  types: readonly StoredLicenceType[];
  created?: { login: string; password: string } | undefined;
  problem?: { field: string; text: string } | undefined;
  notice?: string | undefined;
  values?: Record<string, string | undefined>;
}) {
  const v = values ?? {};
  const action = (account: StaffAccount, name: AccountAction) => (
    <form method="post" action={`/console/accounts/${account.id}/${name}`}>
      <Csrf live={live} />
      <button type="submit" class="secondary" aria-label={`${m.accounts[name]} ${account.login}`}>
        {m.accounts[name]}
      </button>
    </form>
  );
  return (
    <Page m={m} lang={lang} title={m.accounts.title} url={url} live={live}>
      <h1>{m.accounts.title}</h1>
      {created ? (
        <div class="notice" role="status">
          <p>{m.accounts.created(created.login)}</p>
          <p>
            {m.accounts.tempPassword}{' '}
            <span class="code secret" id="temp-password">
              {created.password}
            </span>
          </p>
        </div>
      ) : null}
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem.text, href: `#a-${problem.field}` }] : []} />
      <table>
        <thead>
          <tr>
            <th scope="col">{m.accounts.colLogin}</th>
            <th scope="col">{m.accounts.colName}</th>
            <th scope="col">{m.accounts.colRole}</th>
            <th scope="col">{m.accounts.colTypes}</th>
            <th scope="col">{m.accounts.colState}</th>
            <th scope="col">
              <span class="visually-hidden">{m.licence.actions}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((account) => (
            <tr>
              <td class="code">{account.login}</td>
              <td>{account.name}</td>
              <td>{m.roles[account.role]}</td>
              <td>{account.licenceTypes ? (JSON.parse(account.licenceTypes) as string[]).join(', ') : m.accounts.allTypes}</td>
              <td>
                {account.disabledAt !== null ? m.accounts.disabled : account.lockedAt !== null ? m.accounts.locked : m.accounts.normal}
                {account.totpSecret ? ` · ${m.accounts.totp}` : ''}
              </td>
              <td class="actions">
                {account.role === 'anchor' ? (
                  <span class="hint">{m.accounts.managedByDeployment}</span>
                ) : (
                  <>
                    {account.lockedAt !== null ? action(account, 'unlock') : account.id !== live.account.id ? action(account, 'lock') : null}
                    {account.id !== live.account.id ? action(account, 'resetPassword') : null}
                    {account.id !== live.account.id ? (account.disabledAt === null ? action(account, 'disable') : action(account, 'enable')) : null}
                    {account.totpSecret ? action(account, 'removeSecondFactor') : null}
                    {account.id !== live.account.id ? action(account, 'endSessions') : null}
                    {account.id !== live.account.id ? (
                      <form method="post" action={`/console/accounts/${account.id}/role`} class="inline">
                        <Csrf live={live} />
                        <label for={`role-${account.id}`} class="visually-hidden">
                          {m.accounts.newRole(account.login)}
                        </label>
                        <select id={`role-${account.id}`} name="role">
                          {ADMIN_GRANTED_ROLES.map((role) => (
                            <option value={role} selected={account.role === role}>
                              {m.roles[role]}
                            </option>
                          ))}
                        </select>
                        <button type="submit" class="secondary" aria-label={`${m.accounts.changeRole} ${account.login}`}>
                          {m.accounts.changeRole}
                        </button>
                      </form>
                    ) : null}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 id="new">{m.accounts.create}</h2>
      <form method="post" action="/console/accounts" class="panel" novalidate>
        <Csrf live={live} />
        <label for="a-name">{m.accounts.name}</label>
        <input type="text" id="a-name" name="name" value={v['name'] ?? ''} required />
        <label for="a-login">{m.accounts.login}</label>
        <input type="text" id="a-login" name="login" value={v['login'] ?? ''} required autocapitalize="none" spellcheck={false} autocomplete="off" />
        <label for="a-role">{m.accounts.role}</label>
        <select id="a-role" name="role">
          {ADMIN_GRANTED_ROLES.map((role) => (
            <option value={role} selected={v['role'] === role}>
              {m.roles[role]}
            </option>
          ))}
        </select>
        <fieldset>
          <legend>{m.accounts.types}</legend>
          {types.map((t) => (
            <label class="check">
              <input type="checkbox" name="licenceTypes" value={t.code} /> {t.name[lang]}
            </label>
          ))}
        </fieldset>
        <button type="submit">{m.accounts.submit}</button>
      </form>
    </Page>
  );
}
