/**
 * Importing a register from the browser (clerk and up): the file is read and checked on the clerk's
 * computer by the page's own script (src/console/client/import.ts, on the importer's runtime-neutral
 * core), which then sends the good rows to POST /console/import/batch in chunks, each row with the
 * idempotency key the command line would give it. The page is the frame: the choices, the report
 * table, the progress bar and the download links, filled in by the script.
 */
import type { LicenceTypeDefinition } from '../../core/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { IMPORT_MESSAGES } from '../import-messages.js';
import { Page } from '../layout.js';

/** What the page's script needs, as JSON in the page. */
export interface ImportPageData {
  csrf: string;
  batchUrl: string;
  batchSize: number;
  maxBatchSize: number;
  defaultValidityDays: number;
  types: Pick<LicenceTypeDefinition, 'code' | 'name' | 'schemaVersion' | 'schema'>[];
  text: (typeof IMPORT_MESSAGES)[Lang]['script'];
}

export function ImportPage({
  m,
  lang,
  url,
  live,
  data,
  script,
}: {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
  data: Omit<ImportPageData, 'text' | 'csrf'>;
  script: { name: string };
}) {
  const t = IMPORT_MESSAGES[lang];
  const json = JSON.stringify({ ...data, csrf: live.session.csrfToken, text: t.script } satisfies ImportPageData).replace(/</g, '\\u003c');
  return (
    <Page m={m} lang={lang} title={t.title} url={url} live={live} script={script}>
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      <noscript>
        <p class="problem">{t.noScript}</p>
      </noscript>
      {data.types.length === 0 ? (
        <p>{t.noTypes}</p>
      ) : (
        <form id="import-form" class="panel" data-import="">
          <div class="field">
            <label for="import-type">{t.type}</label>
            <select id="import-type" name="type">
              {data.types.map((type) => (
                <option value={type.code}>{`${type.name[lang]} (${type.code})`}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="import-file">{t.file}</label>
            <input id="import-file" name="file" type="file" accept=".csv,.tsv,.txt,.xlsx" required aria-describedby="import-file-hint" />
            <p class="hint" id="import-file-hint">
              {t.fileHint}
            </p>
          </div>
          <button type="submit" id="import-check">
            {t.check}
          </button>
        </form>
      )}
      <section id="import-report" aria-labelledby="import-report-title" hidden>
        <h2 id="import-report-title" tabindex={-1}>
          {t.reportTitle}
        </h2>
        <p id="import-summary" role="status"></p>
        <ul id="import-columns" class="problem" hidden></ul>
        <table id="import-refused" hidden>
          <thead>
            <tr>
              <th scope="col">{t.colRow}</th>
              <th scope="col">{t.colColumn}</th>
              <th scope="col">{t.colField}</th>
              <th scope="col">{t.colCode}</th>
              <th scope="col">{t.colMessage}</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
        <p>
          <button type="button" id="import-start" hidden>
            {t.start}
          </button>{' '}
          <button type="button" id="import-stop" class="secondary" hidden>
            {t.stop}
          </button>
        </p>
      </section>
      <div id="import-run" hidden>
        <p>
          <label id="import-progress-label" for="import-progress">
            {t.progress}
          </label>{' '}
          <progress id="import-progress" max={100} value={0}></progress>
        </p>
        <p id="import-status" role="status" aria-live="polite"></p>
      </div>
      <section id="import-downloads" aria-labelledby="import-downloads-title" hidden>
        <h2 id="import-downloads-title">{t.downloads}</h2>
        <p>
          <a id="import-download-results" class="button" href="/console/import" hidden>
            {t.downloadResults}
          </a>{' '}
          <a id="import-download-refused" class="button secondary" href="/console/import" hidden>
            {t.downloadRefused}
          </a>
        </p>
      </section>
      <script type="application/json" id="import-data" dangerouslySetInnerHTML={{ __html: json }}></script>
    </Page>
  );
}
