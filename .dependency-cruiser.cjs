/**
 * Import rules: the layers of docs/architecture.md, checked by `npm run lint:imports` (part of `npm test`)
 * and proved to bite by tests/architecture.test.ts. Type-only imports count: a layer that may not load a
 * module may not lean on its types either (src/core and verifier/ are type-checked with `"types": []`).
 */

/** Packages the pure core may use (and so the verifier library): Web-standard crypto, codecs, schemas. */
const CORE_PACKAGES = ['jose', 'fflate', '@noble/curves', '@noble/hashes', '@cfworker/json-schema', 'sm-crypto-v2'];
/** Packages of the inspectors' web app besides the verifier library. */
const WEB_PACKAGES = ['idb-keyval', 'jsqr'];

/** A package, resolved (…node_modules/name/…) or not (bare name), with or without a subpath. */
const packages = (names) => {
  const alternatives = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return `(^|/)node_modules/(${alternatives})(/|$)|^(${alternatives})(/|$)`;
};

const CORE = '^src/core/';
const VERIFIER_LIB = '^verifier/[^/]+\\.ts$';
const VERIFIER_WEB = '^verifier/web/';
const HOLDER_WEB = '^src/holder/web/';
/** Packages of the holder app (src/holder/web/). */
const HOLDER_WEB_PACKAGES = ['idb-keyval', 'qrcode'];
/** Shared code the holder app may bundle: the pure core (EL2 live QR) and the runtime-neutral QR drawing. */
const HOLDER_WEB_SHARED = ['^src/core/', '^src/app/qr-image\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'src/core runs unchanged in Node, Workers and browsers and is what the offline verifier trusts: it imports only itself and the ' +
        `packages ${CORE_PACKAGES.join(', ')}; no node: builtins, hono, drizzle or any other layer.`,
      severity: 'error',
      from: { path: CORE },
      to: { pathNot: [CORE, packages(CORE_PACKAGES)] },
    },
    {
      name: 'verifier-lib-only-core',
      comment:
        'The offline verifier library (verifier/*.ts) is the core plus the verdict rules, nothing heavier: it imports only src/core, ' +
        'its own files and the packages the core may use.',
      severity: 'error',
      from: { path: VERIFIER_LIB },
      to: { pathNot: [CORE, VERIFIER_LIB, packages(CORE_PACKAGES)] },
    },
    {
      name: 'verifier-web-only-verifier-lib',
      comment:
        "The inspectors' web app reaches the core only through the verifier library, so the library stays its one contract; " +
        `besides its own files it may load only ${WEB_PACKAGES.join(', ')}.`,
      severity: 'error',
      from: { path: VERIFIER_WEB },
      to: { pathNot: [VERIFIER_LIB, VERIFIER_WEB, packages(WEB_PACKAGES)] },
    },
    {
      name: 'import-core-is-neutral',
      comment:
        "The importer's runtime-neutral part (src/import-core: reading CSV/JSONL text, cell values, column mapping, row preparation, row keys, " +
        'batching, the CSV it writes) runs in Node for the command line and in the browser for the console import page: it imports only itself, ' +
        `src/core and the packages ${CORE_PACKAGES.join(', ')}; no node: builtins, hono, drizzle, services or any product.`,
      severity: 'error',
      from: { path: '^src/import-core/' },
      to: { pathNot: [CORE, '^src/import-core/', packages(CORE_PACKAGES)] },
    },
    {
      name: 'services-below-app-and-runtimes',
      comment: 'Business rules run on every runtime and under any front end: never the HTTP app, a runtime entry, the command line, the importer or hono.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: ['^src/(app|console|node|worker|cli|import)/', packages(['hono', '@hono'])] },
    },
    {
      name: 'services-no-node-builtins',
      comment: 'Services run on Workers too: Node APIs reach them only through ports (src/services/ports.ts) filled by a runtime entry.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'db-below-services',
      comment: 'The schema and Store interface are the bottom of the data layer: nothing above (services, app, runtimes, products) is imported.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/(services|app|console|node|worker|cli|import)/' },
    },
    {
      name: 'app-below-runtimes',
      comment: 'The hono app is built by a runtime entry (createApp(deps)) and never reaches back into one, nor into the command line or importer.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(node|worker|cli|import)/' },
    },
    {
      name: 'console-below-runtimes',
      comment:
        'The agency console (src/console) is a product served by the app on every runtime: it uses the app-level helpers and the services, never a runtime ' +
        'entry, the command line or the importer. Its .tsx views are checked by tests/console/architecture.test.ts (the swc parser here reads no JSX).',
      severity: 'error',
      from: { path: '^src/console/' },
      to: { path: '^src/(node|worker|cli|import)/' },
    },
    {
      name: 'holder-below-runtimes',
      comment:
        'The holder product (src/holder: its API routes and app) is served by the app on every runtime like the console: it uses the app-level helpers and ' +
        'the services, never a runtime entry, the command line, the importer or another product.',
      severity: 'error',
      from: { path: '^src/holder/', pathNot: HOLDER_WEB },
      to: { path: '^src/(node|worker|cli|import|console)/' },
    },
    {
      name: 'holder-web-only-own',
      comment:
        "The holder app runs in a business's browser and speaks to the server only through the holder API: it imports its own files and " +
        `${HOLDER_WEB_PACKAGES.join(', ')}, the pure core and the QR drawing (live EL2 QR), nothing else of the server (its data comes from /holder/v1, dates and check codes included).`,
      severity: 'error',
      from: { path: HOLDER_WEB },
      to: { pathNot: [HOLDER_WEB, ...HOLDER_WEB_SHARED, packages(HOLDER_WEB_PACKAGES)] },
    },
    {
      name: 'runtimes-below-products',
      comment: 'A runtime folder holds adapters and entries only: the command line and the importer are products that use them, never the reverse.',
      severity: 'error',
      from: { path: '^src/(node|worker)/' },
      to: { path: '^src/(cli|import|console|holder)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one layer in disguise and makes load order matter; split the shared part out instead.',
      severity: 'error',
      from: { path: '^(src|verifier)/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import the resolver cannot follow would slip past every rule above (and fail at run time).',
      severity: 'error',
      from: { path: '^(src|verifier)/' },
      to: { couldNotResolve: true },
    },
    // Orphans are allowed: tests, scripts, type declarations and entries are legitimately imported by nobody.
  ],
  options: {
    // TypeScript 7 (tsc in Go) has no JavaScript API for dependency-cruiser to parse with; swc parses the TypeScript instead.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // .tsx: dependency-cruiser's swc parser is configured without JSX; tests/console/architecture.test.ts checks those files' imports.
    exclude: { path: ['^dist/', '\\.tsx$'] },
    moduleSystems: ['es6', 'cjs'],
    // Sources import './x.js' for './x.ts': dependency-cruiser maps those itself when the .js file does not exist.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
