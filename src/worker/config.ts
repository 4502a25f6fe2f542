/**
 * The Worker's bindings and settings, parsed once per isolate with zod. Plain settings are `[vars]` in
 * wrangler.toml; SIGNING_KEYS and BOOTSTRAP_TOKEN are secrets (`wrangler secret put`, or `.dev.vars`
 * locally) and never appear in wrangler.toml.
 */
import type { JWK } from 'jose';
import { z } from 'zod';
import { type AppConfig, defaultConfig } from '../app/deps.js';
import { algorithmForJwk, SIGNING_ALGORITHMS } from '../core/algorithms.js';
import { isValidCreditCode } from '../core/credit-code.js';
import { WORKER_PASSWORD_HASHING } from '../services/passwords.js';
import type { D1Database } from './cloudflare.js';

export interface WorkerEnv {
  DB: D1Database;
  PUBLIC_URL?: string;
  /** JSON array (or a TOML array of tables) of the issuing authorities this Worker hosts. */
  AUTHORITIES?: unknown;
  STATUS_LIST_TTL_SECONDS?: string | number;
  MAX_BATCH_SIZE?: string | number;
  /** Secret: JSON array of `{ owner: "authority:<id>" | "anchor:<id>", privateJwk }`. */
  SIGNING_KEYS?: string;
  /** Secret, optional: an agency token with every scope for the first authority, created if absent. */
  BOOTSTRAP_TOKEN?: string;
  /** The anchor's names and province, when SIGNING_KEYS holds an `anchor:<id>` key (docs/trust-anchor.md). */
  ANCHOR_NAME_ZH?: string;
  ANCHOR_NAME_EN?: string;
  ANCHOR_JURISDICTION?: string;
  /** Largest peer bundle accepted, in bytes (default 64 MiB). */
  FEDERATION_MAX_BYTES?: string | number;
  /** A Worker that is not an anchor: its anchor's bundle URL and keys (its trust-anchor.json, as JSON). */
  UPSTREAM_ANCHOR_URL?: string;
  UPSTREAM_ANCHOR_KEYS?: unknown;
  /** Secret, optional: the first console admin's password (login `admin`, changed at first sign-in) while no account exists. */
  BOOTSTRAP_ADMIN_PASSWORD?: string;
}

/** A JSON text (a wrangler var or a secret is a string) or the value itself (a TOML table var). */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // left for the schema to refuse with a readable message
    }
  }, schema);

const AuthoritySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
    name: z.object({ zh: z.string().min(1).max(100), en: z.string().min(1).max(100) }).strict(),
    jurisdiction: z.string().regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code'),
    // The unified social credit code, the authority segment of its licence identifiers: needed to issue.
    creditCode: z
      .string()
      .refine((code) => isValidCreditCode(code), 'a unified social credit code (18 characters, GB 32100 check character)')
      .optional(),
  })
  .strict();

const OwnerSchema = z
  .string()
  .regex(/^(authority|anchor):[a-z0-9][a-z0-9-]{1,62}$/, 'owner must be "authority:<id>" or "anchor:<id>"')
  .transform((owner) => {
    const [kind, id] = owner.split(':') as ['authority' | 'anchor', string];
    return { kind, id };
  });

const SigningKeySchema = z
  .object({
    owner: OwnerSchema,
    privateJwk: z
      .looseObject({ kty: z.string(), crv: z.string(), d: z.string().min(32) })
      .refine((jwk) => algorithmForJwk(jwk) !== undefined, `privateJwk must be a key of one of: ${SIGNING_ALGORITHMS.join(', ')}`),
  })
  .strict();

const EnvSchema = z.object({
  PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  AUTHORITIES: json(z.array(AuthoritySchema).min(1)),
  STATUS_LIST_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86400)
    .default(300),
  // D1 counts queries per invocation and a batch issues one statement per audit entry: keep batches modest.
  MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  SIGNING_KEYS: json(z.array(SigningKeySchema)).default([]),
  BOOTSTRAP_TOKEN: z
    .string()
    .min(16)
    .max(512)
    .regex(/^[A-Za-z0-9._~+/=-]+$/)
    .optional(),
  ANCHOR_NAME_ZH: z.string().min(1).max(100).optional(),
  ANCHOR_NAME_EN: z.string().min(1).max(100).optional(),
  ANCHOR_JURISDICTION: z
    .string()
    .regex(/^\d{6}$/, 'a 6-digit GB/T 2260 code')
    .optional(),
  FEDERATION_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  UPSTREAM_ANCHOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  UPSTREAM_ANCHOR_KEYS: json(z.object({ anchorId: z.string().min(1).max(512), keys: z.array(z.record(z.string(), z.unknown())).min(1) })).optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(10).max(200).optional(),
});

export type ConfiguredAuthority = z.infer<typeof AuthoritySchema>;
export interface ConfiguredKey {
  owner: { kind: 'authority' | 'anchor'; id: string };
  privateJwk: JWK;
}

export interface WorkerConfig {
  app: AppConfig;
  authorities: ConfiguredAuthority[];
  signingKeys: ConfiguredKey[];
  bootstrapToken: string | undefined;
  bootstrapAdminPassword: string | undefined;
}

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
}

/** Parses the environment; the message names the variable at fault but never echoes a secret's value. */
export function parseWorkerConfig(env: WorkerEnv): WorkerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    const where = issue.path.slice(1).join('.');
    throw new WorkerConfigError(`invalid Worker variable ${variable}${where ? ` at ${where}` : ''}: ${issue.message}`);
  }
  const e = parsed.data;
  const app = defaultConfig(e.PUBLIC_URL);
  app.statusListTtlMs = e.STATUS_LIST_TTL_SECONDS * 1000;
  app.maxBatchSize = e.MAX_BATCH_SIZE;
  // A Worker with an `anchor:<id>` key is an anchor; its first list names the first authority.
  const anchorKey = e.SIGNING_KEYS.find((k) => k.owner.kind === 'anchor');
  app.anchor = {
    ...(e.ANCHOR_NAME_ZH && e.ANCHOR_NAME_EN ? { name: { zh: e.ANCHOR_NAME_ZH, en: e.ANCHOR_NAME_EN } } : {}),
    ...(e.ANCHOR_JURISDICTION ? { jurisdiction: e.ANCHOR_JURISDICTION } : {}),
    ...(anchorKey ? { ownerId: anchorKey.owner.id } : {}),
    firstAuthority: e.AUTHORITIES[0]!.id,
  };
  app.federation = { maxBytes: e.FEDERATION_MAX_BYTES };
  if (e.UPSTREAM_ANCHOR_URL || e.UPSTREAM_ANCHOR_KEYS) {
    if (!e.UPSTREAM_ANCHOR_URL || !e.UPSTREAM_ANCHOR_KEYS) throw new WorkerConfigError('invalid Worker variables: UPSTREAM_ANCHOR_URL and UPSTREAM_ANCHOR_KEYS go together');
    const bundleUrl = new URL(e.UPSTREAM_ANCHOR_URL);
    if (!bundleUrl.pathname.endsWith('/verifier-bundle')) bundleUrl.pathname = `${bundleUrl.pathname.replace(/\/+$/, '')}/verifier-bundle`;
    app.upstreamAnchor = { bundleUrl: bundleUrl.href, anchor: { anchorId: e.UPSTREAM_ANCHOR_KEYS.anchorId, keys: e.UPSTREAM_ANCHOR_KEYS.keys as JWK[] } };
  }
  // Workers refuses PBKDF2 above 100,000 iterations in production (wrangler dev does not): never ask for more.
  app.passwordHashing = WORKER_PASSWORD_HASHING;
  return {
    app,
    authorities: e.AUTHORITIES,
    signingKeys: e.SIGNING_KEYS.map((k) => ({ owner: k.owner, privateJwk: k.privateJwk as JWK })),
    bootstrapToken: e.BOOTSTRAP_TOKEN,
    bootstrapAdminPassword: e.BOOTSTRAP_ADMIN_PASSWORD,
  };
}
