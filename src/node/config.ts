/** Node environment, parsed once at the entry point. */
import { resolve } from 'node:path';
import { z } from 'zod';
import { type AppConfig, defaultConfig } from '../app/deps.js';
import { NODE_PASSWORD_HASHING } from '../services/passwords.js';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  KEYS_DIR: z.string().min(1).default('./keys'),
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
});

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  keysDir: string;
  databaseFile: string;
  devToken: string | undefined;
  /** The first console admin's password on a database without accounts (else one is generated). */
  devAdminPassword: string | undefined;
  app: AppConfig;
}

export function loadNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const app = defaultConfig(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  app.statusListTtlMs = e.STATUS_LIST_TTL_SECONDS * 1000;
  // Staff passwords: PBKDF2-SHA-256 at 600,000 iterations (Workers differ: src/worker/config.ts).
  app.passwordHashing = NODE_PASSWORD_HASHING;
  app.statusListValidityMs = e.STATUS_LIST_VALIDITY_HOURS * 3_600_000;
  app.anchor = {
    ...(e.ANCHOR_NAME_ZH && e.ANCHOR_NAME_EN ? { name: { zh: e.ANCHOR_NAME_ZH, en: e.ANCHOR_NAME_EN } } : {}),
    ...(e.ANCHOR_JURISDICTION ? { jurisdiction: e.ANCHOR_JURISDICTION } : {}),
    ...(e.TRUST_LIST_TTL_HOURS ? { trustListTtlMs: e.TRUST_LIST_TTL_HOURS * 3_600_000 } : {}),
  };
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    keysDir: resolve(e.KEYS_DIR),
    databaseFile: resolve(dataDir, 'elicence.db'),
    devToken: e.ELICENCE_DEV_TOKEN,
    devAdminPassword: e.ELICENCE_DEV_ADMIN_PASSWORD,
    app,
  };
}
