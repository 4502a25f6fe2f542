/**
 * The /docs page's start-up script (a file, not inline: the content security policy allows scripts from
 * this origin only). Swagger UI (swagger-ui-dist, loaded just before with `defer`) renders /openapi.json;
 * nothing is fetched from anywhere else: the spec validator badge (validator.swagger.io) is switched off.
 */

interface SwaggerUiGlobal {
  (options: Record<string, unknown>): unknown;
  presets: { apis: unknown };
}

declare global {
  interface Window {
    SwaggerUIBundle?: SwaggerUiGlobal;
  }
}

const root = document.getElementById('swagger-ui');
const SwaggerUIBundle = window.SwaggerUIBundle;
if (root && SwaggerUIBundle) {
  root.textContent = '';
  SwaggerUIBundle({
    url: root.dataset['spec'] ?? '/openapi.json',
    domNode: root,
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    // Off: the default posts the document to validator.swagger.io for a badge.
    validatorUrl: null,
    // Off: with deep links each operation's path is a link inside its expand button (axe: nested-interactive).
    deepLinking: false,
    displayOperationId: false,
    defaultModelsExpandDepth: 0,
    docExpansion: 'list',
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    // Plain examples: the highlighter's themes fall below WCAG AA contrast.
    syntaxHighlight: { activated: false },
  });
  labelControls(root);
}

/**
 * Swagger UI renders a few controls without accessible names, and scrolling example boxes that a
 * keyboard cannot reach: named and made focusable as they appear.
 */
function labelControls(container: HTMLElement): void {
  const fix = () => {
    for (const select of container.querySelectorAll<HTMLSelectElement>('select:not([aria-label])')) {
      // The servers list (its label element holds no text), or a parameter's value list (its row names the parameter).
      if (select.id === 'servers') select.setAttribute('aria-label', 'Server');
      else if (![...(select.labels ?? [])].some((label) => label.textContent?.trim())) select.setAttribute('aria-label', select.closest('tr')?.dataset['paramName'] ?? 'Value');
    }
    for (const box of container.querySelectorAll<HTMLElement>('pre:not([tabindex])')) box.tabIndex = 0;
  };
  fix();
  new MutationObserver(fix).observe(container, { childList: true, subtree: true });
}

export {};
