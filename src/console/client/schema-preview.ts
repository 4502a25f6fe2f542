/**
 * The admin's schema editor: as the subject schema is typed, the issuing form it makes is shown beside
 * it, rendered by the same generator as the issue page (../licence-form.tsx), and the field names are
 * offered for the number and holder-name fields. Nothing is sent: the server checks again on register.
 */
import type { Lang } from '../i18n.js';
import { type FormMessages, LicenceFields, schemaPreviewDefinition } from '../licence-form.js';

interface PreviewWords extends FormMessages {
  lang: Lang;
  empty: string;
  bad: string;
}

export function schemaPreviews(): void {
  for (const editor of Array.from(document.querySelectorAll<HTMLTextAreaElement>('textarea[data-schema-editor]'))) {
    const target = document.getElementById(editor.getAttribute('data-schema-editor') ?? '');
    const source = document.getElementById('preview-messages');
    if (!target || !source?.textContent) continue;
    const words = JSON.parse(source.textContent) as PreviewWords;
    const names = document.getElementById('schema-fields');
    let timer: number | undefined;
    const update = () => {
      const text = editor.value;
      const definition = schemaPreviewDefinition(text);
      if (definition) {
        // hono/jsx escapes every text and attribute value it renders: titles from the schema stay text.
        target.innerHTML = String(LicenceFields({ definition, values: {}, problems: [], lang: words.lang, m: words }));
      } else {
        const line = document.createElement('p');
        line.className = 'hint';
        line.textContent = text.trim() ? words.bad : words.empty;
        target.textContent = '';
        target.append(line);
      }
      if (names) {
        names.textContent = '';
        names.append(
          ...Object.keys(definition?.schema.properties ?? {}).map((name) => {
            const option = document.createElement('option');
            option.value = name;
            return option;
          }),
        );
      }
      target.setAttribute('data-rendered', String(Date.now()));
    };
    editor.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 250);
    });
  }
}
