/**
 * The console's one script (loaded with `defer`; the pages work without it). It
 * - checks licence fields as they are typed, with the same checker and messages as the server
 *   (src/core/field-check.ts, ../field-messages.ts), the type's schema read from the page;
 * - submits a form once: a double click sends one request (the form also carries an idempotency key);
 * - on the amendment form, leaves unchanged fields out, so only the change is sent;
 * - on a card page opened with #print, opens the print dialog;
 * - on the administration page, shows the form a licence type's schema makes as it is typed (schema-preview.ts).
 */
import { FieldChecker } from '../../core/field-check.js';
import type { LicenceTypeDefinition } from '../../core/licence-types.js';
import { fieldMessage } from '../field-messages.js';
import { FIELD_PREFIX, readFieldValue } from '../form-fields.js';
import type { Lang } from '../i18n.js';
import { schemaPreviews } from './schema-preview.js';

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function lang(): Lang {
  return document.documentElement.getAttribute('data-lang') === 'en' ? 'en' : 'zh';
}

function showProblem(control: Control, text: string | undefined, api: string | undefined): void {
  const box = document.getElementById(`e-${control.id}`);
  if (!box) return;
  box.textContent = '';
  if (text) {
    box.append(text);
    if (api && api !== text) {
      const span = document.createElement('span');
      span.lang = 'en';
      span.className = 'api';
      span.textContent = api;
      box.append(' ', span);
    }
    control.setAttribute('aria-invalid', 'true');
  } else {
    control.removeAttribute('aria-invalid');
  }
}

function liveChecks(form: HTMLFormElement): void {
  const source = document.getElementById('type-def');
  if (!source?.textContent) return;
  const definition = JSON.parse(source.textContent) as LicenceTypeDefinition;
  const checker = new FieldChecker(definition);
  const timers = new Map<Control, number>();
  const check = (control: Control) => {
    const name = control.name.slice(FIELD_PREFIX.length);
    const property = definition.schema.properties[name];
    if (!property) return;
    const raw = control instanceof HTMLInputElement && control.type === 'checkbox' ? (control.checked ? 'on' : undefined) : control.value;
    const read = readFieldValue(property, raw);
    if (read.kind === 'bad') {
      showProblem(control, control.getAttribute('data-json-message') ?? 'JSON', undefined);
      return;
    }
    const problem = checker.check(name, read.kind === 'value' ? read.value : undefined);
    showProblem(control, problem && fieldMessage(problem, property, lang()), problem?.message);
  };
  for (const control of Array.from(form.querySelectorAll<Control>(`[name^="${FIELD_PREFIX}"]`))) {
    // As typed (after a short pause, so an old PC keeps up), and at once when the field is left.
    control.addEventListener('input', () => {
      window.clearTimeout(timers.get(control));
      timers.set(
        control,
        window.setTimeout(() => check(control), 300),
      );
    });
    control.addEventListener('change', () => check(control));
    control.addEventListener('blur', () => {
      if (control.value !== '' || control.hasAttribute('aria-invalid')) check(control);
    });
  }
}

function submitOnce(form: HTMLFormElement): void {
  let sent = false;
  form.addEventListener('submit', (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    // After this event the browser has read the form: the buttons can go grey without losing their value.
    window.setTimeout(() => {
      for (const button of Array.from(form.querySelectorAll<HTMLButtonElement>('button[type="submit"], button:not([type])'))) {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
      }
    }, 0);
    // A form left on screen (e.g. a download) becomes usable again.
    window.setTimeout(() => {
      sent = false;
      for (const button of Array.from(form.querySelectorAll<HTMLButtonElement>('button'))) button.disabled = false;
    }, 15_000);
  });
}

function onlyChanges(form: HTMLFormElement): void {
  form.addEventListener('submit', () => {
    for (const control of Array.from(form.querySelectorAll<Control>(`[name^="${FIELD_PREFIX}"][data-initial]`))) {
      // A checkbox is always sent as it stands: an unticked one is absent either way.
      if (control instanceof HTMLInputElement && control.type === 'checkbox') continue;
      const value = control.value;
      if (value.replace(/\r\n?/g, '\n').trim() === (control.getAttribute('data-initial') ?? '').trim()) control.disabled = true;
    }
    // Should the request fail (back button), the fields come back.
    window.setTimeout(() => {
      for (const control of Array.from(form.querySelectorAll<Control>('[data-initial]'))) control.disabled = false;
    }, 1000);
  });
}

function start(): void {
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-check]'))) liveChecks(form);
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-amend]'))) onlyChanges(form);
  for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form'))) submitOnce(form);
  schemaPreviews();
  if (document.body.hasAttribute('data-print') && window.location.hash === '#print') window.print();
  document.body.setAttribute('data-ready', 'true');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
