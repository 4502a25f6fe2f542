/** Finding licences: by any part of the holder name, credit code, licence id or identifier; filters; paging. */

import type { LicenceRow } from '../../services/issuance.js';
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { EffectiveStatus } from '../../services/licences.js';
import type { LiveSession } from '../../services/sessions.js';
import { chinaDate } from '../china-dates.js';
import type { Lang, Messages } from '../i18n.js';
import { Page, ProblemBox } from '../layout.js';

export interface FindQuery {
  q: string;
  type: string;
  status: string;
  from: string;
  to: string;
}

export function typeName(types: readonly StoredLicenceType[], code: string, lang: Lang): string {
  const type = types.find((t) => t.code === code);
  return type ? type.name[lang] : code;
}

export const StatusBadge = ({ status, m }: { status: EffectiveStatus; m: Messages }) => <span class={`badge s-${status}`}>{m.status[status] ?? status}</span>;

export function FindPage({
  m,
  lang,
  url,
  live,
  types,
  query,
  rows,
  statusOf,
  nextHref,
  problem,
  searched,
}: {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
  types: readonly StoredLicenceType[];
  query: FindQuery;
  rows: LicenceRow[];
  statusOf: (row: LicenceRow) => EffectiveStatus;
  nextHref?: string | undefined;
  problem?: string | undefined;
  searched: boolean;
}) {
  return (
    <Page m={m} lang={lang} title={m.find.title} url={url} live={live}>
      <h1>{m.find.title}</h1>
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem, href: '#q' }] : []} />
      <form method="get" action="/console/licences" class="panel" aria-label={m.find.title}>
        <label for="q">{m.find.query}</label>
        <input type="search" id="q" name="q" value={query.q} autocomplete="off" />
        <div class="row">
          <div>
            <label for="type">{m.find.type}</label>
            <select id="type" name="type">
              <option value="">{m.find.any}</option>
              {types.map((t) => (
                <option value={t.code} selected={t.code === query.type}>
                  {t.name[lang]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="status">{m.find.status}</label>
            <select id="status" name="status">
              <option value="">{m.find.any}</option>
              {(['active', 'suspended', 'revoked', 'expired'] as const).map((s) => (
                <option value={s} selected={s === query.status}>
                  {m.status[s]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="from">{m.find.issuedFrom}</label>
            <input type="date" id="from" name="from" value={query.from} />
          </div>
          <div>
            <label for="to">{m.find.issuedTo}</label>
            <input type="date" id="to" name="to" value={query.to} />
          </div>
        </div>
        <button type="submit">{m.find.submit}</button>
      </form>
      {searched ? (
        <section aria-labelledby="results">
          <h2 id="results">{m.find.results}</h2>
          {rows.length === 0 ? (
            <p role="status">{m.find.none}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{m.find.colName}</th>
                  <th scope="col">{m.find.colType}</th>
                  <th scope="col">{m.find.colCode}</th>
                  <th scope="col">{m.find.colStatus}</th>
                  <th scope="col">{m.find.colIssued}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr>
                    <td>
                      <a href={`/console/licences/${row.id}`}>{row.holderName ?? row.holderCreditCode}</a>
                    </td>
                    <td>{typeName(types, row.type, lang)}</td>
                    <td class="code">{row.holderCreditCode}</td>
                    <td>
                      <StatusBadge status={statusOf(row)} m={m} />
                    </td>
                    <td>{chinaDate(row.issuedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="pager">
            {nextHref ? <a href={nextHref}>{m.find.next}</a> : null}
            {query.q || url.searchParams.has('cursor') ? (
              <>
                {nextHref ? ' · ' : ''}
                {url.searchParams.has('cursor') ? <a href={firstPageHref(url)}>{m.find.first}</a> : null}
              </>
            ) : null}
          </p>
        </section>
      ) : null}
    </Page>
  );
}

function firstPageHref(url: URL): string {
  const first = new URL(url.toString());
  first.searchParams.delete('cursor');
  first.searchParams.delete('lang');
  return `${first.pathname}${first.search}`;
}
