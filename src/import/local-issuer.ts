/**
 * `--local`: issuing straight into this machine's database (DATA_DIR, KEYS_DIR as for `npm start`),
 * through the service's own issueLicences, as the local authority (the first one, or --authority).
 * The idempotency records are the ones the HTTP batch path writes, so local and HTTP runs of the same
 * file recognise each other's licences. Safe beside a running server: SQLite WAL, and the service
 * redraws status slots if another writer got there first.
 */
import { mkdirSync } from 'node:fs';
import { type AppDeps, type Clock, systemClock } from '../app/deps.js';
import { formatTimestamp } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { loadNodeConfig, nodeEnvironment } from '../node/config.js';
import { createFileKeyStore } from '../node/file-key-store.js';
import { openSqliteStore } from '../node/sqlite-store.js';
import { listAuthorities } from '../services/authorities.js';
import { seedLicenceTypes } from '../services/bootstrap.js';
import { batchItemIdempotency, issueLicences } from '../services/issuance.js';
import { LicenceTypeRegistry } from '../services/licence-types.js';
import type { Principal } from '../services/tokens.js';
import { type BatchItem, type BatchOutcome, type LicenceIssuer, refusedFromError } from './issuers.js';

export interface LocalIssuerOptions {
  /** Authority id (default: the first authority in the database). */
  authority?: string | undefined;
  /** Environment to read DATA_DIR/KEYS_DIR/PUBLIC_URL from (default: as for npm start, the environment over .env). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** The audit log's actor for licences issued by a local import. */
export const LOCAL_IMPORT_ACTOR = 'cli:import';

export async function localIssuer(options: LocalIssuerOptions = {}): Promise<LicenceIssuer> {
  const config = loadNodeConfig(options.env ?? nodeEnvironment());
  mkdirSync(config.dataDir, { recursive: true });
  const store = openSqliteStore(config.databaseFile);
  try {
    const deps: AppDeps = { store, keys: createFileKeyStore(config.keysDir), clock: options.clock ?? systemClock, config: config.app };
    await seedLicenceTypes(deps);
    const authorities = await listAuthorities(store.db);
    const authority = options.authority === undefined ? authorities[0] : authorities.find((a) => a.id === options.authority);
    if (!authority) {
      throw new ElicenceError(
        'ERR_NOT_FOUND',
        options.authority === undefined
          ? `no issuing authority in ${config.databaseFile}: start the service once (npm start) to set one up`
          : `no authority "${options.authority}" in ${config.databaseFile} (have: ${authorities.map((a) => a.id).join(', ') || 'none'})`,
        { field: 'authority' },
      );
    }
    const principal: Principal = { tokenId: LOCAL_IMPORT_ACTOR, authorityId: authority.id, actions: new Set(['issue']), licenceTypes: undefined };
    const registry = new LicenceTypeRegistry(deps);
    return {
      label: `${config.databaseFile} (authority ${authority.id})`,
      maxBatchSize: config.app.maxBatchSize,
      // One batch at a time: issuing holds the main thread anyway; QR texts are encoded on a worker meanwhile.
      concurrency: 1,
      defaultValidityDays: config.app.defaultValidityDays,
      async licenceType(code) {
        const type = await registry.find(code);
        if (!type) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${code}"`, { field: 'type' });
        return type;
      },
      async issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome> {
        const requests = items.map(({ idempotencyKey: _key, ...item }) => item);
        try {
          const result = await issueLicences(deps, registry, principal, requests, {
            batch: true,
            itemIdempotency: items.map(({ idempotencyKey, ...item }) => batchItemIdempotency(item, idempotencyKey)),
          });
          return {
            ok: true,
            alreadyIssued: result.alreadyIssued ?? 0,
            licences: result.licences.map((row) => ({
              id: row.id,
              credential: row.jws,
              validFrom: formatTimestamp(row.validFrom),
              validUntil: row.validUntil === null ? null : formatTimestamp(row.validUntil),
              licenceIdentifier: row.licenceIdentifier,
            })),
          };
        } catch (error) {
          if (!(error instanceof ElicenceError)) throw error;
          const refused = refusedFromError(error.code, error.message, error.field, error.details);
          if (refused && refused.length > 0) return { ok: false, refused };
          throw error;
        }
      },
      async close() {
        store.close();
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
