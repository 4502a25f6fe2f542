/** Sign-in, the second-factor step, the password change and the person's own account page. */
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';

interface Base {
  m: Messages;
  lang: Lang;
  url: URL;
}

export function SignInPage({
  m,
  lang,
  url,
  csrf,
  next,
  problem,
  notice,
  login,
}: Base & { csrf: string; next: string; problem?: string | undefined; notice?: string | undefined; login?: string }) {
  return (
    <Page m={m} lang={lang} title={m.signIn.title} url={url}>
      <h1>{m.signIn.title}</h1>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem, href: '#login' }] : []} />
      <form method="post" action="/console/sign-in" class="panel" novalidate>
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="login">{m.signIn.login}</label>
        <input type="text" id="login" name="login" autocomplete="username" required value={login ?? ''} autocapitalize="none" spellcheck={false} />
        <label for="password">{m.signIn.password}</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <button type="submit">{m.signIn.submit}</button>
      </form>
    </Page>
  );
}

export function SecondFactorPage({ m, lang, url, csrf, next, problem }: Base & { csrf: string; next: string; problem?: string | undefined }) {
  return (
    <Page m={m} lang={lang} title={m.signIn.totpTitle} url={url}>
      <h1>{m.signIn.totpTitle}</h1>
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem, href: '#code' }] : []} />
      <form method="post" action="/console/sign-in/second-factor" class="panel" novalidate>
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="code">{m.signIn.totpCode}</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength={6} required />
        <button type="submit">{m.signIn.totpSubmit}</button>
      </form>
    </Page>
  );
}

export function PasswordPage({ m, lang, url, live, problems, done }: Base & { live: LiveSession; problems: { field: string; text: string }[]; done?: boolean }) {
  const problemOf = (field: string) => problems.find((p) => p.field === field)?.text;
  const field = (id: string, label: string, autocomplete: string) => (
    <>
      <label for={id}>{label}</label>
      <span class="err" id={`e-${id}`}>
        {problemOf(id) ?? ''}
      </span>
      <input type="password" id={id} name={id} autocomplete={autocomplete} required aria-describedby={`e-${id}`} {...(problemOf(id) ? { 'aria-invalid': 'true' } : {})} />
    </>
  );
  return (
    <Page m={m} lang={lang} title={m.password.title} url={url} live={live}>
      <h1>{m.password.title}</h1>
      {done ? (
        <p class="notice" role="status">
          {m.password.done}
        </p>
      ) : null}
      {live.account.mustChangePassword ? <p class="notice">{m.password.firstTime}</p> : null}
      <ProblemBox title={m.issue.errors} items={problems.map((p) => ({ text: p.text, href: `#${p.field}` }))} />
      <form method="post" action="/console/password" class="panel" novalidate>
        <Csrf live={live} />
        <input type="text" name="username" value={live.account.login} autocomplete="username" hidden />
        {field('current', m.password.current, 'current-password')}
        {field('password', m.password.next, 'new-password')}
        {field('repeat', m.password.repeat, 'new-password')}
        <button type="submit">{m.password.submit}</button>
      </form>
    </Page>
  );
}

export function AccountPage({
  m,
  lang,
  url,
  live,
  secret,
  uri,
  qrSvg,
  problem,
  notice,
}: Base & { live: LiveSession; secret?: string; uri?: string; qrSvg?: string; problem?: string | undefined; notice?: string | undefined }) {
  return (
    <Page m={m} lang={lang} title={m.nav.account} url={url} live={live}>
      <h1>{m.nav.account}</h1>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <p>
        {live.account.name} · {live.account.login} · {m.roles[live.account.role]}
      </p>
      <p>
        <a href="/console/password">{m.password.title}</a>
      </p>
      <h2>{m.totp.title}</h2>
      {live.account.totpSecret ? (
        <p>{m.totp.on}</p>
      ) : (
        <div class="panel">
          <p>{m.totp.intro}</p>
          {qrSvg ? <div class="totp-qr" dangerouslySetInnerHTML={{ __html: qrSvg }}></div> : null}
          <p>
            {m.totp.secret}: <span class="code secret">{secret}</span>
          </p>
          <p class="hint code">{uri}</p>
          <ProblemBox title={m.error.title} items={problem ? [{ text: problem, href: '#code' }] : []} />
          <form method="post" action="/console/account/second-factor" novalidate>
            <Csrf live={live} />
            <input type="hidden" name="secret" value={secret} />
            <label for="code">{m.totp.code}</label>
            <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength={6} required />
            <button type="submit">{m.totp.enable}</button>
          </form>
        </div>
      )}
    </Page>
  );
}
