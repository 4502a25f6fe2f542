/**
 * The ports of the services layer: what a service needs from its runtime (storage, private keys, a
 * clock, settings, a QR encoder), declared here, below the code that uses them. The HTTP app and each
 * runtime entry build these; nothing in src/services reaches upward for them.
 */
import type { JWK } from 'jose';
import type { JwsSigner, SigningAlgorithm } from '../core/jws-sign.js';
import type { Store } from '../db/store.js';
import type { PasswordHashing } from './passwords.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Where private keys live. The database only ever sees public halves. */
export interface KeyStore {
  /** Generates a key pair, keeps the private half, returns the public JWK and its thumbprint. */
  generate(alg: SigningAlgorithm): Promise<{ kid: string; publicJwk: JWK }>;
  /** A signer for a key this store holds; throws ERR_NO_ACTIVE_KEY when it has no such private key. */
  signer(kid: string): Promise<JwsSigner>;
}

export interface AppConfig {
  /** Base URL for did:web and every URL put in a credential, without a trailing slash. */
  publicUrl: string;
  /** Largest accepted request body. */
  bodyLimitBytes: number;
  /** Entries per status list (the spec minimum is 131,072). */
  statusListSize: number;
  /** How often verifiers should refetch a status list, in milliseconds (the list's `ttl`). */
  statusListTtlMs: number;
  /**
   * How long a signed status list stays valid (validFrom..validUntil). Longer than the ttl on purpose:
   * an offline inspector must be able to use yesterday's lists; lists are re-signed at half this.
   */
  statusListValidityMs: number;
  /** How often each authority's status patches are cut (docs/trust-list.md, "Status patches"); default a day. */
  statusPatchPeriodMs?: number;
  /** A tail patch (since the last cut) is re-signed when older than this even if nothing changed; default an hour. */
  statusTailRefreshMs?: number;
  /** Default validity of a licence issued without validUntil, in days. */
  defaultValidityDays: number;
  /** Largest batch accepted by POST /v1/licences/batch. */
  maxBatchSize: number;
  /** Settings for the trust-anchor role (a province), when this deployment is one. */
  anchor?: AnchorSettings;
  /** Fetching peer anchors' verifier bundles (docs/trust-anchor.md, "Federation"). */
  federation?: FederationSettings;
  /**
   * On a deployment that is not an anchor: the anchor whose trust lists decide what it may issue and
   * verify, fetched from its verifier bundle and checked against these pinned keys.
   */
  upstreamAnchor?: UpstreamAnchorSettings;
  /**
   * How staff passwords are hashed, chosen by the runtime entry (Node and Workers differ:
   * src/services/passwords.ts); unset = the Node policy.
   */
  passwordHashing?: PasswordHashing;
  /** Console sessions end after this long without a request (default 30 minutes). */
  sessionIdleMs?: number;
}

export interface FederationSettings {
  /** Largest peer bundle accepted, in bytes (default 64 MiB, room for a national bundle). */
  maxBytes?: number;
  /** Time allowed for one peer fetch, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** How often the runtime refreshes every peer, in seconds (default 300); read by the runtime entries. */
  refreshSeconds?: number;
}

export interface UpstreamAnchorSettings {
  /** The upstream anchor deployment's verifier bundle URL. */
  bundleUrl: string;
  /** Its pinned keys with their anchor id, as served at /.well-known/trust-anchor.json. */
  anchor: { anchorId: string; keys: JWK[] };
}

export interface AnchorSettings {
  name?: { zh: string; en: string };
  /** GB/T 2260 code of the province, e.g. 330000. */
  jurisdiction?: string;
  /** Lifetime of each signed trust list. */
  trustListTtlMs?: number;
  /** Owner id of the anchor key a first start creates (default `dev-anchor`); the anchor's did:web ends in `:anchors:<ownerId>`. */
  ownerId?: string;
  /** The hosted authority (slug) that a first start lists in the anchor's first trust list (default `dev-city`). */
  firstAuthority?: string;
}

export const defaultConfig = (publicUrl: string): AppConfig => ({
  publicUrl: publicUrl.replace(/\/+$/, ''),
  bodyLimitBytes: 1024 * 1024,
  statusListSize: 131_072,
  statusListTtlMs: 5 * 60 * 1000,
  statusListValidityMs: 48 * 60 * 60 * 1000,
  defaultValidityDays: 5 * 365,
  maxBatchSize: 1000,
});

/** Turns licence JWSs into their EL1 QR texts (docs/qr-format.md), possibly off the serving thread. */
export interface QrEncoder {
  encode(jws: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Everything a service function is handed. */
export interface ServiceDeps {
  store: Store;
  keys: KeyStore;
  clock: Clock;
  config: AppConfig;
  /** Where QR texts are encoded (Node: a worker thread); without it, on the calling thread. */
  qrEncoder?: QrEncoder;
  /** The fetch used to reach other deployments (peer bundles, JWKS); the global one when absent. */
  fetch?: typeof fetch;
}
