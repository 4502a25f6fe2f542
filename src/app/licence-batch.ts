/**
 * Issuing a batch, all or nothing, with per-item idempotency keys: the one implementation behind
 * `POST /v1/licences/batch` (a program's bearer token) and the console's `POST /console/import/batch`
 * (a signed-in clerk's session, for the import page). Both validate the same body and call the same
 * `issueLicences` as the principal they authenticated, so a console session may issue exactly what a
 * token with the same authority, scopes and licence types may.
 */
import { z } from '@hono/zod-openapi';
import { ElicenceError } from '../core/errors.js';
import { batchItemIdempotency, issueLicences, requestHash } from '../services/issuance.js';
import type { Principal } from '../services/tokens.js';
import type { Services } from './env.js';
import { type LicenceResponse, licenceResponses } from './licence-response.js';
import { IdempotencyKeyHeader, ISSUE_REQUEST_EXAMPLE, IssueRequestSchema } from './schemas.js';

export const BatchItemSchema = IssueRequestSchema.extend({
  idempotencyKey: IdempotencyKeyHeader.shape['idempotency-key'].openapi({
    description: 'Per-item key: an item already issued under this key and content is returned, not issued again (safe re-runs of imports).',
  }),
})
  .strict()
  .openapi('BatchIssueItem');

export const BatchIssueRequestSchema = z
  .object({ items: z.array(BatchItemSchema).min(1) })
  .strict()
  .openapi('BatchIssueRequest', {
    example: {
      items: [
        { ...ISSUE_REQUEST_EXAMPLE, idempotencyKey: 'register-2026-row-17' },
        {
          type: 'FoodBusinessLicence',
          subject: {
            licenceNumber: 'JY13301060012345',
            operatorName: '杭州味道餐饮管理有限公司',
            creditCode: '91330100MA27Y1F3XC',
            legalRepresentative: '李四',
            premisesAddress: '浙江省杭州市上城区解放路88号一楼',
            mainBusinessFormat: '餐饮服务经营者（小型餐馆）',
            businessItems: ['热食类食品制售', '冷食类食品制售'],
          },
          validUntil: '2031-05-31',
          idempotencyKey: 'register-2026-row-18',
        },
      ],
    },
  });

export type BatchIssueRequest = z.infer<typeof BatchIssueRequestSchema>;

export interface BatchIssueAnswer {
  items: LicenceResponse[];
  /** Items answered with a licence issued earlier under their idempotency keys. */
  alreadyIssued: number;
  /** The whole request was seen before under its Idempotency-Key. */
  replayed: boolean;
}

/** `requestKey`: the request's own Idempotency-Key header, when it has one. */
export async function issueBatch(services: Services, principal: Principal, body: BatchIssueRequest, requestKey?: string): Promise<BatchIssueAnswer> {
  if (body.items.length > services.config.maxBatchSize) {
    throw new ElicenceError('ERR_VALIDATION', `a batch holds at most ${services.config.maxBatchSize} items`, { field: 'items' });
  }
  const items = body.items.map(({ idempotencyKey: _key, ...item }) => item);
  const result = await issueLicences(services, services.registry, principal, items, {
    batch: true,
    itemIdempotency: body.items.map((item, index) => (item.idempotencyKey ? batchItemIdempotency(items[index]!, item.idempotencyKey) : undefined)),
    ...(requestKey ? { idempotency: { key: requestKey, requestHash: requestHash('/v1/licences/batch', body) } } : {}),
  });
  return { items: await licenceResponses(services, result.licences), alreadyIssued: result.alreadyIssued ?? 0, replayed: result.replayed };
}
