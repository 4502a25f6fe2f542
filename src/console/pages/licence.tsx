/** One licence: its fields, status, QR, print links, the changes a role may make, and its history. */
import { parseDate } from '../../core/dates.js';
import type { LicenceTypeDefinition } from '../../core/licence-types.js';
import type { AgentAuthorisationView } from '../../services/agent-authorisations.js';
import type { DeviceView } from '../../services/devices.js';
import type { LicenceRow } from '../../services/issuance.js';
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { EffectiveStatus } from '../../services/licences.js';
import type { HistoryEvent } from '../../services/lifecycle.js';
import type { LiveSession } from '../../services/sessions.js';
import { chinaDate, chinaDateTime, lastValidDay } from '../china-dates.js';
import { fieldLabelIn, fieldText, orderedFields } from '../form-fields.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';
import { LicenceFields, type ShownProblem, TypeDefinitionScript } from '../licence-form.js';
import { type ChangeAction, REASONS_FOR, reasonName } from '../reasons.js';
import { StatusBadge } from './find.js';

interface Base {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
}

export interface LicencePageData {
  row: LicenceRow;
  status: EffectiveStatus;
  type: StoredLicenceType | undefined;
  subject: Record<string, unknown>;
  authority: { nameZh: string; nameEn: string };
  history: HistoryEvent[];
  /** Display names of the staff accounts named in the history. */
  staffNames: Map<string, string>;
  can: { amend: boolean; status: boolean; holderAccess: boolean };
  /** The holder's devices (administrators) and this licence's agent authorisations (issue 24). */
  devices?: DeviceView[];
  authorisations?: AgentAuthorisationView[];
  notice?: string | undefined;
  problem?: string | undefined;
}

export const holderNameOf = (row: LicenceRow) => row.holderName ?? row.holderCreditCode;

function valueText(definition: LicenceTypeDefinition | undefined, name: string, value: unknown): string {
  const property = definition?.schema.properties[name];
  if (property?.['format'] === 'date' && parseDate(value)) return String(value);
  return property ? fieldText(property, value) : typeof value === 'string' ? value : JSON.stringify(value);
}

function SubjectList({ type, subject, lang }: { type: StoredLicenceType | undefined; subject: Record<string, unknown>; lang: Lang }) {
  const names = type ? orderedFields(type).map(([name]) => name) : [];
  for (const name of Object.keys(subject)) if (!names.includes(name)) names.push(name);
  return (
    <>
      {names
        .filter((name) => subject[name] !== undefined)
        .map((name) => (
          <>
            <dt>{fieldLabelIn(type?.schema.properties[name], name, lang)}</dt>
            <dd class={name === 'creditCode' || name === 'licenceNumber' ? 'code' : undefined}>{valueText(type, name, subject[name])}</dd>
          </>
        ))}
    </>
  );
}

function ChangeForm({ m, lang, live, row, action }: { m: Messages; lang: Lang; live: LiveSession; row: LicenceRow; action: ChangeAction }) {
  const id = `${action}-reason`;
  return (
    <form method="post" action={`/console/licences/${row.id}/${action}`} class="panel">
      <Csrf live={live} />
      <h3>{m.licence[action]}</h3>
      <label for={id}>{m.licence.reasonLabel}</label>
      <select id={id} name="reason" required>
        {REASONS_FOR[action].map((reason) => (
          <option value={reason}>{reasonName(reason, lang)}</option>
        ))}
      </select>
      <label for={`${action}-note`}>{m.licence.note}</label>
      <textarea id={`${action}-note`} name="note" rows={2} maxlength={500}></textarea>
      <button type="submit" class={action === 'revoke' ? 'danger' : undefined}>
        {m.licence[action]}
      </button>
    </form>
  );
}

export function LicencePage({ m, lang, url, live, data }: Base & { data: LicencePageData }) {
  const { row, status, type } = data;
  const name = holderNameOf(row);
  const title = `${type ? type.name[lang] : row.type} · ${name}`;
  const who = (event: HistoryEvent) => (event.staffId ? (data.staffNames.get(event.staffId) ?? event.staffId) : event.actor);
  const card = (format: string) => `/console/licences/${row.id}/card?format=${format}#print`;
  const live_ = status === 'active' || status === 'suspended';
  return (
    <Page m={m} lang={lang} title={title} url={url} live={live}>
      <h1>
        {title} <StatusBadge status={status} m={m} />
      </h1>
      {data.notice ? (
        <p class="notice" role="status">
          {data.notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={data.problem ? [{ text: data.problem }] : []} />
      <div class="licence">
        <section class="panel" aria-labelledby="fields">
          <h2 id="fields">{m.licence.fields}</h2>
          <dl class="fields">
            <SubjectList type={type} subject={data.subject} lang={lang} />
            <dt>{m.licence.validity}</dt>
            <dd>
              {m.licence.validFrom} {chinaDate(row.validFrom)} {m.licence.validUntil} {lastValidDay(row.validUntil)}
            </dd>
            {row.statusReason ? (
              <>
                <dt>{m.licence.reason}</dt>
                <dd>{reasonName(row.statusReason, lang)}</dd>
              </>
            ) : null}
            <dt>{m.licence.issuedAt}</dt>
            <dd>{chinaDateTime(row.issuedAt)}</dd>
            <dt>{m.licence.authority}</dt>
            <dd>{lang === 'en' ? data.authority.nameEn : data.authority.nameZh}</dd>
            <dt>{m.licence.id}</dt>
            <dd class="code">{row.id}</dd>
            {row.supersedes ? (
              <>
                <dt>{m.licence.supersedes}</dt>
                <dd>
                  <a href={`/console/licences/${row.supersedes}`}>{row.supersedes}</a>
                </dd>
              </>
            ) : null}
            {row.supersededBy ? (
              <>
                <dt>{m.licence.supersededBy}</dt>
                <dd>
                  <a href={`/console/licences/${row.supersededBy}`}>{row.supersededBy}</a>
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <figure>
          <img src={`/console/licences/${row.id}/qr.svg`} alt={m.licence.qrAlt(name)} width={208} height={208} />
          <figcaption>{m.licence.qr}</figcaption>
        </figure>
      </div>
      <section aria-labelledby="print" class="no-print">
        <h2 id="print">{m.licence.print}</h2>
        <p>
          <a class="button secondary" href={card('a4')} target="_blank" rel="noopener">
            {m.licence.print} {m.licence.printA4}
          </a>
          <a class="button secondary" href={card('a5')} target="_blank" rel="noopener">
            {m.licence.print} {m.licence.printA5}
          </a>
          <a class="button secondary" href={card('card')} target="_blank" rel="noopener">
            {m.licence.print} {m.licence.printCard}
          </a>
        </p>
      </section>
      {data.can.holderAccess ? (
        <section aria-labelledby="holder-access" class="no-print">
          <h2 id="holder-access">{m.holderAccess.title}</h2>
          <p class="hint">{m.holderAccess.intro}</p>
          <form method="post" action={`/console/licences/${row.id}/holder-access`}>
            <Csrf live={live} />
            <button type="submit" class="secondary">
              {m.holderAccess.create}
            </button>
          </form>
        </section>
      ) : null}
      <DevicesSection m={m} live={live} data={data} />
      {live_ ? (
        <section aria-labelledby="actions" class="actions">
          <h2 id="actions">{m.licence.actions}</h2>
          {data.can.amend && status === 'active' ? (
            <p>
              <a class="button" href={`/console/licences/${row.id}/amend`}>
                {m.licence.amend}
              </a>
            </p>
          ) : null}
          {data.can.status ? (
            <div>
              {status === 'active' ? <ChangeForm m={m} lang={lang} live={live} row={row} action="suspend" /> : null}
              {status === 'suspended' ? <ChangeForm m={m} lang={lang} live={live} row={row} action="reinstate" /> : null}
              <ChangeForm m={m} lang={lang} live={live} row={row} action="revoke" />
            </div>
          ) : (
            <p class="hint">{m.licence.supervisorOnly}</p>
          )}
        </section>
      ) : null}
      <section aria-labelledby="history">
        <h2 id="history">{m.licence.history}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{m.licence.when}</th>
              <th scope="col">{m.licence.what}</th>
              <th scope="col">{m.licence.who}</th>
              <th scope="col">{m.licence.why}</th>
              <th scope="col">{m.licence.noteCol}</th>
            </tr>
          </thead>
          <tbody>
            {data.history.map((event) => (
              <tr>
                <td>{chinaDateTime(Date.parse(event.at))}</td>
                <td>{m.events[event.action] ?? event.action}</td>
                <td>{who(event)}</td>
                <td>{reasonName(event.reason, lang)}</td>
                <td>{event.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Page>
  );
}

/** The holder's devices and this licence's agent authorisations, with remove / revoke for supervisors (CSRF-protected forms). */
function DevicesSection({ m, live, data }: { m: Messages; live: LiveSession; data: LicencePageData }) {
  const d = m.holderDevices;
  const devices = (data.devices ?? []).filter((device) => device.status === 'active');
  const authorisations = data.authorisations ?? [];
  const day = (iso: string) => chinaDate(Date.parse(iso));
  return (
    <section aria-labelledby="holder-devices" class="no-print">
      <h2 id="holder-devices">{d.title}</h2>
      <p class="hint">{d.intro}</p>
      <h3>{d.devices}</h3>
      {devices.length === 0 ? <p>{d.noDevices}</p> : null}
      <ul>
        {devices.map((device) => (
          <li data-device={device.id}>
            {d.device(device.id, day(device.createdAt))}{' '}
            {data.can.status ? (
              <form method="post" action={`/console/licences/${data.row.id}/devices/${encodeURIComponent(device.id)}/remove`}>
                <Csrf live={live} />
                <button type="submit" class="secondary">
                  {d.remove}
                </button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
      <h3>{d.agents}</h3>
      {authorisations.length === 0 ? <p>{d.noAgents}</p> : null}
      <ul>
        {authorisations.map((a) => (
          <li data-authorisation={a.id}>
            {d.agent(a.agent.name, a.agent.idNumberMasked, a.matters === 'all' ? d.allMatters : a.matters.join(', '), day(a.validFrom), lastValidDay(Date.parse(a.validUntil)))} ·{' '}
            {d.state[a.status] ?? a.status}{' '}
            {data.can.status && a.status === 'active' ? (
              <form method="post" action={`/console/licences/${data.row.id}/agents/${encodeURIComponent(a.id)}/revoke`}>
                <Csrf live={live} />
                <button type="submit" class="secondary">
                  {d.revoke}
                </button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
      {!data.can.status && (devices.length > 0 || authorisations.length > 0) ? <p class="hint">{d.statusOnly}</p> : null}
    </section>
  );
}

/** What will happen, said before it happens; the form re-sends the same fields with confirm=1. */
export function ConfirmPage({
  m,
  lang,
  url,
  live,
  action,
  text,
  fields,
  changes,
  cancel,
}: Base & { action: ChangeAction | 'amend'; text: string; fields: Record<string, string>; changes?: { label: string; from: string; to: string }[]; cancel: string }) {
  const button = { suspend: m.confirm.doSuspend, reinstate: m.confirm.doReinstate, revoke: m.confirm.doRevoke, amend: m.confirm.doAmend }[action];
  return (
    <Page m={m} lang={lang} title={m.confirm.title} url={url} live={live}>
      <h1>{m.confirm.title}</h1>
      <form method="post" action={url.pathname} class="panel">
        <p>{text}</p>
        {changes ? (
          <table>
            <tbody>
              {changes.map((change) => (
                <tr>
                  <th scope="row">{change.label}</th>
                  <td>
                    {m.confirm.from}: {change.from || m.confirm.empty}
                  </td>
                  <td>
                    {m.confirm.to}: {change.to || m.confirm.empty}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {fields['reason'] ? (
          <p>
            {m.licence.reasonLabel}: {reasonName(fields['reason'], lang)}
          </p>
        ) : null}
        <Csrf live={live} />
        <input type="hidden" name="confirm" value="1" />
        {Object.entries(fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit" class={action === 'revoke' ? 'danger' : undefined}>
          {button}
        </button>
        <a class="button secondary" href={cancel}>
          {m.confirm.cancel}
        </a>
      </form>
    </Page>
  );
}

export function AmendPage({
  m,
  lang,
  url,
  live,
  row,
  type,
  values,
  problems,
  note,
}: Base & { row: LicenceRow; type: StoredLicenceType; values: Record<string, unknown>; problems: ShownProblem[]; note: string }) {
  const title = `${m.licence.amend} · ${holderNameOf(row)}`;
  return (
    <Page m={m} lang={lang} title={title} url={url} live={live}>
      <h1>{title}</h1>
      <ProblemBox title={m.issue.errors} items={problems.map((p) => ({ text: p.text, href: `#f-${p.field}` }))} />
      <TypeDefinitionScript definition={type} />
      <form method="post" action={`/console/licences/${row.id}/amend`} class="panel" novalidate data-check="" data-amend="">
        <Csrf live={live} />
        <LicenceFields definition={type} values={values} problems={problems} lang={lang} m={m} amend />
        <label for="note">{m.licence.note}</label>
        <textarea id="note" name="note" rows={2} maxlength={500}>
          {note}
        </textarea>
        <button type="submit">{m.licence.amend}</button>
        <a class="button secondary" href={`/console/licences/${row.id}`}>
          {m.confirm.cancel}
        </a>
      </form>
    </Page>
  );
}
