/**
 * An admin's page: licence types (list; register with a schema editor whose resulting form shows live),
 * signing keys (rotate, retire, with the licences each signed and how many are still valid), and the
 * audit trail (entries of this authority, page by page; the chain check; the head to record elsewhere).
 */
import type { AuditHead, AuditVerification } from '../../services/audit.js';
import type { KeyWithUsage } from '../../services/keys.js';
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import { chinaDateTime } from '../china-dates.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';
import { formMessagesOf, LicenceFields, schemaPreviewDefinition } from '../licence-form.js';

interface Base {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
}

export interface AuditRow {
  seq: number;
  at: number;
  action: string;
  actor: string;
  staffId: string | null;
  subjectId: string | null;
}

export interface AdminData {
  types: readonly StoredLicenceType[];
  keys: readonly KeyWithUsage[];
  head: AuditHead;
  recent: AuditRow[];
  /** Staff names of the entries' staff ids. */
  staff: ReadonlyMap<string, string>;
  /** The `before` of the next (older) page, when there is one; whether this is not the newest page. */
  olderThan?: number | undefined;
  paged?: boolean;
  verification?: AuditVerification | undefined;
  notice?: string | undefined;
  problem?: { field: string; text: string } | undefined;
  values?: Record<string, string | undefined>;
}

/** The fields of a schema as the issue page shows them, or a line saying why there is nothing to show. */
export function SchemaPreview({ m, lang, schemaText }: { m: Messages; lang: Lang; schemaText: string | undefined }) {
  const definition = schemaPreviewDefinition(schemaText);
  if (definition) return <LicenceFields definition={definition} values={{}} problems={[]} lang={lang} m={formMessagesOf(m)} />;
  return <p class="hint">{schemaText?.trim() ? m.admin.previewBad : m.admin.previewEmpty}</p>;
}

export function AdminPage({ m, lang, url, live, data }: Base & { data: AdminData }) {
  const a = m.admin;
  const v = data.values ?? {};
  const previewMessages = JSON.stringify({ lang, empty: a.previewEmpty, bad: a.previewBad, ...formMessagesOf(m) }).replace(/</g, '\\u003c');
  return (
    <Page m={m} lang={lang} title={a.title} url={url} live={live}>
      <h1>{a.title}</h1>
      {data.notice ? (
        <p class="notice" role="status">
          {data.notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={data.problem ? [{ text: data.problem.text, href: `#t-${data.problem.field}` }] : []} />
      <ul class="inline-links">
        <li>
          <a href="#types">{a.types}</a>
        </li>
        <li>
          <a href="#keys">{a.keys}</a>
        </li>
        <li>
          <a href="#audit">{a.audit}</a>
        </li>
      </ul>
      <section aria-labelledby="types">
        <h2 id="types">{a.types}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{a.typeCode}</th>
              <th scope="col">{a.typeNameZh}</th>
              <th scope="col">{a.catalogueCode}</th>
              <th scope="col">{a.numberField}</th>
              <th scope="col">{a.holderNameField}</th>
              <th scope="col">{a.uniquePerHolder}</th>
            </tr>
          </thead>
          <tbody>
            {data.types.map((t) => (
              <tr>
                <td class="code">
                  {t.code} {t.builtIn ? `(${a.builtIn})` : ''}
                </td>
                <td>{t.name[lang]}</td>
                <td class="code">{t.catalogueCode ?? ''}</td>
                <td class="code">{t.numberField ?? ''}</td>
                <td class="code">{t.holderNameField ?? ''}</td>
                <td>{t.uniquePerHolder ? '✓' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="editor">
          <form method="post" action="/console/admin/types" class="panel" novalidate>
            <Csrf live={live} />
            <label for="t-code">{a.typeCode}</label>
            <input type="text" id="t-code" name="code" value={v['code'] ?? ''} autocomplete="off" spellcheck={false} />
            <div class="row">
              <div>
                <label for="t-nameZh">{a.typeNameZh}</label>
                <input type="text" id="t-nameZh" name="nameZh" value={v['nameZh'] ?? ''} />
              </div>
              <div>
                <label for="t-nameEn">{a.typeNameEn}</label>
                <input type="text" id="t-nameEn" name="nameEn" value={v['nameEn'] ?? ''} />
              </div>
              <div>
                <label for="t-schemaVersion">{a.schemaVersion}</label>
                <input type="text" id="t-schemaVersion" name="schemaVersion" value={v['schemaVersion'] ?? '1.0'} />
              </div>
            </div>
            <label for="t-schema">{a.schema}</label>
            <textarea id="t-schema" name="schema" rows={14} class="code" spellcheck={false} data-schema-editor="type-preview">
              {v['schema'] ?? ''}
            </textarea>
            <div class="row">
              <div>
                <label for="t-catalogueCode">{a.catalogueCode}</label>
                <input type="text" id="t-catalogueCode" name="catalogueCode" value={v['catalogueCode'] ?? ''} autocomplete="off" spellcheck={false} />
              </div>
              <div>
                <label for="t-numberField">{a.numberField}</label>
                <input type="text" id="t-numberField" name="numberField" value={v['numberField'] ?? ''} autocomplete="off" spellcheck={false} list="schema-fields" />
              </div>
              <div>
                <label for="t-holderNameField">{a.holderNameField}</label>
                <input type="text" id="t-holderNameField" name="holderNameField" value={v['holderNameField'] ?? ''} autocomplete="off" spellcheck={false} list="schema-fields" />
              </div>
            </div>
            <datalist id="schema-fields">
              {Object.keys(schemaPreviewDefinition(v['schema'])?.schema.properties ?? {}).map((name) => (
                <option value={name}></option>
              ))}
            </datalist>
            <label class="check">
              <input type="checkbox" id="t-uniquePerHolder" name="uniquePerHolder" value="1" {...(v['uniquePerHolder'] === '1' ? { checked: true } : {})} /> {a.uniquePerHolder}
            </label>
            <button type="submit">{a.register}</button>
          </form>
          <section aria-labelledby="preview-title" class="panel preview">
            <h3 id="preview-title">{a.preview}</h3>
            <script type="application/json" id="preview-messages" dangerouslySetInnerHTML={{ __html: previewMessages }}></script>
            <div id="type-preview">
              <SchemaPreview m={m} lang={lang} schemaText={v['schema']} />
            </div>
          </section>
        </div>
      </section>
      <section aria-labelledby="keys">
        <h2 id="keys">{a.keys}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{a.colKid}</th>
              <th scope="col">{a.colAlg}</th>
              <th scope="col">{a.colKeyStatus}</th>
              <th scope="col">{a.colValidFrom}</th>
              <th scope="col">{a.colSigned}</th>
              <th scope="col">{a.colStillValid}</th>
              <th scope="col">
                <span class="visually-hidden">{m.licence.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.keys.map((k) => (
              <tr>
                <td class="code">{k.kid}</td>
                <td>{k.alg}</td>
                <td>{k.status === 'active' ? a.active : k.status === 'published' ? a.published : a.retired}</td>
                <td>{chinaDateTime(k.validFrom)}</td>
                <td>{k.signed}</td>
                <td>{k.stillValid}</td>
                <td class="actions">
                  {k.status === 'published' ? (
                    <form method="post" action={`/console/admin/keys/${encodeURIComponent(k.kid)}/retire`}>
                      <Csrf live={live} />
                      <span class="hint" id={`w-${k.kid}`}>
                        {a.retireWarning(k.stillValid)}
                      </span>
                      <button type="submit" class="secondary" aria-label={`${a.retire} ${k.kid}`} aria-describedby={`w-${k.kid}`}>
                        {a.retire}
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form method="post" action="/console/admin/keys/rotate">
          <Csrf live={live} />
          <button type="submit" class="secondary">
            {a.rotate}
          </button>
        </form>
      </section>
      <section aria-labelledby="audit">
        <h2 id="audit">{a.audit}</h2>
        {data.verification ? (
          <p class={data.verification.ok ? 'notice' : 'problem'} role="status">
            {data.verification.ok ? a.auditOk(data.verification.entries) : a.auditBroken(data.verification.firstBrokenSeq, data.verification.reason)}
          </p>
        ) : null}
        <p>
          {a.head}: <span class="code">{`${data.head.seq}:${data.head.hash}`}</span>
        </p>
        <form method="post" action="/console/admin/audit/verify">
          <Csrf live={live} />
          <button type="submit" class="secondary">
            {a.verify}
          </button>
        </form>
        <h3>{a.recent}</h3>
        <table>
          <thead>
            <tr>
              <th scope="col">{a.colSeq}</th>
              <th scope="col">{a.colAt}</th>
              <th scope="col">{a.colAction}</th>
              <th scope="col">{a.colActor}</th>
              <th scope="col">{a.colSubject}</th>
            </tr>
          </thead>
          <tbody>
            {data.recent.map((e) => (
              <tr>
                <td>{e.seq}</td>
                <td>{chinaDateTime(e.at)}</td>
                <td class="code">{e.action}</td>
                <td>
                  {e.staffId ? `${data.staff.get(e.staffId) ?? e.staffId} · ` : ''}
                  <span class="code">{e.actor}</span>
                </td>
                <td class="code">{e.subjectId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="pager">
          {data.paged ? <a href="/console/admin#audit">{a.newest}</a> : null}{' '}
          {data.olderThan !== undefined ? <a href={`/console/admin?before=${data.olderThan}#audit`}>{a.older}</a> : null}
        </p>
      </section>
    </Page>
  );
}
