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
    deepLinking: true,
    displayOperationId: false,
    defaultModelsExpandDepth: 0,
    docExpansion: 'list',
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    syntaxHighlight: { activated: true, theme: 'agate' },
  });
}

export {};
