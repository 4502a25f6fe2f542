/**
 * The one database schema, shared by better-sqlite3 (Node) and D1 (Workers). Migrations in
 * `migrations/` are generated from this file by drizzle-kit. Times are integer milliseconds (UTC).
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { SIGNING_ALGORITHMS } from '../core/algorithms.js';

/** Issuing authorities hosted by this deployment (a city bureau each). */
export const authorities = sqliteTable('authorities', {
  id: text('id').primaryKey(), // slug, e.g. "hangzhou-amr"
  did: text('did').notNull().unique(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  jurisdiction: text('jurisdiction').notNull(), // GB/T 2260 code, e.g. "330100"
  status: text('status', { enum: ['active', 'suspended', 'withdrawn'] })
    .notNull()
    .default('active'),
  createdAt: integer('created_at').notNull(),
  // Unified social credit code (GB 32100): the authority segment of its licence identifiers (GB/T 36904).
  // Null for an authority created before identifiers, until set; it cannot issue until then.
  creditCode: text('credit_code').unique(),
});

/**
 * Public halves of signing keys (authority keys and trust-anchor keys). Private keys are never stored
 * here: they live in the key store (files under KEYS_DIR, or Worker secrets) keyed by `kid`.
 * status: `active` signs; `published` only verifies (rotated out); `retired` is no longer published.
 */
export const signingKeys = sqliteTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    ownerKind: text('owner_kind', { enum: ['authority', 'anchor'] }).notNull(),
    ownerId: text('owner_id').notNull(),
    alg: text('alg', { enum: SIGNING_ALGORITHMS }).notNull(),
    publicJwk: text('public_jwk').notNull(),
    status: text('status', { enum: ['active', 'published', 'retired'] }).notNull(),
    validFrom: integer('valid_from').notNull(),
    validUntil: integer('valid_until'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('signing_keys_owner').on(t.ownerKind, t.ownerId, t.status)],
);

export const licenceTypes = sqliteTable('licence_types', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  schemaVersion: text('schema_version').notNull(),
  schemaJson: text('schema_json').notNull(),
  builtIn: integer('built_in', { mode: 'boolean' }).notNull(),
  registeredBy: text('registered_by'), // authority id, null for built-in types
  createdAt: integer('created_at').notNull(),
  // At most one active or suspended, unexpired licence per holder and authority (held in holder_slots).
  uniquePerHolder: integer('unique_per_holder', { mode: 'boolean' }).notNull().default(false),
  // The catalogue code (first segment of the licence identifier, GB/T 36904) and the subject fields that
  // hold the licence number and the holder's name (GB/T 36903). Null only for types registered before.
  catalogueCode: text('catalogue_code').unique(),
  numberField: text('number_field'),
  holderNameField: text('holder_name_field'),
});

/** Agency API tokens: only the SHA-256 of the token is stored. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    authorityId: text('authority_id').notNull(),
    name: text('name').notNull(),
    actions: text('actions').notNull(), // JSON array of 'issue' | 'status' | 'read' | 'admin'
    licenceTypes: text('licence_types'), // JSON array, null = every type
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
    // The staff account that made it in the console; its tokens end when it stops being an admin.
    createdByStaffId: text('created_by_staff_id'),
  },
  (t) => [index('api_tokens_authority').on(t.authorityId)],
);

/**
 * One bitstring status list per (authority, purpose, seq). `allocated` counts indices handed out;
 * the CHECK makes an over-full list fail the whole issuing transaction. `version` grows on every
 * status change that touches the list, so the published credential is rebuilt only when it changed.
 */
export const statusLists = sqliteTable(
  'status_lists',
  {
    id: text('id').primaryKey(), // "<authority>/<purpose>/<seq>", also the URL path under /status/
    authorityId: text('authority_id').notNull(),
    purpose: text('purpose', { enum: ['revocation', 'suspension'] }).notNull(),
    seq: integer('seq').notNull(),
    size: integer('size').notNull(),
    allocated: integer('allocated').notNull().default(0),
    version: integer('version').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    publishedVersion: integer('published_version'),
    publishedJws: text('published_jws'),
    publishedJson: text('published_json'),
    publishedAt: integer('published_at'),
    publishedValidUntil: integer('published_valid_until'),
    // The status reasons document (status-reasons+jwt) signed with the published revocation list, for its bits.
    publishedReasonsJws: text('published_reasons_jws'),
  },
  (t) => [uniqueIndex('status_lists_seq').on(t.authorityId, t.purpose, t.seq), check('status_lists_capacity', sql`${t.allocated} <= ${t.size}`)],
);

export const licences = sqliteTable(
  'licences',
  {
    id: text('id').primaryKey(), // UUIDv7; the credential id is urn:uuid:<id>
    authorityId: text('authority_id').notNull(),
    type: text('type').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    holderName: text('holder_name'),
    status: text('status', { enum: ['active', 'suspended', 'revoked'] }).notNull(),
    // Revoked: a reason code (penalty, rescinded, deregistered, superseded, other); suspended: the suspension's ground.
    statusReason: text('status_reason'),
    validFrom: integer('valid_from').notNull(),
    // Null: no expiry (有效期：长期), the credential has no validUntil.
    validUntil: integer('valid_until'),
    issuedAt: integer('issued_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    kid: text('kid').notNull(),
    jws: text('jws').notNull(),
    revocationListId: text('revocation_list_id').notNull(),
    revocationIndex: integer('revocation_index').notNull(),
    suspensionListId: text('suspension_list_id').notNull(),
    suspensionIndex: integer('suspension_index').notNull(),
    supersedes: text('supersedes'),
    supersededBy: text('superseded_by'),
    // The licence identifier (证照标识, GB/T 36904) in the credential; null for licences issued before identifiers.
    licenceIdentifier: text('licence_identifier'),
  },
  (t) => [
    // One licence per identifier (an amendment has the next version), and the lookup of GET /v1/licences?identifier=.
    uniqueIndex('licences_identifier').on(t.licenceIdentifier),
    // An index is never handed out twice, whatever the concurrency: the database refuses it.
    uniqueIndex('licences_revocation_slot').on(t.revocationListId, t.revocationIndex),
    uniqueIndex('licences_suspension_slot').on(t.suspensionListId, t.suspensionIndex),
    // Newest-first listing per authority (UUIDv7 ids sort by issue time), with or without a holder.
    index('licences_authority_id').on(t.authorityId, t.id),
    index('licences_authority_holder').on(t.authorityId, t.holderCreditCode, t.id),
    // Partial indexes hold only revoked / suspended licences: issuing writes nothing to them, yet
    // rebuilding a status list and filtering by those statuses stay index lookups.
    index('licences_revoked_slot').on(t.revocationListId, t.revocationIndex).where(sql`${t.status} = 'revoked'`),
    index('licences_suspended_slot').on(t.suspensionListId, t.suspensionIndex).where(sql`${t.status} = 'suspended'`),
  ],
);

/**
 * One row per holder of a licence type that is unique per holder (`licence_types.unique_per_holder`):
 * the active or suspended licence that holds the slot and until when. Issuing claims the slot in the
 * same commit as the licence (deleting a slot whose licence expired or was revoked, then inserting), so
 * the primary key refuses a second live licence whatever the concurrency; revoking releases it.
 */
export const holderSlots = sqliteTable(
  'holder_slots',
  {
    authorityId: text('authority_id').notNull(),
    type: text('type').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    licenceId: text('licence_id').notNull(),
    validUntil: integer('valid_until'), // null: the licence does not expire
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.type, t.holderCreditCode] }), index('holder_slots_licence').on(t.licenceId)],
);

/**
 * The serial numbers of licence identifiers (GB/T 36904), per authority and licence type: one row per
 * serial handed out, inserted in the same commit as the licence that carries it, so the primary key
 * refuses a serial used twice whatever the concurrency (the losing commit is drafted again with the
 * next one). Rows are never deleted: a serial is never reused. An amendment keeps its licence's serial.
 */
export const licenceSerials = sqliteTable(
  'licence_serials',
  {
    authorityId: text('authority_id').notNull(),
    type: text('type').notNull(),
    serial: integer('serial').notNull(),
    licenceId: text('licence_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.type, t.serial] })],
);

/** Idempotency-Key records: the same key and body give the same answer, another body a 409. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    authorityId: text('authority_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    resultJson: text('result_json').notNull(), // e.g. {"licenceIds":[...]}
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.key] })],
);

/**
 * Append-only, hash-chained audit log. `seq` is dense (previous + 1) and unique, so two writers
 * racing for the same head cannot both commit. hash = SHA-256 of the JSON array [prevHash, seq, at,
 * authorityId, actor, action, subjectId, contentJson], plus staffId when set (src/services/audit.ts entryHash).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    seq: integer('seq').primaryKey(),
    at: integer('at').notNull(),
    authorityId: text('authority_id'),
    actor: text('actor').notNull(), // token id, "system" or "cli"
    action: text('action').notNull(),
    subjectId: text('subject_id'),
    contentJson: text('content_json').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    staffId: text('staff_id'), // the staff account behind a console action; null before it existed and for tokens
  },
  (t) => [index('audit_log_subject').on(t.subjectId, t.seq)],
);

/** Trust-anchor role: the register of issuing authorities a province vouches for. */
export const trustRegistry = sqliteTable('trust_registry', {
  id: text('id').primaryKey(), // the authority's did:web
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  jurisdiction: text('jurisdiction').notNull(),
  status: text('status', { enum: ['active', 'suspended', 'withdrawn'] }).notNull(),
  licenceTypes: text('licence_types').notNull(), // JSON array of type codes
  keysJson: text('keys_json').notNull(), // JSON array of { jwk, validFrom, validUntil?, status }
  source: text('source'), // JWKS URL or file it was imported from
  updatedAt: integer('updated_at').notNull(),
  creditCode: text('credit_code'), // the authority's unified social credit code, listed when known
});

/** Every trust list this deployment has signed as an anchor; seq only grows. */
export const trustLists = sqliteTable('trust_lists', {
  seq: integer('seq').primaryKey(),
  jws: text('jws').notNull(),
  issuedAt: integer('issued_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

/**
 * Federation (docs/trust-anchor.md): the other anchors (provinces, or a national root's provinces) this
 * anchor vouches for in its trust list's `federatedAnchors`, with the scope it grants each, where their
 * verifier bundle is fetched from, and how the last fetch went. On a deployment that is not an anchor,
 * the one row is its configured upstream anchor (`role = 'upstream'`), fetched for its trust lists only.
 */
export const peerAnchors = sqliteTable('peer_anchors', {
  id: text('id').primaryKey(), // the peer anchor's id (did:web), the `id` of its trust lists
  role: text('role', { enum: ['federated', 'upstream'] })
    .notNull()
    .default('federated'),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  keysJson: text('keys_json').notNull(), // JSON array of { jwk, validFrom, validUntil? }
  keysSource: text('keys_source'), // the JWKS URL the keys came from, or null (inline)
  bundleUrl: text('bundle_url').notNull(),
  scopeJson: text('scope_json').notNull(), // JSON { issuerPrefixes, jurisdictions, licenceTypes? }
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  // The last fetch: its conditional-request state (reset when the entry changes) and its outcome.
  etag: text('etag'),
  bundleGeneratedAt: text('bundle_generated_at'),
  lastAttemptAt: integer('last_attempt_at'),
  lastSuccessAt: integer('last_success_at'),
  lastError: text('last_error'),
});

/**
 * The newest valid copy of each piece fetched from a peer's verifier bundle (its trust lists and its
 * authorities' status lists), exactly as the peer signed it, re-served in this deployment's bundle.
 * `received_at` is when this deployment stored that copy: `?since=` deltas go by it.
 */
export const peerPieces = sqliteTable(
  'peer_pieces',
  {
    key: text('key').primaryKey(), // "trust:<anchor id>" or "status:<status list URL>"
    peerId: text('peer_id').notNull(),
    kind: text('kind', { enum: ['trust-list', 'status-list'] }).notNull(),
    url: text('url'),
    jws: text('jws').notNull(),
    sequence: integer('sequence'), // trust lists: their sequence (never replaced by a lower one)
    issuer: text('issuer'), // status lists: the issuer's DID (signed), and the kid that signed it
    kid: text('kid'),
    signedAt: integer('signed_at').notNull(), // trust lists: issuedAt; status lists: their signed iat
    expiresAt: integer('expires_at'), // trust lists: expiresAt; status lists: validUntil
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('peer_pieces_peer').on(t.peerId), index('peer_pieces_received').on(t.receivedAt)],
);

/**
 * Staff accounts of the agency console: people sign in with their own login and password; programs
 * keep using api_tokens. `password_hash` is `scheme:params:salt:hash` (src/services/passwords.ts), so
 * each hash is verified with the parameters it was made with and upgraded on sign-in.
 */
export const staffAccounts = sqliteTable(
  'staff_accounts',
  {
    id: text('id').primaryKey(),
    login: text('login').notNull().unique(),
    name: text('name').notNull(),
    role: text('role', { enum: ['clerk', 'supervisor', 'admin', 'anchor'] }).notNull(),
    authorityId: text('authority_id').notNull(),
    licenceTypes: text('licence_types'), // JSON array, null = every type
    passwordHash: text('password_hash').notNull(),
    mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull(),
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lastFailedAt: integer('last_failed_at'),
    lockedAt: integer('locked_at'),
    totpSecret: text('totp_secret'), // base32, null = no second factor
    totpLastStep: integer('totp_last_step'), // last accepted time step: a code is never accepted twice
    disabledAt: integer('disabled_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('staff_accounts_authority').on(t.authorityId)],
);

/** Console sessions: server-side rows (the cookie holds a random value, the row its SHA-256), revocable. */
export const staffSessions = sqliteTable(
  'staff_sessions',
  {
    id: text('id').primaryKey(), // SHA-256 hex of the cookie value
    accountId: text('account_id').notNull(),
    stage: text('stage', { enum: ['totp', 'full'] }).notNull(), // 'totp': password checked, second factor pending
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('staff_sessions_account').on(t.accountId)],
);

/**
 * Two-character holder-name search: every distinct pair of adjacent characters of a licence's holder
 * name (ASCII lower-cased), per authority. A query's bigrams are intersected here, starting from the
 * rarest, and confirmed with LIKE (src/services/name-search.ts). Written in the same commit as the licence.
 */
export const licenceNameBigrams = sqliteTable(
  'licence_name_bigrams',
  {
    authorityId: text('authority_id').notNull(),
    bigram: text('bigram').notNull(),
    licenceId: text('licence_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.bigram, t.licenceId] })],
);

/**
 * Status patches (docs/trust-list.md, "Status patches"): per status list of a hosted authority, the list
 * at its last cut: the base the next cut's patch starts from, and the compact copy verifiers are given
 * (`set`: Rice-coded set indices; `reasons`: packed 3-bit reason codes of a revocation list).
 */
export const statusCuts = sqliteTable(
  'status_cuts',
  {
    listId: text('list_id').primaryKey(),
    authorityId: text('authority_id').notNull(),
    version: integer('version').notNull(),
    size: integer('size').notNull(),
    count: integer('count').notNull(),
    set: text('set').notNull(),
    reasons: text('reasons'),
    cutAt: integer('cut_at').notNull(),
    // When the list was first cut: a `?since=` delta gives new lists as copies.
    firstCutAt: integer('first_cut_at').notNull(),
  },
  (t) => [index('status_cuts_authority').on(t.authorityId)],
);

/**
 * The status patches signed for the hosted authorities: per cut a patch (from the previous cut) and a
 * manifest (every list with its digest), kept 7 days; the newest tail (from the last cut to now), with
 * the list versions it brings lists to (`versions_json`), re-signed when they move.
 */
export const statusPatches = sqliteTable(
  'status_patches',
  {
    authorityId: text('authority_id').notNull(),
    kind: text('kind', { enum: ['cut', 'manifest', 'tail'] }).notNull(),
    issuedAt: integer('issued_at').notNull(),
    jws: text('jws').notNull(),
    versionsJson: text('versions_json').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.kind, t.issuedAt] }), index('status_patches_issued').on(t.issuedAt)],
);

/**
 * Status data of peers (federation) that send patches, kept as a verifier keeps it: per list the copy at
 * its last cut with the patch that attests it (`copy`), the newest patches (`patch`), and every cut
 * patch received in the last 7 days (`cut`), re-served by receipt time; per peer one `sync` row (the
 * next `since` in `url`, the ETag in `jws`).
 */
export const peerStatus = sqliteTable(
  'peer_status',
  {
    key: text('key').primaryKey(), // "copy:<issuer> <url>", "patch:<jws hash>", "cut:<jws hash>", "sync:<peer id>"
    peerId: text('peer_id').notNull(),
    issuer: text('issuer').notNull(),
    kind: text('kind', { enum: ['copy', 'patch', 'cut', 'sync'] }).notNull(),
    url: text('url'),
    jws: text('jws').notNull(),
    copyJson: text('copy_json'),
    signedAt: integer('signed_at').notNull(),
    receivedAt: integer('received_at').notNull(),
    firstReceivedAt: integer('first_received_at').notNull(),
  },
  (t) => [index('peer_status_peer').on(t.peerId), index('peer_status_received').on(t.receivedAt)],
);

/**
 * Holder devices (docs/credential-format.md §Bound copies): a device key registered for a holder (credit
 * code) of an authority, its id the RFC 7638 thumbprint of its P-256 public key. At most 5 active
 * devices per holder (its administrators): an active device holds one of the `slot` numbers 1 to 5,
 * unique among the holder's active devices (partial unique index), so a sixth fails whatever the
 * concurrency. Removing a device keeps its row (status `removed`) and frees its slot number.
 */
export const holderDevices = sqliteTable(
  'holder_devices',
  {
    authorityId: text('authority_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    id: text('id').notNull(), // JWK thumbprint (SHA-256, base64url)
    publicJwk: text('public_jwk').notNull(),
    label: text('label'),
    status: text('status', { enum: ['active', 'removed'] }).notNull(),
    slot: integer('slot').notNull(),
    createdAt: integer('created_at').notNull(),
    removedAt: integer('removed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.holderCreditCode, t.id] }),
    uniqueIndex('holder_devices_active_slot').on(t.authorityId, t.holderCreditCode, t.slot).where(sql`${t.status} = 'active'`),
    check('holder_devices_slot_range', sql`${t.slot} between 1 and 5`),
  ],
);

/**
 * Bound copies: one row per (device, licence) binding, with the binding's own slot in the authority's
 * revocation lists (never reused; the allocation also checks licences and agent authorisations). A renewal
 * re-signs the row in place (same slot); removing the device or amending the licence revokes it.
 */
export const boundCopies = sqliteTable(
  'bound_copies',
  {
    id: text('id').primaryKey(), // UUIDv7
    authorityId: text('authority_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    deviceId: text('device_id').notNull(),
    licenceId: text('licence_id').notNull(),
    status: text('status', { enum: ['active', 'revoked'] }).notNull(),
    statusReason: text('status_reason'),
    revocationListId: text('revocation_list_id').notNull(),
    revocationIndex: integer('revocation_index').notNull(),
    validUntil: integer('valid_until').notNull(),
    issuedAt: integer('issued_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    kid: text('kid').notNull(),
    jws: text('jws').notNull(),
  },
  (t) => [
    uniqueIndex('bound_copies_revocation_slot').on(t.revocationListId, t.revocationIndex),
    index('bound_copies_licence').on(t.licenceId, t.deviceId),
    index('bound_copies_device').on(t.authorityId, t.holderCreditCode, t.deviceId),
    index('bound_copies_revoked_slot').on(t.revocationListId, t.revocationIndex).where(sql`${t.status} = 'revoked'`),
  ],
);

/**
 * Agent authorisations (授权用证): who may act for the holder of a licence, for which matters, until when,
 * bound to the agent's device key; each with its own slot in the authority's revocation lists. An
 * amendment of the licence re-issues it for the successor (`superseded_by`) and revokes it.
 */
export const agentAuthorisations = sqliteTable(
  'agent_authorisations',
  {
    id: text('id').primaryKey(), // UUIDv7; the credential id is urn:uuid:<id>
    authorityId: text('authority_id').notNull(),
    licenceId: text('licence_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    agentName: text('agent_name').notNull(),
    idNumberMasked: text('id_number_masked').notNull(),
    mattersJson: text('matters_json').notNull(), // "all" or a JSON array of matter codes
    agentJwk: text('agent_jwk').notNull(),
    validFrom: integer('valid_from').notNull(),
    validUntil: integer('valid_until').notNull(),
    status: text('status', { enum: ['active', 'revoked'] }).notNull(),
    statusReason: text('status_reason'),
    revocationListId: text('revocation_list_id').notNull(),
    revocationIndex: integer('revocation_index').notNull(),
    issuedAt: integer('issued_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    kid: text('kid').notNull(),
    jws: text('jws').notNull(),
    supersedes: text('supersedes'),
    supersededBy: text('superseded_by'),
  },
  (t) => [
    uniqueIndex('agent_authorisations_revocation_slot').on(t.revocationListId, t.revocationIndex),
    index('agent_authorisations_licence').on(t.licenceId, t.id),
    index('agent_authorisations_revoked_slot').on(t.revocationListId, t.revocationIndex).where(sql`${t.status} = 'revoked'`),
  ],
);

/**
 * Agent invitations: an authorisation requested by the holder's administrator before the agent has a
 * device key. Only the SHA-256 of the one-time code is stored; accepting it (with the agent's key) signs
 * the authorisation and marks the invitation `accepted` in the same commit.
 */
export const agentInvitations = sqliteTable(
  'agent_invitations',
  {
    id: text('id').primaryKey(), // UUIDv7
    authorityId: text('authority_id').notNull(),
    licenceId: text('licence_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    codeHash: text('code_hash').notNull().unique(),
    requestJson: text('request_json').notNull(), // agent, matters, validFrom (ms or absent), validUntil (ms), note
    status: text('status', { enum: ['pending', 'accepted', 'cancelled'] }).notNull(),
    authorisationId: text('authorisation_id'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('agent_invitations_licence').on(t.licenceId)],
);

/**
 * Holder access (docs/holder-app.md): the one holder code of a business (its credit code) at an
 * authority, stored as the SHA-256 of the code. Rotating it replaces the hash and bumps `generation`;
 * sessions made from an older generation are ended in the same commit.
 */
export const holderAccess = sqliteTable(
  'holder_access',
  {
    authorityId: text('authority_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    codeHash: text('code_hash').notNull().unique(),
    generation: integer('generation').notNull(),
    createdAt: integer('created_at').notNull(),
    rotatedAt: integer('rotated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.holderCreditCode] })],
);

/**
 * Holder sessions: the bearer token the holder app got for a code, stored as its SHA-256, read-only,
 * scoped to one (authority, holder), expiring after `expiresAt` and ended when the code is rotated.
 */
export const holderSessions = sqliteTable(
  'holder_sessions',
  {
    id: text('id').primaryKey(), // SHA-256 hex of the token
    authorityId: text('authority_id').notNull(),
    holderCreditCode: text('holder_credit_code').notNull(),
    generation: integer('generation').notNull(), // the holder_access generation it was made from
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('holder_sessions_holder').on(t.authorityId, t.holderCreditCode)],
);
