/** A refusal or failure, said in the page's language, with the API's code and message for the record. */
import type { ElicenceError } from '../../core/errors.js';
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { Page } from '../layout.js';

export function ErrorPage({ m, lang, url, live, error }: { m: Messages; lang: Lang; url: URL; live?: LiveSession | undefined; error: ElicenceError }) {
  const text =
    error.code === 'ERR_FORBIDDEN' && error.field === '_csrf'
      ? m.error.csrf
      : error.code === 'ERR_FORBIDDEN'
        ? m.error.forbidden
        : error.code === 'ERR_NOT_FOUND'
          ? m.error.notFound
          : m.error.generic;
  return (
    <Page m={m} lang={lang} title={m.error.title} url={url} live={live}>
      <h1>{m.error.title}</h1>
      <div class="problem" role="alert">
        <p>{text}</p>
        <p class="api">
          <span class="code">{error.code}</span> <span lang="en">{error.code === 'ERR_INTERNAL' ? '' : error.message}</span>
        </p>
      </div>
      <p>
        <a href="/console/licences">{m.error.back}</a>
      </p>
    </Page>
  );
}
