/** Issuing: pick a type the account may handle, then its form (generated from the type's schema). */
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';
import { controlId, LicenceFields, type ShownProblem, TypeDefinitionScript } from '../licence-form.js';

export function PickTypePage({ m, lang, url, live, types }: { m: Messages; lang: Lang; url: URL; live: LiveSession; types: readonly StoredLicenceType[] }) {
  return (
    <Page m={m} lang={lang} title={m.issue.title} url={url} live={live}>
      <h1>{m.issue.pick}</h1>
      {types.length === 0 ? (
        <p>{m.issue.noTypes}</p>
      ) : (
        <ul class="panel">
          {types.map((t) => (
            <li>
              <a href={`/console/issue/${encodeURIComponent(t.code)}`}>{t.name[lang]}</a> <span class="hint-inline code">{t.code}</span>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export interface IssueFormState {
  values: Record<string, unknown>;
  validFrom: string;
  validUntil: string;
  /** 长期: no expiry. */
  longTerm?: boolean;
  idempotencyKey: string;
  problems: ShownProblem[];
  /** A refusal not about one field (e.g. the holder already has an active licence). */
  general?: { text: string; link?: { href: string; text: string } } | undefined;
}

export function IssueFormPage({ m, lang, url, live, type, state }: { m: Messages; lang: Lang; url: URL; live: LiveSession; type: StoredLicenceType; state: IssueFormState }) {
  const title = m.issue.formTitle(type.name[lang]);
  const items = [
    ...(state.general
      ? [
          {
            text: (
              <>
                {state.general.text} {state.general.link ? <a href={state.general.link.href}>{state.general.link.text}</a> : null}
              </>
            ),
          },
        ]
      : []),
    ...state.problems.map((p) => ({ href: `#${p.field === 'validFrom' || p.field === 'validUntil' ? p.field : controlId(p.field)}`, text: p.text })),
  ];
  const dateProblem = (field: string) => state.problems.find((p) => p.field === field);
  return (
    <Page m={m} lang={lang} title={title} url={url} live={live}>
      <h1>{title}</h1>
      <ProblemBox title={m.issue.errors} items={items} />
      <TypeDefinitionScript definition={type} />
      <form method="post" action={`/console/issue/${encodeURIComponent(type.code)}`} class="panel" novalidate data-check="">
        <Csrf live={live} />
        <input type="hidden" name="idempotencyKey" value={state.idempotencyKey} />
        <LicenceFields definition={type} values={state.values} problems={state.problems} lang={lang} m={m} />
        <fieldset>
          <legend>{m.licence.validity}</legend>
          {(['validFrom', 'validUntil'] as const).map((field) => (
            <>
              <label for={field}>{field === 'validFrom' ? m.issue.validFrom : m.issue.validUntil}</label>
              <span class="err" id={`e-${field}`}>
                {dateProblem(field)?.text ?? ''}
              </span>
              <input
                type="date"
                id={field}
                name={field}
                value={field === 'validFrom' ? state.validFrom : state.validUntil}
                aria-describedby={`e-${field}`}
                {...(dateProblem(field) ? { 'aria-invalid': 'true' } : {})}
              />
            </>
          ))}
          <label class="check">
            <input type="checkbox" id="longTerm" name="longTerm" value="1" {...(state.longTerm ? { checked: true } : {})} /> {m.issue.longTerm}
          </label>
        </fieldset>
        <button type="submit">{m.issue.submit}</button>
      </form>
    </Page>
  );
}
