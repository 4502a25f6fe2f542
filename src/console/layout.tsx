/** The page shell: language, header with navigation and sign-out, the one script and style sheet. */
import type { Child } from 'hono/jsx';
import { canDo } from '../services/accounts.js';
import type { LiveSession } from '../services/sessions.js';
import { CONSOLE_SCRIPT, CONSOLE_STYLE } from './assets.generated.js';
import type { Lang, Messages } from './i18n.js';
import { IMPORT_MESSAGES } from './import-messages.js';

export const ASSET_BASE = '/console/assets/';

export interface PageProps {
  m: Messages;
  lang: Lang;
  title: string;
  /** The request URL: the language switch keeps it, the navigation marks the current section. */
  url: URL;
  live?: LiveSession | undefined;
  children?: Child;
  /** A page the browser script acts on at load (the card's print dialog). */
  bodyAttributes?: Record<string, string>;
  /** A page with a script of its own (the import page) loads it instead of the console's one script. */
  script?: { name: string };
}

function langSwitchHref(url: URL, lang: Lang): string {
  const next = new URL(url.toString());
  next.searchParams.set('lang', lang);
  return `${next.pathname}${next.search}`;
}

export function Page({ m, lang, title, url, live, children, script }: PageProps) {
  const section = url.pathname.startsWith('/console/trust/provinces') ? 'provinces' : (url.pathname.split('/')[2] ?? '');
  const current = (name: string) => (section === name ? { 'aria-current': 'page' as const } : {});
  return (
    <html lang={m.htmlLang} data-lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${title} · ${m.appName}`}</title>
        <link rel="stylesheet" href={`${ASSET_BASE}${CONSOLE_STYLE.name}`} />
        <script src={`${ASSET_BASE}${(script ?? CONSOLE_SCRIPT).name}`} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          {m.skip}
        </a>
        <header class="top">
          <span class="brand">{m.appName}</span>
          {live && !live.account.mustChangePassword ? (
            <nav aria-label={m.appName}>
              <ul class="menu">
                {canDo(live.account, 'read') ? (
                  <li>
                    <a href="/console/licences" {...current('licences')}>
                      {m.nav.find}
                    </a>
                  </li>
                ) : null}
                {canDo(live.account, 'issue') ? (
                  <li>
                    <a href="/console/issue" {...current('issue')}>
                      {m.nav.issue}
                    </a>
                  </li>
                ) : null}
                {canDo(live.account, 'issue') ? (
                  <li>
                    <a href="/console/import" {...current('import')}>
                      {IMPORT_MESSAGES[lang].nav}
                    </a>
                  </li>
                ) : null}
                {canDo(live.account, 'admin') ? (
                  <>
                    <li>
                      <a href="/console/accounts" {...current('accounts')}>
                        {m.nav.accounts}
                      </a>
                    </li>
                    <li>
                      <a href="/console/tokens" {...current('tokens')}>
                        {m.nav.tokens}
                      </a>
                    </li>
                    <li>
                      <a href="/console/admin" {...current('admin')}>
                        {m.nav.admin}
                      </a>
                    </li>
                  </>
                ) : null}
                {canDo(live.account, 'anchor') ? (
                  <>
                    <li>
                      <a href="/console/trust" {...current('trust')}>
                        {m.nav.trust}
                      </a>
                    </li>
                    <li>
                      <a href="/console/trust/provinces" {...current('provinces')}>
                        {m.nav.provinces}
                      </a>
                    </li>
                  </>
                ) : null}
                <li>
                  <a href="/console/account" {...current('account')}>
                    {m.nav.account}
                  </a>
                </li>
              </ul>
            </nav>
          ) : null}
          <a href={langSwitchHref(url, m.switchLang)} lang={m.switchLang === 'en' ? 'en' : 'zh-CN'}>
            {m.switchTo}
          </a>
          {live ? (
            <>
              <span class="who">
                {live.account.name} · {m.roles[live.account.role]}
              </span>
              <form method="post" action="/console/sign-out">
                <input type="hidden" name="_csrf" value={live.session.csrfToken} />
                <button type="submit" class="link">
                  {m.nav.signOut}
                </button>
              </form>
            </>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every state-changing form carries. */
export const Csrf = ({ live }: { live: LiveSession }) => <input type="hidden" name="_csrf" value={live.session.csrfToken} />;

export function ProblemBox({ title, items }: { title: string; items: { href?: string; text: Child }[] }) {
  if (items.length === 0) return null;
  return (
    <div class="problem" role="alert" tabindex={-1} id="problems">
      <h2>{title}</h2>
      <ul>
        {items.map((item) => (
          <li>{item.href ? <a href={item.href}>{item.text}</a> : item.text}</li>
        ))}
      </ul>
    </div>
  );
}
