/**
 * Node environment, parsed once at the entry point. `npm start` and every command of the CLI read the
 * same settings: the environment, over an optional `.env` file in the project folder, over the defaults
 * (data and keys in the project folder). So `audit verify`, `trust`, `token` and `import --local` find
 * the database `npm start` uses without re-exporting DATA_DIR.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import type { JWK } from 'jose';
import { z } from 'zod';
import { type AppConfig, defaultConfig } from '../app/deps.js';
import { isValidCreditCode } from '../core/credit-code.js';
import type { FirstAuthority } from '../services/bootstrap.js';
import { DEV_AUTHORITY } from '../services/dev-setup.js';
import { NODE_PASSWORD_HASHING } from '../services/passwords.js';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).optional(),
  KEYS_DIR: z.string().min(1).optional(),
  PUBLIC_URL: z.string().url().optional(),
  ELICENCE_DEV_ADMIN_PASSWORD: z.string().min(10).max(200).optional(),
  ELICENCE_DEV_TOKEN: z
    .string()
    .min(16)
    .max(512)
    .regex(/^[A-Za-z0-9._~+/=-]+$/)
    .optional(),
  STATUS_LIST_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86400)
    .default(300),
  STATUS_LIST_VALIDITY_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(48),
  // Status patches: how often each authority's cut is signed, and how old a tail may get before it is re-signed.
  STATUS_PATCH_PERIOD_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86400)
    .default(86400),
  STATUS_PATCH_TAIL_SECONDS: z.coerce.number().int().min(10).max(86400).default(3600),
  ANCHOR_NAME_ZH: z.string().min(1).max(100).optional(),
  ANCHOR_NAME_EN: z.string().min(1).max(100).optional(),
  ANCHOR_JURISDICTION: z
    .string()
    .regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code')
    .optional(),
  TRUST_LIST_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90 * 24)
    .optional(),
  // What a first start creates: the anchor key's owner (the anchor's did:web ends in :anchors:<id>) and the hosted authority.
  ANCHOR_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes')
    .optional(),
  AUTHORITY_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes')
    .optional(),
  AUTHORITY_NAME_ZH: z.string().min(1).max(100).optional(),
  AUTHORITY_NAME_EN: z.string().min(1).max(100).optional(),
  AUTHORITY_JURISDICTION: z
    .string()
    .regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code')
    .optional(),
  // The authority's unified social credit code (GB 32100), the authority segment of its licence identifiers.
  AUTHORITY_CREDIT_CODE: z
    .string()
    .refine((code) => isValidCreditCode(code), 'a unified social credit code (18 characters, GB 32100 check character)')
    .optional(),
  // Federation: how often peers' bundles are fetched (0: only on request), and the largest accepted.
  FEDERATION_REFRESH_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .default(300),
  FEDERATION_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  // A deployment that is not an anchor: its anchor's bundle URL and the file with its keys (trust-anchor.json).
  UPSTREAM_ANCHOR_URL: z.string().url().optional(),
  UPSTREAM_ANCHOR_KEYS: z.string().min(1).optional(),
});

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  keysDir: string;
  databaseFile: string;
  devToken: string | undefined;
  /** The issuing authority a first start creates (default: the development authority); its credit code is set on a later start if missing. */
  authority: FirstAuthority | undefined;
  /** Seconds between refreshes of every peer's bundle; 0: only on request. */
  federationRefreshSeconds: number;
  /** The first console admin's password on a database without accounts (else one is generated). */
  devAdminPassword: string | undefined;
  app: AppConfig;
}

/** `{ anchorId, keys }` from the pinned file of the upstream anchor (its /.well-known/trust-anchor.json). */
function upstreamAnchor(url: string, keysFile: string): NonNullable<AppConfig['upstreamAnchor']> {
  let document: { anchorId?: unknown; keys?: unknown };
  try {
    document = JSON.parse(readFileSync(resolve(keysFile), 'utf8')) as typeof document;
  } catch (cause) {
    throw new Error(`UPSTREAM_ANCHOR_KEYS: cannot read ${keysFile} as JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  if (typeof document.anchorId !== 'string' || !Array.isArray(document.keys) || document.keys.length === 0) {
    throw new Error('UPSTREAM_ANCHOR_KEYS: expected the anchor\'s trust-anchor.json, { "anchorId", "keys": [...] }');
  }
  const bundleUrl = new URL(url);
  if (!bundleUrl.pathname.endsWith('/verifier-bundle')) bundleUrl.pathname = `${bundleUrl.pathname.replace(/\/+$/, '')}/verifier-bundle`;
  return { bundleUrl: bundleUrl.href, anchor: { anchorId: document.anchorId, keys: document.keys as JWK[] } };
}

/** The project folder (two levels above this file, in src/node/ and in dist/node/ alike). */
export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** Settings shared by `npm start` and the CLI, one `NAME=value` a line; the environment wins. */
export const ENV_FILE = join(PROJECT_DIR, '.env');

/** The settings file in use: ELICENCE_ENV_FILE when set, else the project's `.env`. */
export const envFileOf = (env: NodeJS.ProcessEnv = process.env): string => (env['ELICENCE_ENV_FILE'] ? resolve(env['ELICENCE_ENV_FILE']) : ENV_FILE);

/**
 * The environment with the settings file's variables beneath it: a variable set in the environment
 * wins. DATA_DIR and KEYS_DIR in the file are relative to the file's folder (the project folder for `.env`).
 */
export function nodeEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const file = envFileOf(env);
  if (!existsSync(file)) return env;
  const fromFile: NodeJS.ProcessEnv = parseEnv(readFileSync(file, 'utf8'));
  for (const key of ['DATA_DIR', 'KEYS_DIR'] as const) {
    const value = fromFile[key];
    if (value) fromFile[key] = resolve(dirname(file), value);
  }
  return { ...fromFile, ...env };
}

export function loadNodeConfig(env: NodeJS.ProcessEnv = nodeEnvironment()): NodeConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  // Unset: the project folder's data/ and keys/, wherever the command runs from (npm runs scripts there).
  const dataDir = e.DATA_DIR === undefined ? join(PROJECT_DIR, 'data') : resolve(e.DATA_DIR);
  const app = defaultConfig(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  app.statusListTtlMs = e.STATUS_LIST_TTL_SECONDS * 1000;
  // Staff passwords: PBKDF2-SHA-256 at 600,000 iterations (Workers differ: src/worker/config.ts).
  app.passwordHashing = NODE_PASSWORD_HASHING;
  app.statusListValidityMs = e.STATUS_LIST_VALIDITY_HOURS * 3_600_000;
  app.statusPatchPeriodMs = e.STATUS_PATCH_PERIOD_SECONDS * 1000;
  app.statusTailRefreshMs = e.STATUS_PATCH_TAIL_SECONDS * 1000;
  app.anchor = {
    ...(e.ANCHOR_NAME_ZH && e.ANCHOR_NAME_EN ? { name: { zh: e.ANCHOR_NAME_ZH, en: e.ANCHOR_NAME_EN } } : {}),
    ...(e.ANCHOR_JURISDICTION ? { jurisdiction: e.ANCHOR_JURISDICTION } : {}),
    ...(e.TRUST_LIST_TTL_HOURS ? { trustListTtlMs: e.TRUST_LIST_TTL_HOURS * 3_600_000 } : {}),
    ...(e.ANCHOR_ID ? { ownerId: e.ANCHOR_ID } : {}),
    ...(e.AUTHORITY_ID ? { firstAuthority: e.AUTHORITY_ID } : {}),
  };
  app.federation = { maxBytes: e.FEDERATION_MAX_BYTES, refreshSeconds: e.FEDERATION_REFRESH_SECONDS };
  if (e.UPSTREAM_ANCHOR_URL || e.UPSTREAM_ANCHOR_KEYS) {
    if (!e.UPSTREAM_ANCHOR_URL || !e.UPSTREAM_ANCHOR_KEYS) throw new Error('invalid environment: UPSTREAM_ANCHOR_URL and UPSTREAM_ANCHOR_KEYS go together');
    app.upstreamAnchor = upstreamAnchor(e.UPSTREAM_ANCHOR_URL, e.UPSTREAM_ANCHOR_KEYS);
  }
  const named = e.AUTHORITY_NAME_ZH && e.AUTHORITY_NAME_EN;
  if (!e.AUTHORITY_ID && (named || e.AUTHORITY_JURISDICTION || e.AUTHORITY_CREDIT_CODE)) {
    throw new Error('invalid environment: AUTHORITY_NAME_*, AUTHORITY_JURISDICTION and AUTHORITY_CREDIT_CODE need AUTHORITY_ID');
  }
  const authority: FirstAuthority | undefined = e.AUTHORITY_ID
    ? {
        id: e.AUTHORITY_ID,
        name: named ? { zh: e.AUTHORITY_NAME_ZH!, en: e.AUTHORITY_NAME_EN! } : { zh: e.AUTHORITY_ID, en: e.AUTHORITY_ID },
        jurisdiction: e.AUTHORITY_JURISDICTION ?? DEV_AUTHORITY.jurisdiction,
        ...(e.AUTHORITY_CREDIT_CODE ? { creditCode: e.AUTHORITY_CREDIT_CODE } : {}),
      }
    : undefined;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    keysDir: e.KEYS_DIR === undefined ? join(PROJECT_DIR, 'keys') : resolve(e.KEYS_DIR),
    databaseFile: resolve(dataDir, 'elicence.db'),
    devToken: e.ELICENCE_DEV_TOKEN,
    authority,
    federationRefreshSeconds: e.FEDERATION_REFRESH_SECONDS,
    devAdminPassword: e.ELICENCE_DEV_ADMIN_PASSWORD,
    app,
  };
}
